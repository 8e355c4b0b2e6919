"""Several processes appending at once leave one unbroken chain (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import select

from redactor import audit
from redactor.models import AuditEntry

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
PER_WORKER = 50

# Each worker opens its own engine, reports ready, waits for "go" so that all start together,
# then appends PER_WORKER entries, one transaction each.
_WORKER = """
import os, sys
from redactor import audit
from redactor.db import make_engine, make_session_factory

engine = make_engine(os.environ["AUDIT_TEST_URL"])
factory = make_session_factory(engine, audit_key=bytes.fromhex(os.environ["AUDIT_TEST_KEY"]))
with engine.connect():
    pass
name = sys.argv[1]
print("ready", flush=True)
sys.stdin.readline()
for number in range(int(os.environ["AUDIT_TEST_COUNT"])):
    with factory() as session:
        audit.record(session, None, "test.append", ("worker", name), {"n": number})
        session.commit()
engine.dispose()
"""


def test_concurrent_appends_from_several_processes_leave_one_verifiable_chain(
    session, database_url
):
    env = {
        **os.environ,
        "AUDIT_TEST_URL": database_url,
        "AUDIT_TEST_KEY": session.info["audit_key"].hex(),
        "AUDIT_TEST_COUNT": str(PER_WORKER),
        "PYTHONPATH": str(ROOT),
    }
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, f"w{index}"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(WORKERS)
    ]
    try:
        for worker in workers:
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        outcomes = [worker.communicate(timeout=120) for worker in workers]
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()

    for worker, (_out, err) in zip(workers, outcomes, strict=True):
        assert "locked" not in err
        assert worker.returncode == 0, err

    rows = session.execute(select(AuditEntry.seq, AuditEntry.object_id)).all()
    assert sorted(seq for seq, _ in rows) == list(range(1, WORKERS * PER_WORKER + 1))
    assert Counter(name for _, name in rows) == {f"w{i}": PER_WORKER for i in range(WORKERS)}
    report = audit.verify(session, session.info["audit_key"])
    assert report.ok, report.summary()
    assert report.count == WORKERS * PER_WORKER
