"""Benchmark the review page: ms per request for a ~30 KB cable with 50 proposals.

``python -m bench.review_page [--requests 300] [--size 30000] [--proposals 50]
[--as anna|rita] [--gunicorn [--clients 8]]``

Setup (SQLite in a temporary folder, not timed): a cable of about ``--size`` bytes built from
the fixture paragraphs (:func:`bench.pdf.big_cable`) is imported, and ``--proposals``
proposals are made on it by a reviewer, one word each, spread over its portions; every
third is approved by an approver, every fifth carries a comment, and half of the portions
are marked reviewed. Then ``GET /cables/<ref>`` is fetched ``--requests`` times, by default
as the approver anna (who sees approve/reject forms on every pending proposal), or with
``--as rita`` as the proposer (edit and withdraw forms on her own proposals):

1. through the Flask test client, in this process;
2. with ``--gunicorn``, from ``gunicorn`` with 2 workers on 127.0.0.1: sequential requests
   over one keep-alive connection, or with ``--clients N``, N clients at once, each with
   its own connection and session, sharing the requests.

Reported: p50, p90 and p99 of the wall-clock time per request, the page size, and for the
test client the CPU time of this process per request (steadier than wall-clock time on a
shared machine) and the number of SQL statements one page takes (counted with an engine
event: it must not grow with the number of proposals); for gunicorn, the requests served
per second.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import event, select

from bench import cpu_model
from bench.pdf import big_cable
from redactor.accounts import service as accounts
from redactor.cables.service import import_cable
from redactor.models import Cable, Portion
from redactor.redaction import service as redactions
from redactor.review import service as review
from redactor.review.policy import Level, Role
from redactor.web import create_app

REFERENCE = "09STATE52368"
PASSWORD = "bench-password-0123456789"
AUDIT_KEY = "5e" * 32
SECRET = "bench-secret-key-not-for-production"


def percentile(values: list[float], share: float) -> float:
    """The ``share`` (0..1) percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def setup(instance: Path, size: int, proposals: int) -> dict:
    """Build the database; returns the app settings."""
    settings = {
        "INSTANCE": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}",
        "SECRET_KEY": SECRET,
        "AUDIT_KEY": AUDIT_KEY,
        "ARGON2_PROFILE": "test",
    }
    from redactor.migrations import upgrade_database

    upgrade_database(settings["DATABASE_URL"])
    return {**settings, **seed(settings, size, proposals)}


def seed(settings: dict, size: int, proposals: int) -> dict:
    """Users rita (reviewer), anna and abby (approvers), and the cable :data:`REFERENCE` of about
    ``size`` characters with ``proposals`` proposals, in the database of ``settings``."""
    app = create_app(settings)
    session = app.extensions["redactor.sessions"]()
    accounts.set_hash_profile("test")
    rita = accounts.create_user(session, None, "rita", PASSWORD, [Role.REVIEWER], Level.SECRET)
    anna = accounts.create_user(session, None, "anna", PASSWORD, [Role.APPROVER], Level.SECRET)
    abby = accounts.create_user(session, None, "abby", PASSWORD, [Role.APPROVER], Level.SECRET)
    text = big_cable(size)
    import_cable(session, None, f"{REFERENCE}.txt", text.encode(), max_bytes=10**7)
    session.commit()
    cable = session.scalars(select(Cable).where(Cable.reference_id == REFERENCE)).one()
    portions = session.scalars(
        select(Portion).where(Portion.version_id == cable.versions[-1].id).order_by(Portion.index)
    ).all()
    words = []
    for portion in portions:
        for match in re.finditer(r"[A-Za-z]{5,}", text[portion.start : portion.end]):
            words.append((portion.start + match.start(), portion.start + match.end()))
    step = max(1, len(words) // proposals)
    chosen = words[::step][:proposals]
    for n, (start, end) in enumerate(chosen):
        made = redactions.propose(session, rita, cable, start=start, end=end, codes=["B6"],
                                  rationale=f"name {n}")
        session.commit()
        if n % 5 == 0:
            redactions.comment(session, anna, made, "Is this a public figure?")
            session.commit()
        if n % 3 == 0:
            redactions.approve(session, abby, made, expected_row_version=made.row_version)
            session.commit()
    for portion in portions[::2]:
        review.mark_portion_reviewed(session, rita, cable, portion.index)
        session.commit()
    session.close()
    app.extensions["redactor.engine"].dispose()
    return {"size": len(text), "proposals": len(chosen)}


def login(client, username: str = "anna") -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token})
    assert response.status_code == 302, response.status_code


def bench_test_client(settings: dict, requests: int, username: str = "anna") -> dict:
    app = create_app({k: v for k, v in settings.items() if k.isupper()})
    client = app.test_client()
    login(client, username)
    statements = []
    engine = app.extensions["redactor.engine"]

    def count(*_args, **_kwargs):
        statements.append(1)

    url = f"/cables/{REFERENCE}"
    for _ in range(5):
        client.get(url)
    event.listen(engine, "before_cursor_execute", count)
    page = client.get(url)
    event.remove(engine, "before_cursor_execute", count)
    assert page.status_code == 200
    size = len(page.get_data())
    times, cpu = [], []
    for _ in range(requests):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        response.get_data()
        times.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    return {"times": times, "cpu": cpu, "size": size, "statements": len(statements)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _signed_in(http, base: str, username: str):
    client = http.Session()
    page = client.get(f"{base}/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(f"{base}/login", data={"username": username, "password": PASSWORD,
                                                   "csrf_token": token},
                           allow_redirects=False)
    assert response.status_code == 302, response.status_code
    return client


def bench_gunicorn(settings: dict, requests: int, username: str = "anna",
                   clients: int = 1) -> dict:
    import requests as http

    port = _free_port()
    env = {**os.environ, **{f"REDACTOR_{k}": str(v) for k, v in settings.items() if k.isupper()}}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", "redactor.web:create_app()"],
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                http.get(f"{base}/login", timeout=10)
                break
            except http.RequestException:
                time.sleep(0.2)
        url = f"{base}/cables/{REFERENCE}"
        sessions = [_signed_in(http, base, username) for _ in range(clients)]
        for client in sessions:
            for _ in range(5):
                client.get(url)
        times: list[float] = []
        sizes: list[int] = []
        failures: list[BaseException] = []

        def run(client, count: int) -> None:
            try:
                for _ in range(count):
                    began = time.perf_counter()
                    response = client.get(url)
                    assert response.status_code == 200, response.status_code
                    times.append((time.perf_counter() - began) * 1000)
                    sizes.append(len(response.content))
            except BaseException as exc:  # reported by the main thread
                failures.append(exc)

        shares = [requests // clients + (n < requests % clients) for n in range(clients)]
        threads = [threading.Thread(target=run, args=(client, share))
                   for client, share in zip(sessions, shares, strict=True)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        if failures:
            raise failures[0]
        return {"times": times, "size": sizes[-1], "statements": None,
                "rate": len(times) / elapsed}
    finally:
        server.terminate()
        server.wait(timeout=10)


def report(name: str, result: dict) -> None:
    times = result["times"]
    print(
        f"{name}: p50 {percentile(times, .5):.1f} ms, p90 {percentile(times, .9):.1f} ms, "
        f"p99 {percentile(times, .99):.1f} ms, mean {statistics.fmean(times):.1f} ms "
        f"over {len(times)} requests; page {result['size'] / 1024:.0f} KB"
        + (f"; CPU p50 {percentile(result['cpu'], .5):.1f} ms" if result.get("cpu") else "")
        + (f"; {result['statements']} SQL statements" if result["statements"] else "")
        + (f"; {result['rate']:.0f} requests/s" if result.get("rate") else "")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the review page.")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--size", type=int, default=30_000)
    parser.add_argument("--proposals", type=int, default=50)
    parser.add_argument("--as", dest="username", choices=("anna", "rita"), default="anna",
                        help="view as the approver anna (default) or the proposer rita")
    parser.add_argument("--gunicorn", action="store_true")
    parser.add_argument("--clients", type=int, default=1,
                        help="concurrent clients of gunicorn (default 1: sequential)")
    args = parser.parse_args(argv)
    instance = Path(tempfile.mkdtemp(prefix="redactor-bench-"))
    try:
        settings = setup(instance, args.size, args.proposals)
        print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {cpu_model()}")
        print(f"cable {settings['size']:,} chars, {settings['proposals']} proposals")
        report(f"test client, as {args.username}",
               bench_test_client(settings, args.requests, args.username))
        if args.gunicorn:
            clients = max(1, args.clients)
            report(f"gunicorn, 2 workers, {clients} client{'s' if clients > 1 else ''}",
                   bench_gunicorn(settings, args.requests, args.username, clients))
    finally:
        shutil.rmtree(instance, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
