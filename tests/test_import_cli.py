"""``redactor import`` and ``redactor db upgrade``, run through click's test runner."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, inspect, select

from redactor.cli.db import db_group
from redactor.cli.importing import import_command
from redactor.models import AuditEntry, Cable, CableVersion
from tests.conftest import TEST_AUDIT_KEY
from tests.fixtures_store import BAD_CABLES_DIR, FIXTURE_CABLE_COUNT, FIXTURE_CABLES_DIR
from tests.test_import_service import BAD_FILES, GOOD_IN_ZIP, MIXED_ZIP

ALL_PATHS = [str(FIXTURE_CABLES_DIR), str(BAD_CABLES_DIR), str(MIXED_ZIP)]


@pytest.fixture
def run(database_url, tmp_path):
    """``run(command, *args, env=None) -> Result`` with settings for this test's database."""
    instance = tmp_path / "cli-instance"

    def invoke(command, *args, env=None):
        environment = {
            "REDACTOR_DATABASE_URL": database_url,
            "REDACTOR_INSTANCE": str(instance),
            "REDACTOR_AUDIT_KEY": TEST_AUDIT_KEY,
            **(env or {}),
        }
        return CliRunner().invoke(command, list(args), env=environment, catch_exceptions=False)

    return invoke


def counts(session) -> tuple[int, int, int]:
    result = tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (Cable, CableVersion, AuditEntry)
    )
    session.rollback()
    return result


def test_import_names_each_bad_file_with_its_reason_and_exits_non_zero(run, session):
    result = run(import_command, *ALL_PATHS)

    good = FIXTURE_CABLE_COUNT + GOOD_IN_ZIP
    assert result.exit_code == 1
    assert result.stdout.strip().splitlines()[-1] == (
        f"imported {good}, unchanged 0, new versions 0, failed {len(BAD_FILES)}"
    )
    failures = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failures) == len(BAD_FILES)
    for name, reason in BAD_FILES.items():
        shown = name if ":" in name else f"bad/{name}"  # relative to the paths given
        assert any(f"failed: {shown}: " in line and reason in line for line in failures)
    assert "\r" not in result.stderr  # not a terminal: no running counter in logs
    assert counts(session) == (good, good, good)


def test_a_second_import_reports_everything_unchanged(run, session):
    run(import_command, *ALL_PATHS)
    before = counts(session)

    again = run(import_command, str(FIXTURE_CABLES_DIR), str(MIXED_ZIP))

    assert again.stdout.strip().splitlines()[-1] == (
        f"imported 0, unchanged {FIXTURE_CABLE_COUNT + GOOD_IN_ZIP}, new versions 0, failed 3"
    )
    assert counts(session) == before
    only_good = run(import_command, str(FIXTURE_CABLES_DIR))
    assert only_good.exit_code == 0
    assert only_good.stdout.strip() == f"imported 0, unchanged {FIXTURE_CABLE_COUNT}, " + (
        "new versions 0, failed 0"
    )


def test_import_migrates_a_fresh_instance_first(tmp_path):
    instance = tmp_path / "fresh"
    env = {
        "REDACTOR_DATABASE_URL": None,
        "REDACTOR_INSTANCE": str(instance),
        "REDACTOR_AUDIT_KEY": None,
    }

    result = CliRunner().invoke(
        import_command, [str(FIXTURE_CABLES_DIR / "09STATE52368.txt")], env=env
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "imported 1, unchanged 0, new versions 0, failed 0"
    engine = create_engine(f"sqlite:///{instance / 'redactor.sqlite3'}")
    with engine.connect() as conn:
        assert conn.scalar(select(Cable.reference_id)) == "09STATE52368"
    engine.dispose()
    assert (instance / "audit.key").exists()


def test_db_upgrade_creates_the_schema_and_is_idempotent(tmp_path):
    instance = tmp_path / "fresh"
    env = {"REDACTOR_DATABASE_URL": None, "REDACTOR_INSTANCE": str(instance)}

    first = CliRunner().invoke(db_group, ["upgrade"], env=env)
    second = CliRunner().invoke(db_group, ["upgrade"], env=env)

    assert (first.exit_code, second.exit_code) == (0, 0), first.output
    assert "database is up to date" in second.output
    engine = create_engine(f"sqlite:///{instance / 'redactor.sqlite3'}")
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"cables", "cable_versions", "cable_search", "audit_entries"} <= tables


def test_import_records_the_named_user_and_refuses_an_unknown_one(run, make_user, session):
    user, _ = make_user("importer")
    session.commit()

    unknown = run(import_command, "--user", "nobody", str(FIXTURE_CABLES_DIR))
    known = run(
        import_command, "--user", "importer", str(FIXTURE_CABLES_DIR / "09STATE52368.txt")
    )

    assert unknown.exit_code != 0 and "no user named 'nobody'" in unknown.output
    assert known.exit_code == 0
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "cable.import")).one()
    assert (entry.actor_id, entry.actor_name, entry.client_addr) == (user.id, "importer", "cli")
    assert json.loads(entry.payload)["reference_id"] == "09STATE52368"


def test_progress_counter_is_shown_when_asked(run):
    result = run(import_command, "--progress", str(FIXTURE_CABLES_DIR / "09STATE52368.txt"))

    assert "\r1 files, 0 failed" in result.stderr
