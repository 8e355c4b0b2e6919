"""The synthetic collection every benchmark uses, generated from the fixture cables.

Each generated cable is a fixture cable (``tests/data/cables``) with a fresh reference id on
line 1 (and the matching serial in its banner), a few words swapped and, for some, sentences
lengthened: no two files are identical, and every one parses like the fixture it came from.

Two ways to pick the fixture a cable is made from:

* ``sizes="fixtures"``: the fixtures cycled in name order (12.8 kB per cable on average: the
  corpus of the Parse and Import sections of BENCHMARKS.md);
* ``sizes="real"``: a size is drawn for each cable from a log-normal distribution with the
  median (6.6 kB) and 99th percentile (30 kB) of real cables, and one of the fixtures nearest
  that size is used.
"""

from __future__ import annotations

import bisect
import math
import random
import re
from collections.abc import Iterator
from pathlib import Path

from redactor.cables.parser import decode_cable_bytes

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "data" / "cables"

#: Size of real cables: median and 99th percentile, in bytes.
REAL_MEDIAN = 6_600
REAL_P99 = 30_000
_SIGMA = math.log(REAL_P99 / REAL_MEDIAN) / 2.326  # z of the 99th percentile
_NEAREST = 4  # fixtures of about the drawn size to choose from

_WORDS = ("Embassy", "Ministry", "officials", "government", "President", "reform", "said")
_REF_ID = re.compile(r"\A(\d{2})([A-Z0-9]*?[A-Z])(\d+)\n")


def load_fixtures() -> list[str]:
    """The fixture cables as decoded text, in name order."""
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


class Corpus:
    """Generates cable ``i`` of the collection (deterministic for a given seed and order)."""

    def __init__(self, seed: int = 1, sizes: str = "fixtures") -> None:
        if sizes not in ("fixtures", "real"):
            raise ValueError(f"unknown sizes {sizes!r}")
        self.rng = random.Random(seed)
        self.bases = load_fixtures()
        self.sizes = sizes
        by_size = sorted(self.bases, key=lambda t: len(t.encode()))
        self._sorted = by_size
        self._lengths = [len(t.encode()) for t in by_size]

    def base(self, index: int) -> str:
        if self.sizes == "fixtures":
            return self.bases[index % len(self.bases)]
        target = self.rng.lognormvariate(math.log(REAL_MEDIAN), _SIGMA)
        at = bisect.bisect_left(self._lengths, target)
        low = max(0, min(at - _NEAREST // 2, len(self._sorted) - _NEAREST))
        return self._sorted[self.rng.randrange(low, low + _NEAREST)]

    def text(self, index: int) -> str:
        """Cable number ``index``: its reference id ends in ``100000 + index``."""
        return vary(self.base(index), 100_000 + index, self.rng)

    def texts(self, start: int, count: int) -> Iterator[str]:
        for index in range(start, start + count):
            yield self.text(index)


def write_chunk(directory: Path, corpus: Corpus, start: int, count: int) -> list[Path]:
    """Write cables ``start .. start+count-1`` as flat files in ``directory``."""
    paths = []
    for i, text in enumerate(corpus.texts(start, count), start):
        path = directory / f"c{i:07d}.txt"
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def generate(folder: Path, count: int, *, seed: int = 1, sizes: str = "fixtures") -> int:
    """Write ``count`` cables into sub-folders of 1,000 files of ``folder``; returns bytes."""
    corpus = Corpus(seed, sizes)
    total = 0
    for index, text in enumerate(corpus.texts(0, count)):
        data = text.encode("utf-8")
        sub = folder / f"{index // 1000:04d}"
        if index % 1000 == 0:
            sub.mkdir(parents=True, exist_ok=True)
        (sub / f"c{index:07d}.txt").write_bytes(data)
        total += len(data)
    return total
