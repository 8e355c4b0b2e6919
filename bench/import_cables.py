"""Benchmark the batch importer: N generated cables into a fresh database.

``python -m bench.import_cables --count N [--db sqlite|postgresql] [--chunk-size 200]``

The cables are the fixture cables of ``tests/data/cables``, cycled, each with a distinct
reference id on line 1 (``09BENCH12345``), written to a temporary folder first. They are then
imported with :func:`redactor.cables.service.import_batch` (all of it: decode, parse, store,
portions, search index, audit chain, a commit every ``--chunk-size`` files), and the rate and
the process's peak resident memory (``ru_maxrss``) are reported at 10 %, 50 % and 100 % of
the run: memory that stays flat as the batch grows shows up as equal figures.

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
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import cpu_model
from redactor.cables.service import ImportOutcome, import_batch, iter_import_sources
from redactor.db import make_engine, make_session_factory
from redactor.migrations import upgrade_database

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "cables"
MAX_BYTES = 5 * 1024 * 1024


def generate(folder: Path, count: int) -> int:
    """Write ``count`` cables with distinct reference ids into ``folder``; returns bytes."""
    bases = [path.read_text(encoding="utf-8") for path in sorted(FIXTURES.glob("*.txt"))]
    total = 0
    for index in range(count):
        body = bases[index % len(bases)].split("\n", 1)[1]
        data = f"09BENCH{index}\n{body}".encode()
        # 1,000 files per sub-folder keeps directories small.
        sub = folder / f"{index // 1000:04d}"
        if index % 1000 == 0:
            sub.mkdir()
        (sub / f"09BENCH{index}.txt").write_bytes(data)
        total += len(data)
    return total


def peak_rss_mb() -> float:
    """The peak resident set size of this process, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=6_712, help="cables to import")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--chunk-size", type=int, default=200, help="files per commit")
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("REDACTOR_TEST_POSTGRES_URL", ""),
        help="PostgreSQL URL allowed to create a database (for --db postgresql)",
    )
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="redactor-bench-"))
    admin = None
    database = ""
    try:
        started = time.perf_counter()
        (folder / "cables").mkdir()
        size = generate(folder / "cables", args.count)
        print(
            f"generated {args.count:,} cables ({size / 1e6:,.1f} MB) "
            f"in {time.perf_counter() - started:.1f} s"
        )
        if args.db == "sqlite":
            url = f"sqlite:///{folder / 'bench.sqlite3'}"
        else:
            if not args.pg_admin_url:
                parser.error("--db postgresql needs --pg-admin-url or REDACTOR_TEST_POSTGRES_URL")
            database = f"redactor_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg_admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{database}"'))
            url = make_url(args.pg_admin_url).set(database=database).render_as_string(False)
        upgrade_database(url)
        engine = make_engine(url)
        factory = make_session_factory(engine, audit_key=os.urandom(32))
        marks = {max(1, args.count * share // 10): share * 10 for share in (1, 5, 10)}
        t0 = time.perf_counter()
        c0 = time.process_time()

        def progress(done: int, outcome: ImportOutcome) -> None:
            if done in marks:
                elapsed = time.perf_counter() - t0
                cpu = time.process_time() - c0
                print(
                    f"  {marks[done]:3d} %: {done:>8,} cables  {elapsed:7.1f} s "
                    f"(CPU {cpu:7.1f} s)  {done / elapsed:5.0f} cables/s  "
                    f"peak RSS {peak_rss_mb():6.1f} MiB"
                )

        summary = import_batch(
            factory,
            None,
            iter_import_sources([folder / "cables"]),
            max_bytes=MAX_BYTES,
            chunk_size=args.chunk_size,
            progress=progress,
        )
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        engine.dispose()
        print(f"{summary.line()}")
        print(
            f"import: {args.count:,} cables in {elapsed:.1f} s (this process's CPU: {cpu:.1f} s)"
            f" = {args.count / elapsed:,.0f} cables/s; peak RSS {peak_rss_mb():.1f} MiB "
            f"({args.db}, chunk {args.chunk_size})"
        )
        print(f"machine: {cpu_model()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
        return 0 if summary.ok else 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
