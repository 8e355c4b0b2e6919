"""Spans of cable text and their arithmetic: validation, snapping, merging, UTF-16 edges.

Pure: standard library only. A span is ``[start, end)`` in **code points** of the stored
cable text, the one coordinate system of the project. The browser counts UTF-16 code units;
:func:`utf16_to_codepoint` and :func:`codepoint_to_utf16` convert at that edge, and the
server validates every span with :func:`validate_span` against the stored text.

Snapping to whole characters
----------------------------
A span must never cut a user-perceived character in two: hiding a base letter but leaving
its accent (or half of an emoji) both leaks and garbles. :func:`validate_span` therefore
*widens* a span, never narrows it: a redaction that grows hides more, one that shrinks could
reveal. A boundary is moved when the character after it continues the character before it:

* a combining mark (``unicodedata.combining`` non-zero, or category Mn, Mc, Me), which
  includes variation selectors;
* a zero-width joiner U+200D, or any character right after one (emoji ZWJ sequences);
* an emoji skin-tone modifier U+1F3FB..U+1F3FF and a tag character U+E0020..U+E007F
  (subdivision flags);
* the second regional indicator of a pair (a flag).

The start moves left to the base character, the end moves right past the continuation. The
snapping stays inside ``within`` (a portion or header field): those boundaries are fixed by
the parser and always count as whole. This is a practical subset of Unicode's extended
grapheme clusters (UAX #29) without Hangul syllable rules, which cables do not need.

Merging
-------
:func:`merge_spans` unites overlapping *and adjacent* spans (``[0, 3)`` and ``[3, 5)`` become
``[0, 5)``), so no zero-width seam is left between two boxes. Spans separated by anything,
even a single space, stay apart: the space is not redacted, and the release shows two
labelled excisions, which is what was decided.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_ZWJ = "\u200d"


class SpanError(ValueError):
    """A span is not a valid ``[start, end)`` of the text (or of the area it must lie in)."""


def _is_offset(value: object) -> bool:
    # bool is an int subclass; True must not pass as offset 1.
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True, order=True)
class Span:
    """A non-empty ``[start, end)`` range of code points. Raises :class:`SpanError` when
    ``start``/``end`` are not ints, negative, or ``start >= end``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (_is_offset(self.start) and _is_offset(self.end)):
            raise SpanError(
                f"span offsets must be integers, got {type(self.start).__name__} and "
                f"{type(self.end).__name__}"
            )
        if self.start < 0:
            raise SpanError(f"span start {self.start} is negative")
        if self.start >= self.end:
            raise SpanError(f"span [{self.start}, {self.end}) is empty or reversed")

    def __len__(self) -> int:
        return self.end - self.start

    def contains(self, other: Span) -> bool:
        """True if ``other`` lies inside this span."""
        return self.start <= other.start and other.end <= self.end


def _continues(text: str, index: int) -> bool:
    """True if the boundary before ``text[index]`` would split a character (see module doc)."""
    if index <= 0 or index >= len(text):
        return False
    char = text[index]
    if char == _ZWJ or text[index - 1] == _ZWJ:
        return True
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Mc", "Me"):
        return True
    code = ord(char)
    if 0x1F3FB <= code <= 0x1F3FF or 0xE0020 <= code <= 0xE007F:
        return True
    if _is_regional_indicator(char) and _is_regional_indicator(text[index - 1]):
        # Flags pair up from the left: the boundary is inside a flag after an odd count.
        count = 0
        i = index - 1
        while i >= 0 and _is_regional_indicator(text[i]):
            count += 1
            i -= 1
        return count % 2 == 1
    return False


def _is_regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def snap(text: str, start: int, end: int, *, lower: int = 0, upper: int | None = None) -> Span:
    """Widen ``[start, end)`` to whole characters of ``text``, staying in ``[lower, upper]``.

    Offsets must already be valid; returns the snapped :class:`Span`.
    """
    upper = len(text) if upper is None else upper
    while start > lower and _continues(text, start):
        start -= 1
    while end < upper and _continues(text, end):
        end += 1
    return Span(start, end)


def validate_span(
    text: str, start: object, end: object, *, within: tuple[int, int] | None = None
) -> Span:
    """The :class:`Span` ``[start, end)`` of ``text``, snapped to whole characters.

    ``within`` is the ``(start, end)`` of the one portion or header field the span must lie
    in; a span reaching outside it (across portions) is refused. Raises :class:`SpanError`
    for offsets that are not ints (bool, float, str...), negative, ``start >= end``, past the
    end of the text (``2**63`` included), or outside ``within``.
    """
    if not (_is_offset(start) and _is_offset(end)):
        raise SpanError(
            f"span offsets must be integers, got {type(start).__name__} and "
            f"{type(end).__name__}"
        )
    assert isinstance(start, int) and isinstance(end, int)  # for type checkers
    if start < 0 or end < 0:
        raise SpanError(f"span [{start}, {end}) has a negative offset")
    if start >= end:
        raise SpanError(f"span [{start}, {end}) is empty or reversed")
    if end > len(text):
        raise SpanError(f"span [{start}, {end}) ends past the end of the text ({len(text)})")
    lower, upper = 0, len(text)
    if within is not None:
        lower, upper = within
        if not (_is_offset(lower) and _is_offset(upper) and 0 <= lower <= upper <= len(text)):
            raise SpanError(f"invalid area {within!r} for a text of length {len(text)}")
        if start < lower or end > upper:
            raise SpanError(
                f"span [{start}, {end}) is not inside one portion or field [{lower}, {upper})"
            )
    return snap(text, start, end, lower=lower, upper=upper)


def utf16_to_codepoint(text: str, offset16: object) -> int:
    """The code-point offset of UTF-16 offset ``offset16`` in ``text`` (browser -> server).

    Raises :class:`SpanError` for a non-int or negative offset, one past the end, or one in
    the middle of a surrogate pair.
    """
    if not _is_offset(offset16):
        raise SpanError(f"a UTF-16 offset must be an integer, got {type(offset16).__name__}")
    assert isinstance(offset16, int)
    if offset16 < 0:
        raise SpanError(f"UTF-16 offset {offset16} is negative")
    if text.isascii() or max(text, default="\0") < "\U00010000":
        if offset16 > len(text):
            raise SpanError(f"UTF-16 offset {offset16} is past the end of the text")
        return offset16
    encoded = text.encode("utf-16-le", "surrogatepass")
    if 2 * offset16 > len(encoded):
        raise SpanError(f"UTF-16 offset {offset16} is past the end of the text")
    try:
        return len(encoded[: 2 * offset16].decode("utf-16-le"))
    except UnicodeDecodeError:
        raise SpanError(
            f"UTF-16 offset {offset16} falls inside a surrogate pair (half a character)"
        ) from None


def codepoint_to_utf16(text: str, offset: object) -> int:
    """The UTF-16 offset of code-point offset ``offset`` in ``text`` (server -> browser).

    Raises :class:`SpanError` for a non-int, negative or past-the-end offset.
    """
    if not _is_offset(offset):
        raise SpanError(f"an offset must be an integer, got {type(offset).__name__}")
    assert isinstance(offset, int)
    if offset < 0 or offset > len(text):
        raise SpanError(f"offset {offset} is outside the text (0..{len(text)})")
    return len(text[:offset].encode("utf-16-le", "surrogatepass")) // 2


def merge_spans(spans: Iterable[Span | tuple[int, int]]) -> tuple[Span, ...]:
    """The union of ``spans`` as sorted, disjoint, non-adjacent spans.

    Overlapping, nested, duplicate and adjacent spans merge; spans with any gap between them
    stay apart. Sort and sweep: O(n log n). Raises :class:`SpanError` for an invalid span.
    """
    items = sorted(span if isinstance(span, Span) else Span(*span) for span in spans)
    merged: list[Span] = []
    current_start = current_end = -1
    for span in items:
        if span.start <= current_end:
            if span.end > current_end:
                current_end = span.end
            continue
        if current_end >= 0:
            merged.append(Span(current_start, current_end))
        current_start, current_end = span.start, span.end
    if current_end >= 0:
        merged.append(Span(current_start, current_end))
    return tuple(merged)
