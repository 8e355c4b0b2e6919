"""Benchmark the cable parser against a bare read + decode + split of the same files.

``python -m bench.parse [--count N] [--chunk N] [--seed N]``

The corpus is generated from the fixture cables in ``tests/data/cables`` by
:mod:`bench.corpus`: each generated cable is a fixture with a fresh reference id (and the
matching serial in its banner) and a few words varied in its body, so that no two files are
identical (``--sizes real``: fixtures picked for the sizes of real cables). Cables are
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
import sys
import tempfile
import time
from pathlib import Path

from bench import cpu_model
from bench.corpus import Corpus, write_chunk
from redactor.cables.parser import decode_cable_bytes, parse_cable


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
    ap.add_argument("--sizes", choices=("fixtures", "real"), default="fixtures",
                    help="fixtures cycled, or picked for the sizes of real cables")
    args = ap.parse_args(argv)

    corpus = Corpus(args.seed, args.sizes)
    bare_s = parse_s = 0.0
    size = 0
    done = 0
    with tempfile.TemporaryDirectory(prefix="cable-bench-") as tmp:
        directory = Path(tmp)
        while done < args.count:
            n = min(args.chunk, args.count - done)
            paths = write_chunk(directory, corpus, done, n)
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
