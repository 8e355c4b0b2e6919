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


def _normalised(text: str, start: int = 0, end: int | None = None) -> tuple[str, list[int]]:
    """``text[start:end]`` normalised (see the module docstring) and, for each character of
    the result, the offset in ``text`` of the character it came from."""
    end = len(text) if end is None else end
    out: list[str] = []
    origin: list[int] = []
    space = False
    for index in range(start, end):
        char = text[index]
        if char.isspace():
            if not space and out:
                out.append(" ")
                origin.append(index)
            space = True
            continue
        if unicodedata.category(char) == "Cf":
            continue
        form = unicodedata.normalize("NFKC", char).casefold()
        for piece in form:
            out.append(piece)
            origin.append(index)
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
    hay, origin = _normalised(text)
    found: list[Occurrence] = []
    for number, span in enumerate(merged, 1):
        needle, _ = _normalised(text, span.start, span.end)
        if worth_looking_for(needle):
            found.extend(_printed(text, hay, origin, needle, merged, number))
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
    needle, _ = _normalised(withheld)
    if not needle.strip() or _ONLY_X_RE.fullmatch(needle):
        return []
    hay, origin = _normalised(text)
    return _printed(text, hay, origin, needle, merge_spans(spans), 1)


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
    line_starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
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
