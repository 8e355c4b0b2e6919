"""Benchmark the batch importer: N generated cables into a fresh database.

``python -m bench.import_cables --count N [--db sqlite|postgresql] [--chunk-size 200]
[--sizes fixtures|real] [--again]``

The cables come from :mod:`bench.corpus`: fixture cables of ``tests/data/cables`` (cycled,
or picked for the sizes of real cables with ``--sizes real``), each with a distinct
reference id on line 1 and a few words varied, written to a temporary folder first. They
are then imported with :func:`redactor.cables.service.import_batch` (all of it: decode,
parse, store, portions, search index, audit chain, a commit every ``--chunk-size`` files),
and the rate and the process's peak resident memory (``ru_maxrss``) are reported at 10 %,
50 % and 100 % of the run: memory that stays flat as the batch grows shows up as equal
figures.

With ``--again`` the same folder is then imported a second time (every file must come back
``unchanged``, with no row and no audit entry written) and the audit chain is verified, each
timed.

SQLite: a database file in the temporary folder. PostgreSQL: a throw-away database created
on the server named by ``--pg-admin-url`` (default: ``REDACTOR_TEST_POSTGRES_URL``) and
dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import cpu_model
from bench.corpus import generate
from redactor import audit
from redactor.cables.service import ImportOutcome, import_batch, iter_import_sources
from redactor.db import make_engine, make_session_factory
from redactor.migrations import upgrade_database

__all__ = [
    "cpu_model", "create_pg_database", "drop_pg_database", "generate", "import_in_child",
    "run_import", "run_again",
]

MAX_BYTES = 5 * 1024 * 1024


def peak_rss_mb() -> float:
    """The peak resident set size of this process, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def create_pg_database(admin_url: str) -> tuple[str, str]:
    """Create a throw-away database on the server of ``admin_url``; returns (name, url)."""
    database = f"redactor_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        admin.dispose()
    return database, make_url(admin_url).set(database=database).render_as_string(False)


def drop_pg_database(admin_url: str, database: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def run_import(
    url: str,
    folder: Path,
    count: int,
    *,
    chunk_size: int = 200,
    audit_key: bytes | None = None,
    report: Callable[[str], None] = print,
) -> dict:
    """Migrate ``url`` and import the ``count`` cables under ``folder``; returns the figures.

    Peak RSS is this process's: run it in a fresh process for a figure of the import alone.
    """
    upgrade_database(url)
    engine = make_engine(url)
    factory = make_session_factory(engine, audit_key=audit_key or os.urandom(32))
    marks = {max(1, count * share // 10): share * 10 for share in (1, 5, 10)}
    rss: dict[str, float] = {}
    t0 = time.perf_counter()
    c0 = time.process_time()

    def progress(done: int, outcome: ImportOutcome) -> None:
        if done in marks:
            elapsed = time.perf_counter() - t0
            cpu = time.process_time() - c0
            rss[f"{marks[done]}%"] = round(peak_rss_mb(), 1)
            report(
                f"  {marks[done]:3d} %: {done:>8,} cables  {elapsed:7.1f} s "
                f"(CPU {cpu:7.1f} s)  {done / elapsed:5.0f} cables/s  "
                f"peak RSS {peak_rss_mb():6.1f} MiB"
            )

    try:
        summary = import_batch(
            factory,
            None,
            iter_import_sources([folder]),
            max_bytes=MAX_BYTES,
            chunk_size=chunk_size,
            progress=progress,
        )
    finally:
        engine.dispose()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {
        "summary": summary.line(),
        "ok": summary.ok,
        "cables": count,
        "wall_s": round(elapsed, 2),
        "cpu_s": round(cpu, 2),
        "cables_per_s": round(count / elapsed, 1),
        "peak_rss_mib": rss,
    }


def run_again(
    url: str,
    folder: Path,
    count: int,
    *,
    audit_key: bytes,
    chunk_size: int = 200,
    report: Callable[[str], None] = print,
) -> dict:
    """Import ``folder`` into ``url`` a second time, then verify the audit chain with
    ``audit_key`` (the key of the first import); returns the figures of both steps.

    ``ok`` is true only if every file came back unchanged, no audit entry was written, and
    the chain verifies.
    """
    engine = make_engine(url)
    factory = make_session_factory(engine, audit_key=audit_key)
    try:
        with factory() as session:
            before = audit.chain_head_summary(session)
        t0, c0 = time.perf_counter(), time.process_time()
        summary = import_batch(
            factory, None, iter_import_sources([folder]), max_bytes=MAX_BYTES,
            chunk_size=chunk_size,
        )
        again_wall, again_cpu = time.perf_counter() - t0, time.process_time() - c0
        report(f"  again: {summary.line()} in {again_wall:.1f} s (CPU {again_cpu:.1f} s)")
        t0, c0 = time.perf_counter(), time.process_time()
        with factory() as session:
            verified = audit.verify(session, audit_key)
        verify_wall, verify_cpu = time.perf_counter() - t0, time.process_time() - c0
        report(f"  audit verify: {verified.summary()} in {verify_wall:.1f} s")
    finally:
        engine.dispose()
    return {
        "summary": summary.line(),
        "ok": summary.unchanged == count and verified.ok and verified.head_seq == before["seq"],
        "again_wall_s": round(again_wall, 2),
        "again_cpu_s": round(again_cpu, 2),
        "verify_wall_s": round(verify_wall, 2),
        "verify_cpu_s": round(verify_cpu, 2),
        "audit_entries": verified.count,
    }


def import_in_child(url: str, folder: str, count: int, audit_key: bytes, queue) -> None:
    """:func:`run_import` in a child process (``multiprocessing``): its figures, or the
    error, go to ``queue``."""

    def report(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)

    try:
        queue.put(run_import(url, Path(folder), count, audit_key=audit_key, report=report))
    except BaseException as exc:
        queue.put({"error": repr(exc)})
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=6_712, help="cables to import")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--chunk-size", type=int, default=200, help="files per commit")
    parser.add_argument("--sizes", choices=("fixtures", "real"), default="fixtures",
                        help="fixtures cycled, or picked for the sizes of real cables")
    parser.add_argument("--again", action="store_true",
                        help="then import the same files again and verify the audit chain")
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("REDACTOR_TEST_POSTGRES_URL", ""),
        help="PostgreSQL URL allowed to create a database (for --db postgresql)",
    )
    args = parser.parse_args(argv)
    if args.db == "postgresql" and not args.pg_admin_url:
        parser.error("--db postgresql needs --pg-admin-url or REDACTOR_TEST_POSTGRES_URL")

    folder = Path(tempfile.mkdtemp(prefix="redactor-bench-"))
    database = ""
    try:
        started = time.perf_counter()
        (folder / "cables").mkdir()
        size = generate(folder / "cables", args.count, sizes=args.sizes)
        print(
            f"generated {args.count:,} cables ({size / 1e6:,.1f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        if args.db == "sqlite":
            url = f"sqlite:///{folder / 'bench.sqlite3'}"
        else:
            database, url = create_pg_database(args.pg_admin_url)
        key = os.urandom(32)
        result = run_import(
            url, folder / "cables", args.count, chunk_size=args.chunk_size, audit_key=key
        )
        print(result["summary"])
        print(
            f"import: {args.count:,} cables in {result['wall_s']:.1f} s (this process's CPU: "
            f"{result['cpu_s']:.1f} s, {1000 * result['cpu_s'] / args.count:.2f} ms per cable) "
            f"= {result['cables_per_s']:,.0f} cables/s; peak RSS {peak_rss_mb():.1f} MiB "
            f"({args.db}, chunk {args.chunk_size})"
        )
        ok = result["ok"]
        if args.again:
            again = run_again(
                url, folder / "cables", args.count, audit_key=key, chunk_size=args.chunk_size
            )
            ok = ok and again["ok"]
        print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
        return 0 if ok else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if database:
            drop_pg_database(args.pg_admin_url, database)


if __name__ == "__main__":
    sys.exit(main())
