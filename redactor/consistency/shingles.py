"""The text a twin is recognised by: normalised, cut into content-defined chunks (pure).

**Normalised** (:func:`normalise`): case-folded, every run of whitespace one space,
punctuation and other symbols dropped (``U.S.`` is ``us``, ``1.4(d)`` is ``14d``), so that a
copy re-typed with other line breaks, spacing, case or punctuation reads the same. Each
character of the normalised text keeps the code-point offset in the stored text it came
from, so that what is found there can be placed back on the cable.

**Chunks** (:func:`chunks`): a portion's normalised text is cut at *anchors*, the positions
whose :data:`SHINGLE`-character shingle hashes to 0 modulo :data:`ANCHOR_EVERY`. An anchor
depends on the few characters at it and nothing else, so the same passage is cut at the same
places wherever it stands: a portion quoted inside a longer portion of another cable yields
the chunks it yields alone (all but its first and last), which is what lets a MinHash per
chunk find a quoted excerpt whose Jaccard similarity with the whole host portion is small.
A chunk shorter than :data:`MIN_CHUNK` is merged into the next (a choice that again depends
only on the text), one longer than :data:`MAX_CHUNK` is cut (pathological runs without
anchors). Each chunk's *shingles* are its overlapping :data:`SHINGLE`-grams; an anchor is chosen by
the shingle's hash (:mod:`redactor.consistency.twins` hashes them, all at once).

Sizes were chosen by measurement on real cables (``bench/twins.py``, BENCHMARKS.md): five
characters keep 77% of shingles through 5% character noise yet make unrelated paragraphs
share few; portions under :data:`MIN_PORTION` normalised characters (a line of a dozen
words: "Classified by ...", "END SUMMARY.") are too common to mean anything and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: Shingle size in normalised characters.
SHINGLE = 5
#: One shingle in this many (on average) is an anchor where a chunk may end.
ANCHOR_EVERY = 128
#: Chunk size bounds, in normalised characters.
MIN_CHUNK = 48
MAX_CHUNK = 600
#: Portions shorter than this (normalised) are not indexed and have no twins.
MIN_PORTION = 80


@dataclass(frozen=True)
class Normalised:
    """A normalised text and, for each of its characters, the stored text's offset."""

    text: str
    offsets: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The stored-text span ``[a, b)`` covering normalised ``[start, end)`` (non-empty)."""
        end = max(end, start + 1)
        return self.offsets[start], self.offsets[end - 1] + 1


_TOKEN = re.compile(r"[^\W_]+")  # letters and digits (``\w`` without the underscore)
_SPACE = re.compile(r"\s")


def normalise(text: str, start: int = 0, end: int | None = None) -> Normalised:
    """``text[start:end]`` normalised (see the module docstring), with its offsets."""
    end = len(text) if end is None else end
    out: list[str] = []
    offsets: list[int] = []
    last = None
    for m in _TOKEN.finditer(text, start, end):
        if last is not None and _SPACE.search(text, last, m.start()):
            out.append(" ")
            offsets.append(last)
        token = m.group()
        folded = token.casefold()
        if len(folded) == len(token):
            offsets.extend(range(m.start(), m.end()))
        else:  # a character that folds to several (ß to ss): each keeps its offset
            folded = ""
            for i, ch in enumerate(token, m.start()):
                f = ch.casefold()
                folded += f
                offsets.extend([i] * len(f))
        out.append(folded)
        last = m.end()
    return Normalised("".join(out), tuple(offsets))


_DROPPED = re.compile(r"[^\w\s]|_")
_SPACES = re.compile(r"\s+")


def normal_text(text: str, start: int = 0, end: int | None = None) -> str:
    """``normalise(text, start, end).text`` without the offsets, several times faster: what
    the index and the verification read (offsets are needed only to place a span)."""
    segment = text[start:end]
    return _SPACES.sub(" ", _DROPPED.sub("", segment)).strip().casefold()


def chunk_bounds(length: int, anchors: Iterable[int]) -> list[tuple[int, int]]:
    """The chunks ``[start, end)`` of a normalised text of ``length`` characters whose
    anchor shingles start at ``anchors`` (ascending); none below :data:`MIN_PORTION`."""
    if length < MIN_PORTION:
        return []
    cuts: list[int] = []
    last = 0
    for anchor in anchors:
        cut = anchor + SHINGLE  # the chunk ends after the anchor's shingle
        while cut - last > MAX_CHUNK and length - (last + MAX_CHUNK) >= MIN_CHUNK:
            last += MAX_CHUNK  # no anchor for too long: cut anyway
            cuts.append(last)
        if cut - last < MIN_CHUNK:
            continue
        if length - cut < MIN_CHUNK:
            break  # the rest would be too short: it stays in this chunk
        cuts.append(cut)
        last = cut
    while length - last > MAX_CHUNK and length - (last + MAX_CHUNK) >= MIN_CHUNK:
        last += MAX_CHUNK
        cuts.append(last)
    bounds = [0, *cuts, length]
    return list(zip(bounds, bounds[1:], strict=False))
