"""Benchmark a review action's round trip: in place (an htmx fragment) against the old full
reload (POST, redirect, GET of the whole page).

``python -m bench.review_roundtrip [--proposals 50] [--rounds 1]``

Setup (SQLite in a temporary folder, not timed): the sample cable 08STATE116943 (about 30 KB,
shipped in ``redactor/sample_cables``) is imported twice, as itself and as an identical
copy under another reference id, so that each way of answering gets the same cable in the
same state; on each, the reviewer rita proposes ``--proposals`` one-word redactions spread
over its portions. Then, alternating between the two cables action by action (so both
ways share the machine's noise):

- **mark reviewed**: every portion, as rita;
- **approve**: every proposal, as the approver anna (who sees approve/reject forms on every
  pending proposal: the heaviest page).

*In place* is one ``POST`` with ``HX-Request: true`` answered by the fragment; *full reload*
is the same ``POST`` without it, its ``302``, and the ``GET`` of the cable page it
redirects to, which is what the browser did before. Each is timed from the first byte sent
to the last byte read. Reported per action and way: median and p95 of the wall-clock time,
and the bytes of the response bodies (what travels back to the browser; headers left out,
a few hundred bytes either way).

Through the Flask test client, in this process: it measures what the server does and what
it sends, without a network or a second process whose scheduling on a shared machine
would swamp differences of a few milliseconds. A real connection adds a second request's
latency to the full reload, and the browser's parsing and layout of the whole page (and
reloading its scripts and styles from cache), which the fragment avoids: these figures
understate the gain in a browser. ``--rounds`` repeats the whole measure on fresh databases.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from bench import cpu_model
from bench.review_page import AUDIT_KEY, PASSWORD, SECRET, login, percentile
from redactor.accounts import service as accounts
from redactor.cables.service import import_cable
from redactor.models import Cable, Portion, Redaction
from redactor.redaction import service as redactions
from redactor.resources import PACKAGE_DIR
from redactor.review.policy import Level, Role
from redactor.web import create_app

SAMPLE = "08STATE116943"
COPY = "08STATE116999"
HX = {"HX-Request": "true"}


def setup(instance: Path, proposals: int) -> dict:
    """The database of one round: users, both cables, their proposals; the app settings."""
    settings = {
        "INSTANCE": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'bench.sqlite3'}",
        "SECRET_KEY": SECRET,
        "AUDIT_KEY": AUDIT_KEY,
        "ARGON2_PROFILE": "test",
    }
    from redactor.migrations import upgrade_database

    upgrade_database(settings["DATABASE_URL"])
    app = create_app(settings)
    session = app.extensions["redactor.sessions"]()
    accounts.set_hash_profile("test")
    rita = accounts.create_user(session, None, "rita", PASSWORD, [Role.REVIEWER], Level.SECRET)
    accounts.create_user(session, None, "anna", PASSWORD, [Role.APPROVER], Level.SECRET)
    text = (PACKAGE_DIR / "sample_cables" / f"{SAMPLE}.txt").read_text(encoding="utf-8")
    for reference in (SAMPLE, COPY):
        data = text.replace(SAMPLE, reference).encode("utf-8")
        import_cable(session, None, f"{reference}.txt", data, max_bytes=10**7)
        session.commit()
        cable = session.scalars(select(Cable).where(Cable.reference_id == reference)).one()
        version = cable.versions[-1]
        portions = session.scalars(
            select(Portion).where(Portion.version_id == version.id).order_by(Portion.index)
        ).all()
        words = [
            (p.start + m.start(), p.start + m.end())
            for p in portions
            for m in re.finditer(r"[A-Za-z]{5,}", version.text[p.start : p.end])
        ]
        for start, end in words[:: max(1, len(words) // proposals)][:proposals]:
            redactions.propose(session, rita, cable, start=start, end=end, codes=["B6"])
            session.commit()
    size = len(text.encode("utf-8"))
    session.close()
    app.extensions["redactor.engine"].dispose()
    return {**settings, "size": size}


def _token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _in_place(client, url: str, data: dict) -> tuple[float, int]:
    began = time.perf_counter()
    response = client.post(url, data=data, headers=HX)
    body = response.get_data()
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, (response.status_code, body[:300])
    return elapsed, len(body)


def _full_reload(client, url: str, data: dict) -> tuple[float, int]:
    began = time.perf_counter()
    response = client.post(url, data=data)
    sent = len(response.get_data())
    assert response.status_code == 302, response.status_code
    page = client.get(response.headers["Location"].split("#")[0])
    body = page.get_data()
    elapsed = (time.perf_counter() - began) * 1000
    assert page.status_code == 200
    return elapsed, sent + len(body)


def measure(settings: dict) -> dict[tuple[str, str], list[tuple[float, int]]]:
    """One round: every portion marked and every proposal approved, each way."""
    app = create_app({k: v for k, v in settings.items() if k.isupper()})
    session = app.extensions["redactor.sessions"]()
    ways = {"in place": (SAMPLE, _in_place), "full reload": (COPY, _full_reload)}
    results: dict[tuple[str, str], list[tuple[float, int]]] = {}
    clients = {}
    for name in ("rita", "anna"):
        client = app.test_client()
        login(client, name)
        clients[name] = client
    tokens = {(name, ref): _token(clients[name], f"/cables/{ref}")
              for name in clients for ref in (SAMPLE, COPY)}

    def cable_rows(reference: str):
        cable = session.scalars(select(Cable).where(Cable.reference_id == reference)).one()
        version = cable.versions[-1]
        portions = session.scalars(
            select(Portion.index).where(Portion.version_id == version.id).order_by(Portion.index)
        ).all()
        pending = session.scalars(
            select(Redaction.id).where(Redaction.version_id == version.id).order_by(Redaction.id)
        ).all()
        session.commit()
        return portions, pending

    rows = {ref: cable_rows(ref) for ref in (SAMPLE, COPY)}
    for ref, call in ways.values():  # warm both paths (templates, caches)
        call(clients["rita"], f"/cables/{ref}/portions/{rows[ref][0][-1]}/reviewed",
             {"csrf_token": tokens[("rita", ref)]})
    for i in range(len(rows[SAMPLE][0]) - 1):
        for way, (ref, call) in ways.items():
            index = rows[ref][0][i]
            results.setdefault(("mark reviewed", way), []).append(call(
                clients["rita"], f"/cables/{ref}/portions/{index}/reviewed",
                {"csrf_token": tokens[("rita", ref)]},
            ))
    for i in range(len(rows[SAMPLE][1])):
        for way, (ref, call) in ways.items():
            redaction_id = rows[ref][1][i]
            row_version = session.get(Redaction, redaction_id).row_version
            session.commit()
            results.setdefault(("approve", way), []).append(call(
                clients["anna"], f"/redactions/{redaction_id}/approve",
                {"csrf_token": tokens[("anna", ref)], "row_version": row_version},
            ))
    session.close()
    app.extensions["redactor.engine"].dispose()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Review action round trip: in place vs reload.")
    parser.add_argument("--proposals", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, {cpu_model()}")
    merged: dict[tuple[str, str], list[tuple[float, int]]] = {}
    size = 0
    for _ in range(max(1, args.rounds)):
        instance = Path(tempfile.mkdtemp(prefix="redactor-bench-"))
        try:
            settings = setup(instance, args.proposals)
            size = settings["size"]
            for key, values in measure(settings).items():
                merged.setdefault(key, []).extend(values)
        finally:
            shutil.rmtree(instance, ignore_errors=True)
    print(f"{SAMPLE}: {size:,} bytes, {args.proposals} proposals; Flask test client")
    for (action, way), values in merged.items():
        times = [t for t, _ in values]
        sizes = [b for _, b in values]
        print(
            f"{action:13} {way:11}: median {statistics.median(times):6.1f} ms, "
            f"p95 {percentile(times, .95):6.1f} ms, "
            f"{statistics.median(sizes) / 1024:7.1f} KB back (median) over {len(values)}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
