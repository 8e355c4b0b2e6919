"""GET requests read in read-only transactions: they do not wait for writers, cannot write
by accident, and the reads that must leave a trace still do.

On SQLite a read-only transaction is a deferred ``BEGIN`` under ``PRAGMA query_only``, so it
never takes the write lock; on PostgreSQL it is ``SET TRANSACTION READ ONLY``.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError

from redactor import audit
from redactor.db import allow_writes, is_read_only, read_only
from redactor.models import AuditEntry, Cable, User
from redactor.review.policy import Level, Role


@pytest.fixture
def reader(app):
    """A second session, as a request would open it."""
    with app.extensions["redactor.sessions"]() as other:
        yield other


def test_a_write_in_a_read_only_session_is_refused(session, make_user, reader):
    user, _ = make_user("rosa")
    read_only(reader)
    assert reader.get(User, user.id).username == "rosa"
    with pytest.raises(DBAPIError):
        reader.execute(update(User).where(User.id == user.id).values(display_name="changed"))
    reader.rollback()
    session.expire_all()
    assert session.get(User, user.id).display_name == ""


def test_allow_writes_ends_the_read_and_the_write_lands(session, make_user, reader):
    user, _ = make_user("rosa")
    read_only(reader)
    loaded = reader.get(User, user.id)
    allow_writes(reader)
    assert not is_read_only(reader)
    loaded.display_name = "Rosa R."  # loaded in the read transaction, still usable
    reader.commit()
    session.expire_all()
    assert session.get(User, user.id).display_name == "Rosa R."


def test_an_audit_entry_from_a_read_only_session_lands_and_the_chain_verifies(
    session, reader, app
):
    read_only(reader)
    before = reader.scalar(select(func.count()).select_from(AuditEntry))
    audit.record(reader, None, "cable.view", ("cable", "09TEST1"), {"version": 1})
    reader.commit()
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
    assert audit.verify(session, session.info["audit_key"]).ok


def test_pages_load_while_a_writer_holds_its_transaction(
    app, client, session, make_user, make_cable, login
):
    # With every transaction taking the write lock, these GETs would wait for the writer
    # (and fail with "database is locked" after the busy timeout).
    make_cable("09TEST1", "UNCLASSIFIED")
    make_cable("09TEST2", "SECRET")
    _, password = make_user("rosa", roles=(Role.REVIEWER,), clearance=Level.SECRET)
    login(client, "rosa", password)
    with app.extensions["redactor.sessions"]() as writer:
        audit.record(writer, None, "test.hold", ("cable", "09TEST2"), {})  # holds the lock
        listing = client.get("/cables")
        # Unclassified results only: a snippet of a classified cable is a view that is
        # audited (issue 13, #8), and that write waits for the writer like any other.
        found = client.get("/cables?q=test&classification=UNCLASSIFIED")
        page = client.get("/cables/09TEST1")
        writer.rollback()
    assert listing.status_code == 200 and "09TEST2" in listing.get_data(as_text=True)
    assert found.status_code == 200
    assert page.status_code == 200


def test_viewing_a_classified_cable_by_get_is_still_audited(
    client, session, make_user, make_cable, login
):
    make_cable("09TEST2", "SECRET")
    _, password = make_user("rosa", roles=(Role.REVIEWER,), clearance=Level.SECRET)
    login(client, "rosa", password)
    assert client.get("/cables/09TEST2").status_code == 200
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "cable.view")
    ).one()
    cable = session.scalars(select(Cable).where(Cable.reference_id == "09TEST2")).one()
    assert (entry.actor_name, entry.object_id) == ("rosa", str(cable.id))
    assert audit.verify(session, session.info["audit_key"]).ok


def test_a_writer_that_cannot_get_the_lock_fails_as_locked_after_the_busy_timeout(
    app, session, monkeypatch
):
    # SQLite only in effect (PostgreSQL writers queue on row locks, not one database lock),
    # but harmless there: the second writer simply proceeds.
    monkeypatch.setattr("redactor.db.SQLITE_BUSY_TIMEOUT_MS", 200)
    factory = app.extensions["redactor.sessions"]
    with factory() as first, factory() as second:
        first.execute(update(User).where(User.id == -1).values(display_name="x"))
        if first.get_bind().dialect.name == "sqlite":
            with pytest.raises(DBAPIError, match="locked"):
                second.execute(update(User).where(User.id == -1).values(display_name="y"))
            second.rollback()
        first.rollback()
        # The lock released, the waiting writer gets it.
        second.execute(update(User).where(User.id == -1).values(display_name="y"))
        second.commit()
