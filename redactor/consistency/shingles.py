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
anchors). Each chunk's *shingles* are the hashes (CRC-32) of its overlapping
:data:`SHINGLE`-grams.

Sizes were chosen by measurement on real cables (``bench/twins.py``, BENCHMARKS.md): five
characters keep 77% of shingles through 5% character noise yet make unrelated paragraphs
share few; portions under :data:`MIN_PORTION` normalised characters (a line of a dozen
words: "Classified by ...", "END SUMMARY.") are too common to mean anything and are skipped.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

#: Shingle size in normalised characters.
SHINGLE = 5
#: One shingle in this many (on average) is an anchor where a chunk may end.
ANCHOR_EVERY = 96
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


def normalise(text: str, start: int = 0, end: int | None = None) -> Normalised:
    """``text[start:end]`` normalised (see the module docstring), with its offsets."""
    end = len(text) if end is None else end
    out: list[str] = []
    offsets: list[int] = []
    pending_space = False
    for i in range(start, end):
        ch = text[i]
        if ch.isalnum():
            if pending_space and out:
                out.append(" ")
                offsets.append(i)
            pending_space = False
            for folded in ch.casefold():
                out.append(folded)
                offsets.append(i)
        elif ch.isspace():
            pending_space = True
        # Punctuation, symbols, control and format characters are dropped.
    return Normalised("".join(out), tuple(offsets))


def shingle_hashes(norm: str) -> list[int]:
    """The CRC-32 of every :data:`SHINGLE`-gram of ``norm``, in order (one for a shorter
    non-empty text)."""
    if not norm:
        return []
    if len(norm) <= SHINGLE:
        return [zlib.crc32(norm.encode("utf-8"))]
    return [
        zlib.crc32(norm[i : i + SHINGLE].encode("utf-8")) for i in range(len(norm) - SHINGLE + 1)
    ]


@dataclass(frozen=True)
class Chunk:
    """``[start, end)`` of a normalised text, and the hashes of its shingles."""

    start: int
    end: int
    shingles: frozenset[int]


def chunks(norm: str) -> list[Chunk]:
    """The content-defined chunks of ``norm`` (see the module docstring); none for a text
    shorter than :data:`MIN_PORTION`."""
    if len(norm) < MIN_PORTION:
        return []
    hashes = shingle_hashes(norm)
    cuts: list[int] = []
    last = 0
    for i, h in enumerate(hashes):
        cut = i + SHINGLE  # the chunk ends after the anchor's shingle
        if (h % ANCHOR_EVERY == 0 and cut - last >= MIN_CHUNK) or cut - last >= MAX_CHUNK:
            if len(norm) - cut < MIN_CHUNK:
                break  # the rest would be too short: it stays in this chunk
            cuts.append(cut)
            last = cut
    bounds = [0, *cuts, len(norm)]
    found: list[Chunk] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        first, last_shingle = a, max(a, b - SHINGLE)
        found.append(Chunk(a, b, frozenset(hashes[first : last_shingle + 1])))
    return found
