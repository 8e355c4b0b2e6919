"""What the review pages show of a cable's text: segments with offsets, marks and badges.

Pure: standard library and the pure modules of the project only. The web layer hands these
plain values to templates; the templates escape every piece of text and add nothing. The one
exception is :func:`segments_html`, which writes the elements of a run of segments itself
(every text and attribute value escaped here, see :func:`escape`), because a page shows
thousands of them and a template loop over them costs more than the rest of the page.

Offsets
-------
The browser turns a selection into code-point offsets of the stored text by walking the
segment elements of a portion: each text element carries ``data-start`` (the code-point
offset of its first character) and shows exactly ``text[start:start + length]``; each badge
that stands for an invisible character carries ``data-cp="1"`` and counts as exactly one
code point whatever its label says. So the display may add badges and drop page-break lines
without shifting the offsets the script computes (:func:`segment_text` is tested to
reconstruct the stored text exactly).

Elementary segments
-------------------
A portion's text is cut at every edge of a proposal (approved spans filled, pending ones
outlined), of a WikiLeaks ``XXXXXXXXXXXX`` run, of a dropped page-break line, and around every
invisible character, so that overlapping proposals never need nested or crossing elements:
each segment knows the set of proposals covering it.

Preview
-------
:func:`preview_portion` shows a range as it would be released: approved spans become the
constant-width placeholders of :mod:`redactor.release.render` (the hidden text is never
copied into a piece), pending proposals are visible but outlined.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from redactor.redaction.regions import extra_regions, regions
from redactor.redaction.spans import Span, merge_spans
from redactor.release.render import Excision, render_release

#: Characters a reviewer cannot see but that change what they read: C0/C1 controls other
#: than tab and newline, soft hyphen, Arabic letter mark, zero-width and directional marks,
#: line/paragraph separators, bidi embeddings, overrides and isolates, word joiner and
#: invisible operators, the byte-order mark, and tag characters.
INVISIBLE_RE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u2064\u2066-\u2069\ufeff\U000e0000-\U000e007f]"
)

_CONTROL_NAMES = {
    0x00: "NULL",
    0x08: "BACKSPACE",
    0x0B: "LINE TABULATION",
    0x0C: "FORM FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}

PENDING = "pending"
APPROVED = "approved"

# The replacements of markupsafe (which Jinja uses), so that markup written here is the
# same, byte for byte, as what a template would write.
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})


def escape(value: str) -> str:
    """``value`` with ``& < > " '`` replaced by character references, as Jinja escapes text
    and attribute values."""
    return value.translate(_ESCAPES)


class Html(str):
    """Markup made by this module from escaped pieces (see :func:`segments_html`).

    It has ``__html__``, the protocol by which Jinja (markupsafe) recognises markup, so a
    template inserts it as it is. Anything joined to it is a plain ``str`` again, which a
    template escapes: mixing in unescaped text can only be over-escaped, never injected.
    """

    __slots__ = ()

    def __html__(self) -> str:
        return self


def invisible_name(char: str) -> str:
    """A readable name of an invisible character: ``RIGHT-TO-LEFT OVERRIDE``."""
    code = ord(char)
    return unicodedata.name(char, "") or _CONTROL_NAMES.get(code, "CONTROL CHARACTER")


def badge_label(char: str) -> str:
    """The label of the badge standing for ``char``: ``[U+202E]``."""
    return f"[U+{ord(char):04X}]"


@dataclass(frozen=True)
class Mark:
    """A proposal to highlight: its span, id and whether it is approved or pending."""

    start: int
    end: int
    redaction_id: int
    status: str  # PENDING or APPROVED


@dataclass(frozen=True)
class Segment:
    """One element of a displayed text.

    ``text`` is what the element shows. For a text segment it is exactly
    ``stored[start:start + length]``; for an invisible character (``invisible``) it is a
    badge label and ``length`` is 1.
    """

    start: int
    length: int
    text: str
    invisible: bool = False
    title: str = ""  # the character's name, for badges
    withheld: bool = False  # inside a WikiLeaks XXXXXXXXXXXX run
    approved: bool = False
    pending: bool = False
    redaction_ids: tuple[int, ...] = ()

    @property
    def end(self) -> int:
        """The offset after the last code point this segment stands for."""
        return self.start + self.length

    @property
    def css(self) -> str:
        """The CSS classes of the element (a fixed vocabulary, never from the text)."""
        names = ["seg"]
        if self.invisible:
            names.append("seg-invisible")
        if self.withheld:
            names.append("seg-withheld")
        if self.approved:
            names.append("seg-approved")
        if self.pending:
            names.append("seg-pending")
        return " ".join(names)


def dropped_lines(text: str, page_breaks: Iterable[Sequence[int]]) -> list[tuple[int, int]]:
    """The ``[start, end)`` of each page-break line to leave out of the display: the whole
    line and its newline, when the line holds nothing but the page break."""
    drops = []
    for item in page_breaks:
        start, end = int(item[0]), int(item[1])
        if not 0 <= start < end <= len(text) or "\n" in text[start:end]:
            continue
        line_start = text.rfind("\n", 0, start) + 1
        newline = text.find("\n", end)
        line_end = len(text) if newline < 0 else newline
        if (text[line_start:start] + text[end:line_end]).strip():
            continue
        drops.append((line_start, line_end + 1 if newline >= 0 else line_end))
    return sorted(drops)


def _clip(pairs: Iterable[Sequence[int]], start: int, end: int) -> list[tuple[int, int]]:
    out = []
    for pair in pairs:
        a, b = max(int(pair[0]), start), min(int(pair[1]), end)
        if a < b:
            out.append((a, b))
    return out


def _inside(pairs: Sequence[tuple[int, int]], starts: Sequence[int], a: int) -> bool:
    index = bisect_right(starts, a) - 1
    return index >= 0 and pairs[index][0] <= a < pairs[index][1]


def segment_text(
    text: str,
    start: int,
    end: int,
    *,
    marks: Iterable[Mark] = (),
    withheld: Iterable[Sequence[int]] = (),
    drops: Iterable[Sequence[int]] = (),
) -> tuple[Segment, ...]:
    """``text[start:end]`` as elementary segments (see the module docstring).

    ``marks`` are the proposals to highlight (clipped to the range), ``withheld`` the
    WikiLeaks runs, ``drops`` the ranges left out of the display (page-break lines).
    Segments are in text order and cover the range except the dropped parts.
    """
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    clipped_marks = [
        (a, b, mark)
        for mark in marks
        for a, b in _clip([(mark.start, mark.end)], start, end)
    ]
    runs = sorted(_clip(withheld, start, end))
    dropped = sorted(_clip(drops, start, end))
    cuts = {start, end}
    for a, b, _mark in clipped_marks:
        cuts.update((a, b))
    for a, b in runs + dropped:
        cuts.update((a, b))
    invisible_at = set()
    if not (text[start:end].isascii() and text[start:end].isprintable()):
        for match in INVISIBLE_RE.finditer(text, start, end):
            if match.group() in "\n\t":
                continue
            position = match.start()
            invisible_at.add(position)
            cuts.update((position, position + 1))
    bounds = sorted(cuts)
    run_starts = [a for a, _ in runs]
    drop_starts = [a for a, _ in dropped]
    clipped_marks.sort(key=lambda item: (item[0], item[1]))
    active: list[tuple[int, int, Mark]] = []
    next_mark = 0
    segments: list[Segment] = []
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a >= b:
            continue
        while next_mark < len(clipped_marks) and clipped_marks[next_mark][0] <= a:
            active.append(clipped_marks[next_mark])
            next_mark += 1
        active = [item for item in active if item[1] > a]
        if _inside(dropped, drop_starts, a):
            continue
        covering = sorted(item[2].redaction_id for item in active)
        statuses = {item[2].status for item in active}
        flags = {
            "withheld": _inside(runs, run_starts, a),
            "approved": APPROVED in statuses,
            "pending": PENDING in statuses,
            "redaction_ids": tuple(covering),
        }
        if a in invisible_at:
            char = text[a]
            segments.append(
                Segment(a, 1, badge_label(char), invisible=True, title=invisible_name(char),
                        **flags)
            )
        else:
            segments.append(Segment(a, b - a, text[a:b], **flags))
    return tuple(segments)


def segments_html(segments: Iterable[Segment], *, offsets: bool = True) -> Html:
    """The elements of ``segments``, one ``span`` each, with nothing between them.

    ``class`` is the segment's :attr:`Segment.css`; with ``offsets``, ``data-start`` is its
    offset; a badge has ``data-cp="1"`` and the character's name as ``title``; a segment
    under proposals lists their ids in ``data-redactions``. Texts and titles are escaped.
    """
    parts = []
    for seg in segments:
        attributes = f' data-start="{seg.start}"' if offsets else ""
        if seg.invisible:
            attributes += f' data-cp="1" title="{escape(seg.title)}"'
        if seg.redaction_ids:
            attributes += f' data-redactions="{" ".join(map(str, seg.redaction_ids))}"'
        parts.append(f'<span class="{seg.css}"{attributes}>{escape(seg.text)}</span>')
    return Html("".join(parts))


def has_invisible(text: str) -> bool:
    """True if ``text`` holds a character :func:`segment_text` shows as a badge."""
    return any(m.group() not in "\n\t" for m in INVISIBLE_RE.finditer(text))


def other_regions(
    text: str,
    portions: Iterable[tuple[int, int, int]],
    view: object,
    shown: Iterable[tuple[int, int]],
) -> tuple[tuple[str, int, int], ...]:
    """``(label, start, end)`` of every region a reviewer may propose on that the page does
    not show otherwise: the lines outside every portion and header field (transmission
    header, routing, ``... FOR ...`` lines) and the fields not among ``shown`` (the areas
    the page lists already, portions included). A page that shows these as selectable
    segments lets a reviewer select every character a release prints
    (see :mod:`redactor.redaction.regions`)."""
    portions = list(portions)
    areas = regions(text, portions, view)
    listed = [(a, b) for a, b, _ in portions] + list(shown)
    return tuple((r.label, r.start, r.end) for r in extra_regions(areas, listed))


# --------------------------------------------------------------------------- preview


@dataclass(frozen=True)
class PreviewPiece:
    """One piece of a previewed text: visible text (maybe outlined as pending, maybe an
    invisible-character badge) or an excision placeholder. Never hidden text."""

    text: str
    excision: bool = False
    pending: bool = False
    invisible: bool = False
    title: str = ""

    @property
    def css(self) -> str:
        """The CSS classes of the element."""
        if self.excision:
            return "excision"
        names = ["seg"]
        if self.invisible:
            names.append("seg-invisible")
        if self.pending:
            names.append("seg-pending")
        return " ".join(names)


@dataclass(frozen=True)
class Preview:
    """What the preview page needs of the whole document: its stamp and placeholder width,
    and the merged approved spans with their codes (built by the release renderer)."""

    stamp: str
    width: int
    excisions: tuple[tuple[Span, tuple[str, ...]], ...]


def build_preview(
    text: str,
    approved: Sequence[tuple[Span, Sequence[str]]],
    *,
    page_breaks: Iterable[Sequence[int]] = (),
    portion_spans: Iterable[Sequence[int]] = (),
) -> Preview:
    """The stamp and placeholder width the release would have with the ``approved`` spans
    (from :func:`redactor.release.render.render_release`), and the merged excisions."""
    redactions = [(span.start, span.end, tuple(codes)) for span, codes in approved]
    document = render_release(
        text,
        redactions,
        case_number="F-0000-00000",
        doc_number="C00000000",
        release_date=date(2000, 1, 1),
        page_break_spans=[tuple(p) for p in page_breaks],
        portion_spans=[tuple(p) for p in portion_spans],
    )
    # The renderer makes one excision per merged span, in text order.
    merged = merge_spans(span for span, _ in approved)
    excisions = tuple(
        (span, excision.codes) for span, excision in zip(merged, document.excisions, strict=True)
    )
    return Preview(document.stamp, document.placeholder_width, excisions)


def preview_portion(
    text: str,
    start: int,
    end: int,
    preview: Preview,
    *,
    pending: Iterable[Sequence[int]] = (),
    drops: Iterable[Sequence[int]] = (),
) -> tuple[PreviewPiece, ...]:
    """``text[start:end]`` as the release would show it: every excision of ``preview``
    (clipped to the range) as its placeholder, ``pending`` spans outlined, ``drops``
    (page-break lines untouched by an excision) left out, invisible characters as badges.
    """
    pieces: list[PreviewPiece] = []
    cuts = [
        (max(span.start, start), min(span.end, end), codes)
        for span, codes in preview.excisions
        if span.start < end and span.end > start
    ]
    cut_spans = [(a, b) for a, b, _ in cuts]
    visible_drops = [
        (a, b) for a, b in _clip(drops, start, end)
        if not any(x < b and a < y for x, y in cut_spans)
    ]
    pending_marks = [Mark(int(a), int(b), 0, PENDING) for a, b in pending]

    def visible(a: int, b: int) -> None:
        for seg in segment_text(text, a, b, marks=pending_marks, drops=visible_drops):
            pieces.append(
                PreviewPiece(seg.text, pending=seg.pending, invisible=seg.invisible,
                             title=seg.title)
            )

    position = start
    for a, b, codes in cuts:
        if a > position:
            visible(position, a)
        pieces.append(PreviewPiece(Excision(tuple(codes), preview.width).placeholder,
                                   excision=True))
        position = b
    if position < end:
        visible(position, end)
    return tuple(pieces)
