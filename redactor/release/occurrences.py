"""Visible occurrences of withheld text: a name withheld in one paragraph and printed in another.

Pure: standard library only. The release gate's piece scan (:mod:`redactor.release.gate`)
skips every piece of a hidden string that the released text also holds, so that a hidden
"Minister Smith" does not leak through a visible "minister". Left alone, that rule releases a
name withheld once and printed elsewhere without a word. This module finds those places, so
that the release is refused (never silent) until each is redacted too or the first
redaction is reconsidered. The full answer (occurrences, twins across cables, a register of
prior releases) is the consistency feature; this is the honest minimum.

What counts as an occurrence
----------------------------
* Each *excision* (approved spans merged as the renderer merges them) is one hidden string.
* Both the hidden string and the cable text are *normalised*: NFKC and casefold character by
  character, format characters (zero-width, bidi controls, soft hyphen) dropped, and every
  run of whitespace (newlines included) read as one space. So ``Hatcher`` matches
  ``HATCHER`` and a name broken across a line matches the name on one line.
* A word hyphenated at a line end (``Illan-`` then ``gakoon`` on the next line) is also read
  joined: the text is searched as it stands, with each letter-hyphen-line-break-letter seam
  closed up, and with only its line break dropped (``well-`` + ``known`` is ``well-known``),
  so the word is found either way (the further readings only add findings).
* An occurrence must start and end at a word boundary (no letter or digit right before or
  after it): a withheld ``Smith`` is not reported in ``Smithson``.
* An occurrence that lies wholly inside the excisions is itself redacted and not reported;
  one that prints at least one character is.
* **Short-word noise**: a hidden string with fewer than :data:`MIN_ALNUM` letters and digits
  (``US``, ``UK``, ``a``, ``(C)``) is not looked for: it occurs everywhere by chance and
  withholding it elsewhere is a consistency decision, not a leak of the redacted text. Nor is
  a string made only of ``X`` runs (WikiLeaks' ``XXXXXXXXXXXX``), which stands for text that
  is not in the cable at all.

A finding gives the excision number and the line and column of the visible occurrence,
never the text, so it can be audited.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from redactor.redaction.spans import Span, merge_spans

#: Fewest letters and digits a hidden string needs to be looked for elsewhere.
MIN_ALNUM = 4

_ONLY_X_RE = re.compile(r"[x\W_]*")


@dataclass(frozen=True)
class Occurrence:
    """A place where the text of excision ``excision`` (1-based, text order) is printed.

    ``start`` and ``end`` are code points of the cable text; ``line`` and ``column`` are
    1-based (the column in code points).
    """

    excision: int
    start: int
    end: int
    line: int
    column: int

    def describe(self) -> str:
        """The occurrence in words, without its text."""
        return (
            f"the withheld text of excision #{self.excision} is printed at line {self.line}, "
            f"column {self.column}"
        )


#: A hyphen at a line end between two letters: a word broken by the typist or the wire.
_HYPHEN_BREAK_RE = re.compile(r"(?<=[^\W\d_])-[ \t]*\r?\n\s*(?=[^\W\d_])")


def _normalised(
    text: str,
    start: int = 0,
    end: int | None = None,
    *,
    join_hyphens: bool = False,
    keep_hyphens: bool = False,
) -> tuple[str, list[int]]:
    """``text[start:end]`` normalised (see the module docstring) and, for each character of
    the result, the offset in ``text`` of the character it came from. With ``join_hyphens``
    a hyphen at a line end between letters is dropped with the line break after it; with
    ``keep_hyphens`` only the line break is (``well-`` + ``known`` reads ``well-known``)."""
    end = len(text) if end is None else end
    skip: dict[int, int] = {}
    if join_hyphens or keep_hyphens:
        kept = 1 if keep_hyphens else 0
        skip = {
            m.start() + kept: m.end() for m in _HYPHEN_BREAK_RE.finditer(text, start, end)
        }
    out: list[str] = []
    origin: list[int] = []
    space = False
    index = start
    while index < end:
        if index in skip:
            index = skip[index]
            continue
        char = text[index]
        index += 1
        if char.isspace():
            if not space and out:
                out.append(" ")
                origin.append(index - 1)
            space = True
            continue
        if unicodedata.category(char) == "Cf":
            continue
        form = unicodedata.normalize("NFKC", char).casefold()
        for piece in form:
            out.append(piece)
            origin.append(index - 1)
        space = False
    if out and out[-1] == " ":
        out.pop()
        origin.pop()
    return "".join(out), origin


def worth_looking_for(form: str) -> bool:
    """True if a normalised hidden string is looked for elsewhere (see the module
    docstring: at least :data:`MIN_ALNUM` letters and digits, not only ``X`` runs)."""
    if sum(1 for char in form if char.isalnum()) < MIN_ALNUM:
        return False
    return not _ONLY_X_RE.fullmatch(form)


def _covered(merged: Sequence[Span], starts: Sequence[int], start: int, end: int) -> bool:
    """True if every character of ``[start, end)`` lies inside the merged spans."""
    position = start
    while position < end:
        index = bisect_right(starts, position) - 1
        if index < 0 or merged[index].end <= position:
            return False
        position = merged[index].end
    return True


@lru_cache(maxsize=16)
def _text_readings(text: str) -> tuple[tuple[str, list[int]], ...]:
    """:func:`_readings` of a whole text, kept for the few texts searched again and again
    (one cable version: each proposal's occurrences, the gate's conflicts). Read-only."""
    return tuple(_readings(text, cache=False))


@lru_cache(maxsize=16)
def _line_starts(text: str) -> tuple[int, ...]:
    return (0, *(i + 1 for i, char in enumerate(text) if char == "\n"))


def _readings(
    text: str, start: int = 0, end: int | None = None, *, cache: bool = True
) -> list[tuple[str, list[int]]] | tuple[tuple[str, list[int]], ...]:
    """The normalised readings of ``text[start:end]``: as it stands and, when it holds a word
    hyphenated at a line end, with those seams closed up."""
    if cache and start == 0 and end is None:
        return _text_readings(text)
    plain = _normalised(text, start, end)
    if not _HYPHEN_BREAK_RE.search(text, start, len(text) if end is None else end):
        return [plain]
    return [
        plain,
        _normalised(text, start, end, join_hyphens=True),
        _normalised(text, start, end, keep_hyphens=True),
    ]


def _search(
    text: str,
    hays: Sequence[tuple[str, list[int]]],
    needles: Iterable[str],
    merged: Sequence[Span],
    number: int,
) -> list[Occurrence]:
    """Every reading's occurrences of every needle, each place once, in text order."""
    seen: dict[tuple[int, int], Occurrence] = {}
    for needle in dict.fromkeys(needles):
        if not needle:
            continue
        for hay, origin in hays:
            for found in _printed(text, hay, origin, needle, merged, number):
                seen.setdefault((found.start, found.end), found)
    return sorted(seen.values(), key=lambda o: (o.start, o.end))


def visible_occurrences(
    text: str, spans: Iterable[tuple[int, int] | Span]
) -> list[Occurrence]:
    """Every place where ``text`` prints the text of one of the (approved) ``spans``.

    ``spans`` are ``(start, end)`` in code points (unmerged, any order). Returns the
    occurrences in order of excision, then of position; empty when none.
    """
    merged = merge_spans(spans)
    if not merged:
        return []
    hays = _readings(text)
    found: list[Occurrence] = []
    for number, span in enumerate(merged, 1):
        needles = [n for n, _ in _readings(text, span.start, span.end)]
        if worth_looking_for(needles[0]):
            found.extend(_search(text, hays, needles, merged, number))
    return found


def printed_occurrences(
    text: str, withheld: str, spans: Iterable[tuple[int, int] | Span]
) -> list[Occurrence]:
    """Every place where ``text`` prints ``withheld`` (a string from elsewhere, e.g. an older
    version's redaction) outside ``spans``, normalised and at word boundaries as above.

    Unlike :func:`visible_occurrences` it looks for short strings too: the caller asks
    whether one particular withheld string would be shown, and fails closed. A string of
    ``X`` runs alone is still not looked for (it is WikiLeaks' placeholder, not text).
    """
    needles = [n for n, _ in _readings(withheld)]
    if not needles[0].strip() or _ONLY_X_RE.fullmatch(needles[0]):
        return []
    return _search(text, _readings(text), needles, merge_spans(spans), 1)


def normalised_form(text: str) -> str:
    """``text`` as the occurrence search reads it (NFKC, casefolded, one space for every run
    of whitespace, format characters dropped, line-end hyphenation closed up): two strings
    with the same form are the same text for the gate."""
    return _normalised(text, join_hyphens=True)[0]


def context(text: str, start: int, end: int, width: int = 40) -> tuple[str, str, str]:
    """The printed ``text[start:end]`` with up to ``width`` characters either side, each part
    with its runs of whitespace read as one space: what a reviewer needs to find the place."""

    def squeeze(part: str) -> str:
        return " ".join(part.split())

    before = text[max(0, start - width) : start]
    after = text[end : end + width]
    lead = " " if before[-1:].isspace() else ""
    trail = " " if after[:1].isspace() else ""
    return squeeze(before) + lead, squeeze(text[start:end]), trail + squeeze(after)


def _printed(
    text: str,
    hay: str,
    origin: list[int],
    needle: str,
    merged: Sequence[Span],
    number: int,
) -> list[Occurrence]:
    """The bounded occurrences of ``needle`` in the normalised ``hay`` that print at least one
    character outside ``merged``, as occurrences of excision ``number``."""
    starts = [span.start for span in merged]
    line_starts = _line_starts(text)
    found: list[Occurrence] = []
    position = hay.find(needle)
    while position >= 0:
        after = position + len(needle)
        bounded = (
            not (needle[0].isalnum() and position and hay[position - 1].isalnum())
            and not (needle[-1].isalnum() and after < len(hay) and hay[after].isalnum())
        )
        begin, finish = origin[position], origin[after - 1] + 1
        if bounded and not _covered(merged, starts, begin, finish):
            line = bisect_right(line_starts, begin)
            found.append(Occurrence(number, begin, finish, line, begin - line_starts[line - 1] + 1))
        position = hay.find(needle, position + 1)
    return found
