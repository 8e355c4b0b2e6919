"""Where a redaction may lie: every character a release prints is in some region.

Pure: standard library and the pure span module only. Computed from the stored text, the
portions and the parsed view, never inside the parser: the parser decides what a portion or
a header field is, this module makes sure nothing falls between them.

Why
---
A release prints the whole cable text (less the excisions and the page-break lines): the
transmission header, the ``TO``/``INFO`` routing, lines such as ``STATE FOR EUR/NB ... J
NATHANIEL HATCHER`` or ``NSC FOR SHAPIRO/MCDERMOTT``. Text that no proposal may cover is text
that will be released whatever the reviewers decide. So the regions are:

* each **portion** (``Portion`` rows: paragraphs and headings);
* each **header field** of the parsed view (every object with ``start`` and ``end``, nested
  ones included, and the pairs of its ``spans`` table: subject, tags, references, DECL,
  classified-by line, signature...);
* each **line piece** that none of those claims: a line, cut where a claimed area starts or
  ends, trimmed of surrounding whitespace (``Line 12``). Every unclaimed line is thus a
  region of its own, and the regions together cover every non-whitespace character.

A span must lie inside one region (the smallest that contains it, a portion before a field
of the same size); one that crosses a boundary is refused, as is one in no region (which can
now only be whitespace outside every claimed area). Splitting lines on ``"\\n"`` only, as
everywhere (``str.splitlines`` splits on U+2028 and more).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from redactor.redaction.spans import Span, SpanError, merge_spans, validate_span

PORTION = "portion"
FIELD = "field"
LINE = "line"

# Parts of the parsed view that are not header fields: paragraphs come from Portion rows;
# page-break lines, withheld runs and warnings are not fields.
NOT_FIELDS = frozenset({"paragraphs", "page_breaks", "withheld", "warnings"})


class PlacementError(ValueError):
    """A span lies in no region, or across the boundary of one."""


@dataclass(frozen=True)
class Region:
    """A part of the text a span may lie in: ``[start, end)`` in code points.

    ``kind`` is :data:`PORTION`, :data:`FIELD` or :data:`LINE`; ``label`` names it for a
    reader (``Line 12``, ``signature``); ``portion_index`` is set for portions only.
    """

    start: int
    end: int
    kind: str
    label: str
    portion_index: int | None = None


def _pairs(value: Any) -> Iterator[tuple[int, int]]:
    # One entry of an explicit {name: [start, end] or [[start, end], ...]} table.
    pairs = value if isinstance(value, list) and value and isinstance(value[0], list) else [value]
    for pair in pairs:
        if isinstance(pair, list) and len(pair) == 2 and all(type(v) is int for v in pair):
            if pair[0] < pair[1]:
                yield pair[0], pair[1]


def header_areas(view: Any, label: str = "header") -> Iterator[tuple[int, int, str]]:
    """Every ``(start, end, label)`` of a header field in a parsed view: objects with
    ``start`` and ``end`` (nested ones included) and the pairs of a ``spans`` table, if the
    view has one. ``label`` is the key the area was found under."""
    if isinstance(view, dict):
        start, end = view.get("start"), view.get("end")
        if type(start) is int and type(end) is int and start < end:
            yield start, end, label
        for key, item in view.items():
            if key == "spans" and isinstance(item, dict):
                for name, value in item.items():
                    for a, b in _pairs(value):
                        yield a, b, str(name)
            elif key not in NOT_FIELDS:
                yield from header_areas(item, str(key))
    elif isinstance(view, list):
        for item in view:
            yield from header_areas(item, label)


def line_regions(text: str, claimed: Iterable[tuple[int, int]]) -> list[Region]:
    """The pieces of ``text`` outside every ``claimed`` ``(start, end)``, cut at every
    newline and trimmed of whitespace: one :data:`LINE` region each, labelled with its
    1-based line number. Together with ``claimed`` they cover every non-whitespace
    character of ``text``."""
    merged = merge_spans(
        Span(max(a, 0), min(b, len(text))) for a, b in claimed if max(a, 0) < min(b, len(text))
    )
    gaps: list[tuple[int, int]] = []
    position = 0
    for span in merged:
        if span.start > position:
            gaps.append((position, span.start))
        position = max(position, span.end)
    if position < len(text):
        gaps.append((position, len(text)))
    line_starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
    regions = []
    for gap_start, gap_end in gaps:
        piece_start = gap_start
        while piece_start < gap_end:
            newline = text.find("\n", piece_start, gap_end)
            piece_end = gap_end if newline < 0 else newline
            a, b = piece_start, piece_end
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if a < b:
                line = bisect_right(line_starts, a)
                regions.append(Region(a, b, LINE, f"Line {line}"))
            piece_start = piece_end + 1
    return regions


def regions(
    text: str, portions: Iterable[tuple[int, int, int]], view: Any
) -> tuple[Region, ...]:
    """Every region of a version (see the module docstring), in text order.

    ``portions`` are ``(start, end, index)`` of its ``Portion`` rows, ``view`` its parsed
    view (as stored). Areas outside the text or empty are left out.
    """
    size = len(text)
    found = [
        Region(a, b, PORTION, f"portion {index + 1}", index)
        for a, b, index in portions
        if 0 <= a < b <= size
    ]
    seen = set()
    for a, b, label in header_areas(view or {}):
        if 0 <= a < b <= size and (a, b) not in seen:
            seen.add((a, b))
            found.append(Region(a, b, FIELD, label))
    found += line_regions(text, [(r.start, r.end) for r in found])
    return tuple(sorted(found, key=lambda r: (r.start, -r.end, r.kind)))


def place(text: str, areas: Sequence[Region], start: object, end: object) -> tuple[Span, Region]:
    """The span ``[start, end)`` of ``text`` snapped to whole characters within the smallest
    of ``areas`` that contains it (a portion before a field or line of the same size), and
    that region.

    Raises :class:`PlacementError` for a bad span (types, range, empty) or one that lies in
    no region or across a boundary.
    """
    try:
        validate_span(text, start, end)  # types and range first, for a clear message
    except SpanError as exc:
        raise PlacementError(str(exc)) from exc
    assert isinstance(start, int) and isinstance(end, int)
    containing = [r for r in areas if r.start <= start and end <= r.end]
    if not containing:
        if any(r.start < end and start < r.end for r in areas):
            raise PlacementError(
                f"span [{start}, {end}) crosses the boundary of a portion, header field or line"
            )
        raise PlacementError(f"span [{start}, {end}) lies in no portion, header field or line")
    region = min(
        containing,
        key=lambda r: (r.end - r.start, r.kind != PORTION, r.portion_index or 0, r.kind),
    )
    try:
        span = validate_span(text, start, end, within=(region.start, region.end))
    except SpanError as exc:  # pragma: no cover - checked above
        raise PlacementError(str(exc)) from exc
    return span, region


def extra_regions(
    areas: Iterable[Region], shown: Iterable[tuple[int, int]]
) -> tuple[Region, ...]:
    """The regions a page must add so that every region can be selected: those not inside
    an area it already shows (``shown``: portions and the fields it lists), nor inside
    another such region. In text order."""
    shown_pairs = list(shown)
    candidates = [
        r for r in areas if not any(a <= r.start and r.end <= b for a, b in shown_pairs)
    ]
    out = [
        r
        for r in candidates
        if not any(
            o is not r
            and o.start <= r.start
            and r.end <= o.end
            and (o.end - o.start, o.start) != (r.end - r.start, r.start)
            for o in candidates
        )
    ]
    return tuple(sorted(out, key=lambda r: (r.start, r.end)))
