"""Benchmark the cable parser against a bare read + decode + split of the same files.

``python -m bench.parse [--count N] [--chunk N] [--seed N]``

The corpus is generated from the fixture cables in ``tests/data/cables``: each generated cable
is a fixture with a fresh reference id (and the matching serial in its banner), a few words
varied in its body, and its paragraphs rotated, so that no two files are identical. Cables are
written to a temporary directory in chunks (``--chunk`` at a time, removed afterwards), so a
large ``--count`` does not need the whole corpus in memory or on disk at once.

For each chunk it times, over the same files:

* bare:  read the bytes, decode them (:func:`decode_cable_bytes`), split them on ``"\\n"``;
* parse: read the bytes, decode them, :func:`parse_cable`.

and reports cables/s, MB/s and the ratio of parse time to bare time. Times are CPU time of
the process (``time.process_time``: user + system, file reads included), which a busy shared
machine disturbs far less than wall-clock time.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import sys
import tempfile
import time
from pathlib import Path

from bench import cpu_model
from redactor.cables.parser import decode_cable_bytes, parse_cable

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "cables"

_WORDS = ("Embassy", "Ministry", "officials", "government", "President", "reform", "said")
_REF_ID = re.compile(r"\A(\d{2})([A-Z]+?)(\d+)\n")


def load_fixtures() -> list[str]:
    """The fixture cables as decoded text."""
    return [decode_cable_bytes(p.read_bytes()) for p in sorted(FIXTURES.glob("*.txt"))]


def vary(text: str, serial: int, rng: random.Random) -> str:
    """A variant of a fixture: new serial in id and banner, some words swapped."""
    m = _REF_ID.match(text)
    if m:
        old = m.group(3)
        text = f"{m.group(1)}{m.group(2)}{serial}\n" + text[m.end() :]
        text = text.replace(f" {int(old):06d}", f" {serial % 1_000_000:06d}", 1)
    a, b = rng.sample(_WORDS, 2)
    text = text.replace(f" {a} ", f" {b} ", rng.randint(1, 5))
    if rng.random() < 0.3:
        # Change a paragraph's length without touching its structure.
        text = text.replace(". ", ". Indeed, ", rng.randint(1, 3))
    return text


def write_chunk(directory: Path, bases: list[str], start: int, count: int,
                rng: random.Random) -> list[Path]:
    paths = []
    for i in range(start, start + count):
        text = vary(bases[i % len(bases)], 100_000 + i, rng)
        path = directory / f"c{i:07d}.txt"
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def time_bare(paths: list[Path]) -> tuple[float, int]:
    size = 0
    t0 = time.process_time()
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        size += len(data)
        decode_cable_bytes(data).split("\n")
    return time.process_time() - t0, size


def time_parse(paths: list[Path]) -> float:
    t0 = time.process_time()
    for path in paths:
        with open(path, "rb") as fh:
            data = fh.read()
        parse_cable(decode_cable_bytes(data))
    return time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=50_000, help="cables to generate")
    ap.add_argument("--chunk", type=int, default=2_000, help="cables on disk at once")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)

    rng = random.Random(args.seed)
    bases = load_fixtures()
    bare_s = parse_s = 0.0
    size = 0
    done = 0
    with tempfile.TemporaryDirectory(prefix="cable-bench-") as tmp:
        directory = Path(tmp)
        while done < args.count:
            n = min(args.chunk, args.count - done)
            paths = write_chunk(directory, bases, done, n, rng)
            # Both sides read the same, freshly written (so page-cached) files.
            t_bare, chunk_size = time_bare(paths)
            t_parse = time_parse(paths)
            bare_s += t_bare
            parse_s += t_parse
            size += chunk_size
            done += n
            for path in paths:
                path.unlink()

    mb = size / 1e6
    print(f"machine: {os.cpu_count()} CPUs, {cpu_model()}, Python {platform.python_version()}")
    print(f"cables: {done}, {mb:.1f} MB ({size / done / 1000:.1f} kB per cable)")
    print(f"bare  (read+decode+split): {bare_s:7.2f} s  {done / bare_s:9.0f} cables/s "
          f"{mb / bare_s:7.1f} MB/s")
    print(f"parse (read+decode+parse): {parse_s:7.2f} s  {done / parse_s:9.0f} cables/s "
          f"{mb / parse_s:7.1f} MB/s")
    print(f"ratio parse/bare: {parse_s / bare_s:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
