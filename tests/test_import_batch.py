"""The batch importer's chunks: stored without per-file savepoints, exactly as file by file.

A chunk is parsed before its transaction and written with one statement per table; a file
the database refuses sends its chunk back through the one-file path, so that file is named
and the others still land. These tests hold the batch to the guarantees of that path.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError

from redactor import accounts, audit
from redactor.cables import service
from redactor.cables.search import search_cables
from redactor.cables.service import ImportStatus, import_batch, iter_import_sources
from redactor.db import make_engine, make_session_factory
from redactor.models import AuditEntry, Cable, CableStatus, CableVersion, Portion
from redactor.review.policy import Level, Role
from tests.conftest import fresh_database
from tests.fixtures_store import (
    BAD_CABLES_DIR,
    FIXTURE_CABLE_COUNT,
    FIXTURE_CABLES_DIR,
    MAX_BYTES,
    cable_text,
)
from tests.test_import_service import BAD_FILES, GOOD_IN_ZIP, MIXED_ZIP


def write(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def run(factory, *paths, actor_id=None, **kwargs):
    return import_batch(
        factory, actor_id, iter_import_sources(paths), max_bytes=MAX_BYTES, **kwargs
    )


def counts(session) -> dict[str, int]:
    result = {
        model.__tablename__: session.scalar(select(func.count()).select_from(model))
        for model in (Cable, CableVersion, Portion, AuditEntry)
    }
    session.rollback()  # on SQLite a read holds the write lock the batch needs
    return result


def verified(session) -> audit.VerifyReport:
    report = audit.verify(session, session.info["audit_key"])
    session.rollback()
    return report


@pytest.fixture
def factory(app):
    return app.extensions["redactor.sessions"]


@pytest.fixture
def refuse_poison(database_url, session):
    """Make the database refuse any version whose source name contains ``poison``."""
    session.rollback()
    engine = make_engine(database_url)
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.execute(text(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON cable_versions "
                "WHEN NEW.source_name LIKE '%poison%' "
                "BEGIN SELECT RAISE(ABORT, 'poisoned for the test'); END"
            ))
        else:
            conn.execute(text(
                "CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ "
                "BEGIN IF NEW.source_name LIKE '%poison%' THEN RAISE EXCEPTION "
                "'poisoned for the test' USING ERRCODE = 'check_violation'; END IF; "
                "RETURN NEW; END $$"
            ))
            conn.execute(text(
                "CREATE TRIGGER refuse_poison BEFORE INSERT ON cable_versions "
                "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
            ))
    engine.dispose()


def test_a_file_the_database_refuses_is_named_and_the_rest_of_its_chunk_lands(
    factory, session, tmp_path, refuse_poison
):
    for number in range(1, 8):
        name = f"{number}.txt" if number != 4 else "4-poison.txt"
        write(tmp_path, name, cable_text(f"09GOOD{number}"))
    seen: list[tuple[int, str]] = []

    summary = run(
        factory, tmp_path, chunk_size=3, progress=lambda done, o: seen.append((done, o.name))
    )

    assert (summary.imported, summary.failed) == (6, 1)
    (failure,) = summary.failures
    assert failure.error.startswith(f"{tmp_path.name}/4-poison.txt: the database refused it (")
    assert "poisoned for the test" in failure.error and failure.reference_id == "09GOOD4"
    assert [done for done, _ in seen] == list(range(1, 8))  # every file, in order
    # Nothing of the refused file, all of the others, and one sound chain.
    assert session.scalar(select(func.count()).where(Cable.reference_id == "09GOOD4")) == 0
    assert counts(session) == {
        "cables": 6, "cable_versions": 6, "portions": 12, "audit_entries": 6
    }
    assert verified(session).ok


def test_the_same_cable_twice_in_a_chunk_is_compared_with_what_the_first_stored(
    factory, session, tmp_path, make_user
):
    reader = make_user("reader", roles=(Role.REVIEWER,), clearance=Level.TOP_SECRET)[0]
    first = cable_text("09TWICE1", body="1. (C) The alpacaword version.")
    write(tmp_path, "a.txt", first)
    write(tmp_path, "b.txt", first)
    write(tmp_path, "c.txt", cable_text("09TWICE1", "SECRET", body="1. (S) The llamaword one."))
    write(tmp_path, "d.txt", cable_text("09OTHER1"))

    summary = run(factory, tmp_path)

    assert (summary.imported, summary.unchanged, summary.new_versions) == (2, 1, 1)
    cable = session.scalars(select(Cable).where(Cable.reference_id == "09TWICE1")).one()
    assert (cable.current_version, cable.classification) == (2, "SECRET")
    top = tmp_path.name  # names are relative to the folder given
    assert [v.source_name for v in cable.versions] == [f"{top}/a.txt", f"{top}/c.txt"]
    entries = session.execute(
        select(AuditEntry.action, AuditEntry.payload).order_by(AuditEntry.seq)
    ).all()[1:]  # after the user's creation
    assert [action for action, _ in entries] == [
        "cable.import", "cable.new_version", "cable.import"
    ]
    assert '"source":"' + f"{tmp_path.name}/c.txt" in entries[1][1]
    # The index holds the current text only.
    assert [h.reference_id for h in search_cables(session, reader, "llamaword").hits] == [
        "09TWICE1"
    ]
    assert search_cables(session, reader, "alpacaword").total == 0
    session.rollback()
    assert verified(session).ok


def test_changed_texts_in_a_batch_become_new_versions_and_reopen_review(
    factory, session, tmp_path
):
    statuses = [CableStatus.NEW, CableStatus.IN_REVIEW, CableStatus.READY, CableStatus.RELEASED]
    for number in range(len(statuses)):
        write(tmp_path / "v1", f"{number}.txt", cable_text(f"09CHANGE{number}"))
        write(tmp_path / "v2", f"{number}.txt", cable_text(f"09CHANGE{number}", subject="NEW"))
    write(tmp_path / "v2", "9.txt", cable_text("09CHANGE9"))
    run(factory, tmp_path / "v1")
    for number, status in enumerate(statuses):
        session.execute(
            update(Cable).where(Cable.reference_id == f"09CHANGE{number}").values(status=status)
        )
    session.commit()

    summary = run(factory, tmp_path / "v2")
    again = run(factory, tmp_path / "v2")

    assert (summary.new_versions, summary.imported) == (len(statuses), 1)
    assert (again.unchanged, again.total) == (len(statuses) + 1, len(statuses) + 1)
    cables = {
        c.reference_id: c
        for c in session.scalars(select(Cable).execution_options(populate_existing=True))
    }
    assert [cables[f"09CHANGE{n}"].status for n in range(len(statuses))] == [
        CableStatus.NEW, CableStatus.IN_REVIEW, CableStatus.IN_REVIEW, CableStatus.IN_REVIEW
    ]
    assert all(cables[f"09CHANGE{n}"].subject == "NEW" for n in range(len(statuses)))
    assert all(cables[f"09CHANGE{n}"].row_version == 2 for n in range(len(statuses)))
    reopened = session.scalars(
        select(AuditEntry.payload)
        .where(AuditEntry.action == "cable.new_version")
        .order_by(AuditEntry.seq)
    ).all()
    assert ['"status_to":"in_review"' in payload for payload in reopened] == [
        False, False, True, True
    ]
    assert counts(session)["cable_versions"] == 2 * len(statuses) + 1
    assert verified(session).ok


def test_a_chunk_closes_early_when_its_texts_reach_the_budget(
    factory, session, monkeypatch, tmp_path
):
    for number in range(1, 6):
        write(tmp_path, f"{number}.txt", cable_text(f"09BUDGET{number}"))
    monkeypatch.setattr(service, "CHUNK_TEXT_BUDGET", 2 * len(cable_text("09BUDGET1")))
    committed: list[int] = []

    def progress(done, outcome):
        with factory() as other:
            committed.append(other.scalar(select(func.count()).select_from(Cable)))

    run(factory, tmp_path, chunk_size=200, progress=progress)

    assert committed == [2, 2, 4, 4, 5]


# --------------------------------------------------------------------------- equivalence


@pytest.fixture
def second_database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    """Another fresh, migrated database, as the ``database_url`` fixture makes them."""
    with fresh_database(template_database, tmp_path / "second.sqlite3") as url:
        yield url


def _snapshot(session) -> dict[str, list]:
    """Every stored row of an import, with row ids and times replaced by what they name."""
    refs = dict(session.execute(select(Cable.id, Cable.reference_id)).all())
    versions = {
        v.id: (refs[v.cable_id], v.number) for v in session.scalars(select(CableVersion))
    }
    snapshot = {
        "cables": sorted(
            (c.reference_id, c.classification, c.level, c.origin, c.subject, c.tags,
             c.created, c.status, c.current_version, c.row_version)
            for c in session.scalars(select(Cable))
        ),
        "versions": sorted(
            (refs[v.cable_id], v.number, v.text, v.sha256, repr(v.parsed), v.source_name,
             v.imported_by_id)
            for v in session.scalars(select(CableVersion))
        ),
        "portions": sorted(
            (versions[p.version_id], p.index, p.kind, p.number, p.marking, p.level, p.start,
             p.end)
            for p in session.scalars(select(Portion))
        ),
        "audit": [
            (e.seq, e.actor_id, e.actor_name, e.action, e.object_type,
             refs[int(e.object_id)] if e.object_type == "cable" else e.object_id,
             e.payload, e.client_addr)
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
        ],
    }
    session.rollback()
    return snapshot


def test_the_batch_stores_exactly_what_the_one_file_path_stores(
    factory, session, second_database_url, tmp_path, monkeypatch
):
    engine = make_engine(second_database_url)
    one_by_one = make_session_factory(engine, audit_key=session.info["audit_key"])
    user_ids = set()
    for each in (factory, one_by_one):
        with each() as setup:
            password = accounts.generate_password("importer")
            user = accounts.create_user(setup, None, "importer", password, [Role.ADMIN], 3)
            setup.commit()
            user_ids.add(user.id)
    (actor_id,) = user_ids
    changed = tmp_path / "changed"
    some = sorted(FIXTURE_CABLES_DIR.glob("*.txt"))[:6]
    for path in some:
        # Sorted folders: the same texts first (unchanged), then changed ones.
        write(changed, f"a_same/{path.name}", path.read_text(encoding="utf-8"))
        write(changed, f"b_more/{path.name}", path.read_text(encoding="utf-8") + "\nADDED\n")
    ready = [path.stem for path in some[::2]]  # reopened by their new version
    write(changed, "twice/1.txt", cable_text("09TWICE2"))
    write(changed, "twice/2.txt", cable_text("09TWICE2", subject="AGAIN"))
    first = (FIXTURE_CABLES_DIR, BAD_CABLES_DIR, MIXED_ZIP)

    def import_all(each):
        outcomes = []
        keep = outcomes.append
        run(each, *first, actor_id=actor_id, chunk_size=50, progress=lambda _, o: keep(o))
        with each() as between:
            between.execute(
                update(Cable).where(Cable.reference_id.in_(ready)).values(status=CableStatus.READY)
            )
            between.commit()
        run(each, changed, actor_id=actor_id, chunk_size=50, progress=lambda _, o: keep(o))
        return outcomes

    batched = import_all(factory)
    with monkeypatch.context() as patched:
        # Every chunk refused: each goes through the one-file path, savepoint by savepoint.
        def refuse(*args):
            raise IntegrityError("INSERT", {}, Exception("refused for the test"))

        patched.setattr(service, "_store_chunk", refuse)
        by_file = import_all(one_by_one)

    try:
        assert batched == by_file
        statuses = [o.status for o in batched]
        assert statuses.count(ImportStatus.IMPORTED) == FIXTURE_CABLE_COUNT + GOOD_IN_ZIP + 1
        assert statuses.count(ImportStatus.FAILED) == len(BAD_FILES)
        assert statuses.count(ImportStatus.NEW_VERSION) == 6 + 1
        assert statuses.count(ImportStatus.UNCHANGED) == 6
        with one_by_one() as other:
            assert _snapshot(session) == _snapshot(other)
            assert verified(other).ok
        assert verified(session).ok
    finally:
        engine.dispose()
