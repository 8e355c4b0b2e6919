"""``redactor audit verify | checkpoint | export`` on the configured database."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from redactor import audit
from redactor.cli.audit import audit_group
from redactor.models import AuditEntry
from tests.conftest import TEST_AUDIT_KEY


@pytest.fixture
def instance(tmp_path):
    folder = tmp_path / "cli-instance"
    folder.mkdir()
    return folder


@pytest.fixture
def run(database_url, instance, monkeypatch):
    """Invoke ``redactor audit ARGS...`` against this test's database and instance."""
    monkeypatch.setenv("REDACTOR_DATABASE_URL", database_url)
    monkeypatch.setenv("REDACTOR_INSTANCE", str(instance))
    monkeypatch.setenv("REDACTOR_AUDIT_KEY", TEST_AUDIT_KEY)

    def invoke(*args: str):
        return CliRunner().invoke(audit_group, list(args), catch_exceptions=False)

    return invoke


def append(session, count: int) -> None:
    for number in range(count):
        audit.record(session, None, "cable.view", ("cable", f"08CABLE{number}"), {"n": number})
    session.commit()


def newest(session):
    """The head entry's action, payload and MAC (a plain row), read in a transaction that is
    ended at once: on SQLite every transaction holds the write lock the command needs."""
    row = session.execute(
        select(AuditEntry.action, AuditEntry.payload, AuditEntry.mac)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).one()
    session.rollback()
    return row


def actions(session) -> list[str]:
    session.rollback()
    found = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    session.rollback()
    return found


def tamper(database_url: str, sql: str) -> None:
    """Drop the append-only triggers and run ``sql``, as someone with raw database access."""
    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        conn.execute("DROP TRIGGER audit_entries_no_update")
        conn.execute("DROP TRIGGER audit_entries_no_delete")
        conn.execute(sql)
        conn.close()
        return
    engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP TRIGGER audit_entries_no_change ON audit_entries"))
        conn.execute(text(sql))
    engine.dispose()


def test_verify_prints_ok_with_the_head_and_exits_zero(run, session):
    append(session, 3)
    head = newest(session)
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok: 3 entries, head seq 3 mac {head.mac}")


def test_verify_names_the_first_bad_entry_and_exits_one(run, session, database_url):
    append(session, 5)
    session.rollback()
    tamper(database_url, "UPDATE audit_entries SET actor_name = 'x' WHERE seq = 2")
    result = run("verify")
    assert result.exit_code == 1
    assert result.output.startswith("FAULT seq 2: mac mismatch")


def test_verify_is_audited_after_the_result_is_known(run, session):
    append(session, 2)
    assert run("verify").exit_code == 0
    entry = newest(session)
    assert entry.action == "audit.verify"
    payload = json.loads(entry.payload)
    # The verification saw the two entries before its own, and said so.
    assert (payload["ok"], payload["count"], payload["head_seq"]) == (True, 2, 2)
    assert run("verify").output.startswith("ok: 3 entries")


def test_a_failed_verification_is_audited_too(run, session, database_url):
    append(session, 2)
    session.rollback()
    tamper(database_url, "UPDATE audit_entries SET action = 'x' WHERE seq = 1")
    run("verify")
    entry = newest(session)
    assert entry.action == "audit.verify"
    assert json.loads(entry.payload)["ok"] is False


def test_checkpoint_writes_a_signed_file_that_verify_then_checks(run, session, instance):
    append(session, 3)
    result = run("checkpoint")
    assert result.exit_code == 0, result.output
    files = list((instance / "checkpoints").glob("*.json"))
    assert len(files) == 1 and str(files[0]) in result.output
    assert json.loads(files[0].read_text())["seq"] == 3
    assert actions(session)[-1] == "audit.checkpoint"
    verified = run("verify")
    assert verified.exit_code == 0
    assert "1 checkpoint(s) match" in verified.output


def test_verify_by_default_catches_a_deleted_tail_through_the_instance_checkpoints(
    run, session, database_url
):
    append(session, 4)
    assert run("checkpoint").exit_code == 0
    session.rollback()
    tamper(database_url, "DELETE FROM audit_entries WHERE seq >= 4")
    result = run("verify")
    assert result.exit_code == 1
    assert result.output.startswith("FAULT seq 4: tail missing")
    skipped = run("verify", "--no-instance-checkpoints")
    assert skipped.exit_code == 0  # what the chain alone can see


def test_verify_checks_a_checkpoint_given_on_the_command_line(run, session, database_url, tmp_path):
    append(session, 3)
    offsite = tmp_path / "offsite"
    assert run("checkpoint", "--out", str(offsite)).exit_code == 0
    (file,) = offsite.glob("*.json")
    session.rollback()
    tamper(database_url, "DELETE FROM audit_entries WHERE seq >= 3")
    result = run("verify", "--checkpoint", str(file))
    assert result.exit_code == 1
    assert result.output.startswith("FAULT seq 3: tail missing")
    assert run("verify", "--no-instance-checkpoints").exit_code == 0  # the chain alone


def test_verify_fails_on_a_forged_checkpoint(run, session, instance):
    append(session, 2)
    run("checkpoint")
    (file,) = (instance / "checkpoints").glob("*.json")
    file.write_text(file.read_text().replace('"seq": 2', '"seq": 1'))
    result = run("verify")
    assert result.exit_code == 1
    assert "bad checkpoint" in result.output


def test_checkpoint_is_refused_for_a_broken_chain(run, session, database_url, instance):
    append(session, 3)
    session.rollback()
    tamper(database_url, "DELETE FROM audit_entries WHERE seq = 2")
    result = run("checkpoint")
    assert result.exit_code == 1
    assert not list((instance / "checkpoints").glob("*.json"))


def test_export_csv_writes_every_entry_neutralised_and_is_audited(run, session, tmp_path):
    audit.record(session, None, "cable.view", ("cable", '=HYPERLINK("x")'), {"n": 1})
    audit.record(session, None, "cable.view", ("cable", "@SUM(A1)"), {"n": 2})
    session.commit()
    out = tmp_path / "log.csv"
    result = run("export", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [row["seq"] for row in rows] == ["1", "2"]
    assert [row["object_id"] for row in rows] == ['\'=HYPERLINK("x")', "'@SUM(A1)"]
    assert json.loads(rows[0]["payload"]) == {"n": 1}
    last = newest(session)
    assert last.action == "audit.export"
    assert json.loads(last.payload)["count"] == 2


def test_export_jsonl_to_stdout_carries_what_is_needed_to_recheck_the_macs(run, session):
    append(session, 3)
    result = run("export", "--format", "jsonl")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["seq"] for line in lines] == [1, 2, 3]
    key = bytes.fromhex(TEST_AUDIT_KEY)
    for line in lines:
        body = {name: line[name] for name in line if name not in ("prev_mac", "mac")}
        assert audit.compute_mac(key, line["prev_mac"], body) == line["mac"]
    assert actions(session)[-1] == "audit.export"


def test_export_refuses_an_unknown_format(run):
    result = run("export", "--format", "xml")
    assert result.exit_code == 2
