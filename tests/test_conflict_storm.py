"""Conflicting decisions under load: gunicorn with 4 workers, 8 clients at once.

The proof security.md asks for under (c): many requests carrying the same version of the same
proposal, from several approvers at the very same moment, through the JSON API of a real
multi-process server. Per proposal exactly one decision wins (200); every other request gets
409 (a stale version or an illegal transition); no request fails with a 5xx, nothing says
"database is locked", the audit chain verifies, and on SQLite the database file is intact.

Everything is set up through the services in the test process and committed before gunicorn
starts; gunicorn runs on this test's database (SQLite file or PostgreSQL database).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from redactor import audit
from redactor.accounts import tokens
from redactor.models import AuditEntry, CableVersion, Decision, Redaction, RedactionStatus
from redactor.redaction import service as redactions
from redactor.review.policy import Role
from tests.conftest import TEST_AUDIT_KEY, TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4  # gunicorn processes
CLIENTS = 8  # threads sending requests, all at the same proposal at once
APPROVERS = 4
PROPOSALS = 50  # CLIENTS requests each: 400 requests
DEADLINE_SECONDS = 60
REF = "09STORM1"
WORDS_PER_PORTION = 10


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _body() -> tuple[str, list[str]]:
    """A cable body of portions full of distinct names, and the names."""
    names = [f"STORMNAME{index:03d}" for index in range(PROPOSALS)]
    portions = []
    for number, at in enumerate(range(0, PROPOSALS, WORDS_PER_PORTION), start=1):
        chunk = " ".join(names[at : at + WORDS_PER_PORTION])
        portions.append(f"{number}. (C) Present: {chunk}.")
    return "\n\n".join(portions), names


def _request(port: int, method: str, path: str, secret: str, payload: dict) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            method,
            path,
            body=json.dumps(payload),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def _wait_until_serving(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert process.poll() is None, f"gunicorn exited:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"gunicorn did not start:\n{log.read_text()}"
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                connection.request("GET", "/api/v1/openapi.json")
                if connection.getresponse().status == 200:
                    return
            finally:
                connection.close()
        except OSError:
            pass
        time.sleep(0.2)


@pytest.fixture
def storm_setup(make_user, make_cable, session):
    """The cable with PROPOSALS pending proposals by a reviewer, and an API token for each
    of APPROVERS approvers; all committed. Returns ``(redaction ids, token secrets)``."""
    body, names = _body()
    cable = make_cable(REF, "CONFIDENTIAL", body=body)
    reviewer, _ = make_user("proposer", roles=(Role.REVIEWER,))
    text = session.scalars(
        select(CableVersion.text).where(
            CableVersion.cable_id == cable.id, CableVersion.number == cable.current_version
        )
    ).one()
    ids = []
    for name in names:
        start = text.index(name)
        made = redactions.propose(
            session, reviewer, cable, start=start, end=start + len(name), codes=["B6"]
        )
        ids.append(made.id)
    secrets = []
    for number in range(APPROVERS):
        approver, _ = make_user(f"approver{number}", roles=(Role.APPROVER,))
        _token, secret = tokens.create_token(session, None, approver, "storm")
        secrets.append(secret)
    session.commit()
    return ids, secrets


@pytest.fixture
def gunicorn(storm_setup, database_url, tmp_path):
    """gunicorn with WORKERS workers on this test's database, started once the setup is
    committed; yields ``(port, log path)``."""
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    instance = tmp_path / "gunicorn-instance"
    instance.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("REDACTOR_")}
    env.update(
        REDACTOR_DATABASE_URL=database_url,
        REDACTOR_INSTANCE=str(instance),
        REDACTOR_SECRET_KEY=TEST_SECRET_KEY,
        REDACTOR_AUDIT_KEY=TEST_AUDIT_KEY,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    argv = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(WORKERS),
        "--bind", f"127.0.0.1:{port}",
        "--graceful-timeout", "10",
        "--error-logfile", "-",
        "redactor.web:create_app()",
    ]
    with open(log, "w") as out:
        process = subprocess.Popen(
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path
        )
    try:
        _wait_until_serving(port, process, log)
        yield port, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # pragma: no cover - only if gunicorn hangs
            process.kill()
            process.wait()


def test_conflicting_decisions_from_many_clients_leave_one_decision_per_version(
    storm_setup, gunicorn, session, database_url
):
    ids, secrets = storm_setup
    port, log = gunicorn
    # Client i always speaks as approver i % APPROVERS; the first half approve, the rest
    # reject. All of them carry version 1, the version every proposal has now.
    results: dict[int, list[tuple[int, int, str]]] = {rid: [] for rid in ids}
    lock = threading.Lock()
    barrier = threading.Barrier(CLIENTS, timeout=DEADLINE_SECONDS)
    errors: list[BaseException] = []
    started = time.monotonic()

    def client(index: int) -> None:
        secret = secrets[index % APPROVERS]
        approve = index < CLIENTS // 2
        try:
            for rid in ids:
                barrier.wait()  # everyone at the same proposal at the same moment
                if time.monotonic() - started > DEADLINE_SECONDS:
                    raise TimeoutError("the storm took longer than its deadline")
                path = f"/api/v1/redactions/{rid}/{'approve' if approve else 'reject'}"
                payload = {"version": 1} if approve else {"version": 1, "reason": "storm"}
                status, text = _request(port, "POST", path, secret, payload)
                with lock:
                    results[rid].append((index, status, text))
        except BaseException as exc:  # reported below, after the join
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLINE_SECONDS + 10)
    elapsed = time.monotonic() - started
    assert not any(thread.is_alive() for thread in threads), "clients still running"
    assert errors == [], errors
    assert elapsed < DEADLINE_SECONDS

    server_log = log.read_text()
    statuses = Counter(status for answers in results.values() for _i, status, _t in answers)
    assert sum(statuses.values()) == PROPOSALS * CLIENTS
    assert not [s for s in statuses if s >= 500], (statuses, server_log[-3000:])
    assert set(statuses) <= {200, 409}, statuses
    assert "database is locked" not in server_log
    assert "Traceback" not in server_log, server_log[-3000:]

    winners: dict[int, str] = {}
    for rid, answers in results.items():
        assert len(answers) == CLIENTS
        won = [(i, json.loads(text)) for i, status, text in answers if status == 200]
        assert len(won) == 1, (rid, [(i, s) for i, s, _t in answers])
        for _i, status, text in answers:
            assert "database is locked" not in text
            if status == 409:
                code = json.loads(text)["error"]["code"]
                assert code in {"stale_version", "illegal_transition"}, text
        index, reply = won[0]
        winners[rid] = "approved" if index < CLIENTS // 2 else "rejected"
        assert reply["status"] == winners[rid]

    # The database agrees: one decision per proposal, the winner's, and its audit entry.
    session.expire_all()
    stored = dict(session.execute(select(Redaction.id, Redaction.status)).all())
    decisions = Counter(session.scalars(select(Decision.redaction_id)))
    audited = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action.in_(["redaction.approve", "redaction.reject"]))
    )
    for rid, outcome in winners.items():
        expected = RedactionStatus.APPROVED if outcome == "approved" else RedactionStatus.REJECTED
        assert stored[rid] is expected
        assert decisions[rid] == 1
    assert audited == PROPOSALS
    report = audit.verify(session, bytes.fromhex(TEST_AUDIT_KEY))
    session.rollback()
    assert report.ok, report.summary()

    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        with sqlite3.connect(url.database) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        connection.close()
