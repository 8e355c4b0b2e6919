"""A change and its audit entry land together or not at all.

The change used here is the creation of a user row: the smallest write that has an entry of
its own. What is proven holds for any service, since each one writes in the caller's
transaction and never commits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from redactor import audit
from redactor.models import AuditEntry, User

ROOT = Path(__file__).resolve().parent.parent

# Writes a user and its entry, flushes both, says so, then waits to be killed before commit.
_KILLED_WRITER = """
import os, sys, time
from redactor import audit
from redactor.db import make_engine, make_session_factory
from redactor.models import User

engine = make_engine(os.environ["AUDIT_TEST_URL"])
session = make_session_factory(engine, audit_key=bytes.fromhex(os.environ["AUDIT_TEST_KEY"]))()
user = User(username="never_committed", password_hash="x")
session.add(user)
session.flush()
audit.record(session, None, "user.create", ("user", user.id), {"username": user.username})
print("flushed", flush=True)
time.sleep(60)
session.commit()
"""


def _new_user(session, name: str) -> User:
    user = User(username=name, password_hash="x")
    session.add(user)
    session.flush()
    return user


def _counts(session) -> tuple[int, int]:
    users = session.scalar(select(func.count()).select_from(User))
    entries = session.scalar(select(func.count()).select_from(AuditEntry))
    session.rollback()
    return users, entries


def test_a_change_that_fails_after_its_entry_leaves_neither(session):
    _new_user(session, "taken")
    session.commit()
    before = _counts(session)

    audit.record(session, None, "user.create", ("user", "taken"), {"username": "taken"})
    with pytest.raises(IntegrityError):
        _new_user(session, "taken")  # unique username: the change itself fails
    session.rollback()

    assert _counts(session) == before


def test_an_entry_that_fails_after_its_change_leaves_neither(session, monkeypatch):
    audit.record(session, None, "setup")
    session.commit()
    existing_mac = audit.head(session).mac
    before = _counts(session)

    user = _new_user(session, "half_done")
    # The entry's write fails in the database (its MAC collides with a stored one).
    monkeypatch.setattr(audit, "compute_mac", lambda *_args: existing_mac)
    with pytest.raises(IntegrityError):
        audit.record(session, None, "user.create", ("user", user.id))
    session.rollback()

    assert _counts(session) == before
    assert session.scalar(select(User).where(User.username == "half_done")) is None


def test_a_process_killed_before_commit_leaves_neither_change_nor_entry(session, database_url):
    audit.record(session, None, "setup")
    session.commit()
    before = _counts(session)

    env = {
        **os.environ,
        "AUDIT_TEST_URL": database_url,
        "AUDIT_TEST_KEY": session.info["audit_key"].hex(),
        "PYTHONPATH": str(ROOT),
    }
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "flushed", child.stderr.read()
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()

    assert _counts(session) == before
    # The dead writer's locks are gone: the chain goes on and still verifies.
    audit.record(session, None, "after")
    session.commit()
    report = audit.verify(session, session.info["audit_key"])
    assert report.ok and report.head_seq == 2, report.summary()
