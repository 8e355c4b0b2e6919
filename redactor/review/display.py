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

#: Extended_Pictographic (Unicode 17 emoji data, UAX #29): the characters that an emoji
#: ZWJ sequence joins.
_PICTOGRAPHIC = (
    "\u00A9\u00AE\u203C\u2049\u2122\u2139\u2194-\u2199\u21A9-\u21AA\u231A-\u231B\u2328"
    "\u23CF\u23E9-\u23F3\u23F8-\u23FA\u24C2\u25AA-\u25AB\u25B6\u25C0\u25FB-\u25FE"
    "\u2600-\u2604\u260E\u2611\u2614-\u2615\u2618\u261D\u2620\u2622-\u2623\u2626\u262A"
    "\u262E-\u262F\u2638-\u263A\u2640\u2642\u2648-\u2653\u265F-\u2660\u2663\u2665-\u2666"
    "\u2668\u267B\u267E-\u267F\u2692-\u2697\u2699\u269B-\u269C\u26A0-\u26A1\u26A7"
    "\u26AA-\u26AB\u26B0-\u26B1\u26BD-\u26BE\u26C4-\u26C5\u26C8\u26CE-\u26CF\u26D1"
    "\u26D3-\u26D4\u26E9-\u26EA\u26F0-\u26F5\u26F7-\u26FA\u26FD\u2702\u2705\u2708-\u270D"
    "\u270F\u2712\u2714\u2716\u271D\u2721\u2728\u2733-\u2734\u2744\u2747\u274C\u274E"
    "\u2753-\u2755\u2757\u2763-\u2764\u2795-\u2797\u27A1\u27B0\u27BF\u2934-\u2935"
    "\u2B05-\u2B07\u2B1B-\u2B1C\u2B50\u2B55\u3030\u303D\u3297\u3299\U0001F004"
    "\U0001F02C-\U0001F02F\U0001F094-\U0001F09F\U0001F0AF-\U0001F0B0\U0001F0C0"
    "\U0001F0CF-\U0001F0D0\U0001F0F6-\U0001F0FF\U0001F170-\U0001F171\U0001F17E-\U0001F17F"
    "\U0001F18E\U0001F191-\U0001F19A\U0001F1AE-\U0001F1E5\U0001F201-\U0001F20F\U0001F21A"
    "\U0001F22F\U0001F232-\U0001F23A\U0001F23C-\U0001F23F\U0001F249-\U0001F25F"
    "\U0001F266-\U0001F321\U0001F324-\U0001F393\U0001F396-\U0001F397\U0001F399-\U0001F39B"
    "\U0001F39E-\U0001F3F0\U0001F3F3-\U0001F3F5\U0001F3F7-\U0001F3FA\U0001F400-\U0001F4FD"
    "\U0001F4FF-\U0001F53D\U0001F549-\U0001F54E\U0001F550-\U0001F567\U0001F56F-\U0001F570"
    "\U0001F573-\U0001F57A\U0001F587\U0001F58A-\U0001F58D\U0001F590\U0001F595-\U0001F596"
    "\U0001F5A4-\U0001F5A5\U0001F5A8\U0001F5B1-\U0001F5B2\U0001F5BC\U0001F5C2-\U0001F5C4"
    "\U0001F5D1-\U0001F5D3\U0001F5DC-\U0001F5DE\U0001F5E1\U0001F5E3\U0001F5E8\U0001F5EF"
    "\U0001F5F3\U0001F5FA-\U0001F64F\U0001F680-\U0001F6C5\U0001F6CB-\U0001F6D2"
    "\U0001F6D5-\U0001F6E5\U0001F6E9\U0001F6EB-\U0001F6F0\U0001F6F3-\U0001F6FF"
    "\U0001F7DA-\U0001F7FF\U0001F80C-\U0001F80F\U0001F848-\U0001F84F\U0001F85A-\U0001F85F"
    "\U0001F888-\U0001F88F\U0001F8AE-\U0001F8AF\U0001F8BC-\U0001F8BF\U0001F8C2-\U0001F8CF"
    "\U0001F8D9-\U0001F8FF\U0001F90C-\U0001F93A\U0001F93C-\U0001F945\U0001F947-\U0001F9FF"
    "\U0001FA58-\U0001FA5F\U0001FA6E-\U0001FAFF\U0001FC00-\U0001FFFD"
)
_EMOJI = f"[{_PICTOGRAPHIC}][\ufe0f\U0001f3fb-\U0001f3ff]?"  # with its presentation or skin tone
#: Grapheme clusters that hold characters :data:`INVISIBLE_RE` would show as badges, yet
#: are one visible character: emoji joined by ZWJ (a family, a profession with a skin
#: tone) and the three subdivision flags of the emoji standard (England, Scotland, Wales),
#: whose tag letters are exactly ``gbeng``, ``gbsct`` or ``gbwls``. Any other joiner or
#: tag character stays a badge: tags after a flag can carry hidden text.
EMOJI_CLUSTER_RE = re.compile(
    f"{_EMOJI}(?:\u200d{_EMOJI})+"
    "|\U0001f3f4\U000e0067\U000e0062"
    "(?:\U000e0065\U000e006e\U000e0067|\U000e0073\U000e0063\U000e0074"
    "|\U000e0077\U000e006c\U000e0073)\U000e007f"
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
    cluster: bool = False  # one emoji of several code points (title: its code points)
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
        if self.cluster:
            names.append("seg-cluster")
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
    clusters: list[tuple[int, int]] = []
    if not (text[start:end].isascii() and text[start:end].isprintable()):
        # An emoji cluster is one unit: its joiners and tags are no badges of their own.
        clusters = [m.span() for m in EMOJI_CLUSTER_RE.finditer(text, start, end)]
        for a, b in clusters:
            cuts.update((a, b))
        cluster_starts = [a for a, _ in clusters]
        for match in INVISIBLE_RE.finditer(text, start, end):
            position = match.start()
            if match.group() in "\n\t" or _inside(clusters, cluster_starts, position):
                continue
            invisible_at.add(position)
            cuts.update((position, position + 1))
    bounds = sorted(cuts)
    run_starts = [a for a, _ in runs]
    cluster_starts = [a for a, _ in clusters]
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
        elif _inside(clusters, cluster_starts, a):
            segments.append(
                Segment(a, b - a, text[a:b], cluster=True, title=code_points(text[a:b]),
                        **flags)
            )
        else:
            segments.append(Segment(a, b - a, text[a:b], **flags))
    return tuple(segments)


def code_points(value: str) -> str:
    """``U+1F468 U+200D U+1F469``: what a cluster is made of, for its title."""
    return " ".join(f"U+{ord(char):04X}" for char in value)


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
        elif seg.title:
            attributes += f' title="{escape(seg.title)}"'
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
