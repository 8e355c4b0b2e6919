"""Build the releasable document of a cable: the text in which hidden text does not exist.

Pure: standard library only (and the pure span and exemption modules). Every released
artifact (PDF, text, JSON, file name) is written from the :class:`ReleasableDocument` this
module returns, never from the cable text: a writer cannot leak what it never receives.

Rules, and why
--------------
* **Merging.** Approved spans that overlap or touch are merged (codes united), so no
  zero-width seam or one-character sliver is left between two boxes. Spans with anything
  between them, even one space, stay two excisions: that is what was decided.
* **Constant width.** Every excision of a document is shown as a placeholder of the same
  width, ``[B1 1.4(D)]`` padded with spaces inside the brackets to the width of the longest
  label in the document (at least :data:`MIN_PLACEHOLDER_WIDTH` characters). The width
  depends only on the codes used, which are printed anyway, never on what is hidden.
* **Line structure.** The hidden text is removed with every newline inside it: an excision is
  always inline, and the text after the span stays on the line of the text before it
  (``abc [B6      ] def``). The number of lines a redaction covered is therefore not
  revealed, and neither is whether a span crossed a line break. Lines wholly outside any
  redaction keep their exact form.
* **Page-break lines** (``BRASILIA 00001300 002.3 OF 003``) are dropped: they paginate the
  original telegram and would be misleading next to the release's own page lines. A page
  break line is dropped only when the whole line is visible (no redaction touches it) and
  holds nothing besides the page break, so the decision never depends on hidden text; any
  other page-break line is rendered like ordinary text.
* **Markings stay visible**: banners, ``(C)`` portion marks and the classification lines are
  ordinary visible text unless a redaction covers them.
* **Disposition.** ``RELEASE IN FULL`` with no excision; ``DENIED IN FULL`` when every portion
  is withheld (each portion's content, as given by ``portion_spans``, has no visible
  character besides whitespace); otherwise ``RELEASE IN PART`` followed by every code used,
  comma-separated, in stamp order: ``B1`` with its 1.4 categories first, then the other FOIA
  codes, then the 25X/50X exemptions (``RELEASE IN PART B1,1.4(B),1.4(D),B6``).
* **Positions** in the public record are line numbers of the released text, never offsets
  of the original: an offset pair gives away the length of what it hides.

Wrapping for paged output (:func:`wrap_lines`) is pure as well: it breaks lines at spaces to
a fixed column count, never inside a placeholder, so that the layout of a page depends on the
released text alone.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from redactor.redaction.exemptions import CATALOGUE, parse_codes
from redactor.redaction.spans import Span, SpanError, merge_spans

#: The narrowest placeholder, brackets included: "[B6]" alone would look like text.
MIN_PLACEHOLDER_WIDTH = 12

CASE_NUMBER_RE = re.compile(r"F-[0-9]{4}-[0-9]{5}")
DOC_NUMBER_RE = re.compile(r"C[0-9]{8}")

PAGE_LINE_CLASSIFICATION = "UNCLASSIFIED"
AGENCY = "U.S. Department of State"


class ReleaseNumberError(ValueError):
    """A case number is not ``F-YYYY-NNNNN`` or a document number is not ``C`` + 8 digits."""


class Disposition(enum.StrEnum):
    """What the release stamp says about the whole document."""

    FULL = "RELEASE IN FULL"
    PART = "RELEASE IN PART"
    DENIED = "DENIED IN FULL"


@dataclass(frozen=True)
class TextSegment:
    """Released (visible) text within one line; never contains a newline."""

    text: str


@dataclass(frozen=True)
class Excision:
    """The place of one (merged) excision: its codes and label, never what it hides.

    ``width`` is the placeholder width in characters, the same for every excision of one
    document.
    """

    codes: tuple[str, ...]
    width: int

    @property
    def label(self) -> str:
        """The codes as printed in the box: ``B1 1.4(D)``."""
        return " ".join(self.codes)

    @property
    def placeholder(self) -> str:
        """``[B1 1.4(D)   ]``: the label padded inside brackets to :attr:`width`."""
        return "[" + self.label.ljust(self.width - 2) + "]"


Segment = TextSegment | Excision
Line = tuple[Segment, ...]


def line_text(line: Iterable[Segment]) -> str:
    """One line as plain text, each excision written as its placeholder."""
    return "".join(s.text if isinstance(s, TextSegment) else s.placeholder for s in line)


@dataclass(frozen=True)
class ReleasableDocument:
    """The released form of one cable version: stamp data and lines of segments."""

    case_number: str
    doc_number: str
    release_date: date
    disposition: Disposition
    codes: tuple[str, ...]  # every code used, in stamp order
    lines: tuple[Line, ...]
    placeholder_width: int

    @property
    def date_text(self) -> str:
        """The release date as printed: ``MM/DD/YYYY``."""
        return self.release_date.strftime("%m/%d/%Y")

    @property
    def page_line(self) -> str:
        """The line printed at the top and bottom of every page."""
        return (
            f"{PAGE_LINE_CLASSIFICATION} {AGENCY} Case No. {self.case_number} "
            f"Doc No. {self.doc_number} Date: {self.date_text}"
        )

    @property
    def stamp(self) -> str:
        """The disposition stamp of the first page."""
        if self.disposition is Disposition.PART:
            return f"{Disposition.PART.value} {','.join(self.codes)}"
        return self.disposition.value

    @property
    def excisions(self) -> tuple[Excision, ...]:
        """Every excision, in reading order."""
        return tuple(s for line in self.lines for s in line if isinstance(s, Excision))

    @property
    def body_text(self) -> str:
        """The released cable text, excisions as placeholders, lines joined by ``\\n``."""
        return "\n".join(line_text(line) for line in self.lines)

    @property
    def visible_text(self) -> str:
        """Everything a reader of any artifact may see: page line, stamp and body."""
        return f"{self.page_line}\n{self.stamp}\n{self.body_text}\n"

    def public_record(self) -> dict:
        """The JSON-ready description of the release that is published with it.

        Positions are 1-based line numbers of the released text; nothing here is derived
        from hidden text.
        """
        excisions = [
            {"line": number, "label": segment.label, "codes": list(segment.codes)}
            for number, line in enumerate(self.lines, start=1)
            for segment in line
            if isinstance(segment, Excision)
        ]
        return {
            "page_line": self.page_line,
            "case_number": self.case_number,
            "doc_number": self.doc_number,
            "release_date": self.release_date.isoformat(),
            "disposition": self.disposition.value,
            "stamp": self.stamp,
            "codes": list(self.codes),
            "excisions": excisions,
            "placeholder_width": self.placeholder_width,
            "line_count": len(self.lines),
        }


# --------------------------------------------------------------------------- numbers


def check_case_number(value: object) -> str:
    """``value`` if it is a case number ``F-YYYY-NNNNN``; raises :class:`ReleaseNumberError`."""
    if not isinstance(value, str) or not CASE_NUMBER_RE.fullmatch(value):
        raise ReleaseNumberError(f"a case number looks like F-2014-20439, not {value!r}")
    return value


def check_doc_number(value: object) -> str:
    """``value`` if it is a document number ``C`` + 8 digits; raises
    :class:`ReleaseNumberError`."""
    if not isinstance(value, str) or not DOC_NUMBER_RE.fullmatch(value):
        raise ReleaseNumberError(f"a document number looks like C05771875, not {value!r}")
    return value


# --------------------------------------------------------------------------- codes


def _stamp_rank(code: str) -> tuple[int, int]:
    position = list(CATALOGUE).index(code)
    if code == "B1":
        return (0, position)
    if code.startswith("1.4("):
        return (1, position)
    if code.startswith("B"):
        return (2, position)
    return (3, position)


def stamp_order(codes: Iterable[str]) -> tuple[str, ...]:
    """Canonical ``codes`` (de-duplicated) in the order of a release stamp: ``B1`` and its
    1.4 categories, the other FOIA codes, then 25X/50X. Raises ``CodeError`` for an
    unknown code."""
    found = list(codes)
    if not found:
        return ()
    return tuple(sorted(set(parse_codes(found)), key=_stamp_rank))


# --------------------------------------------------------------------------- rendering


def _check_spans(text: str, redactions: Sequence[tuple[int, int, object]]) -> list[Span]:
    spans = []
    for item in redactions:
        if not isinstance(item, tuple | list) or len(item) != 3:
            raise SpanError(f"a redaction is (start, end, codes), not {item!r}")
        span = Span(item[0], item[1])
        if span.end > len(text):
            raise SpanError(f"span [{span.start}, {span.end}) ends past the text ({len(text)})")
        spans.append(span)
    return spans


def _merged_with_codes(
    text: str, redactions: Sequence[tuple[int, int, object]]
) -> list[tuple[Span, tuple[str, ...]]]:
    spans = _check_spans(text, redactions)
    merged = merge_spans(spans)
    starts = [span.start for span in merged]
    codes: list[set[str]] = [set() for _ in merged]
    for span, (_, _, item_codes) in zip(spans, redactions, strict=True):
        index = bisect_right(starts, span.start) - 1
        codes[index].update(parse_codes(item_codes))
    return [(span, stamp_order(found)) for span, found in zip(merged, codes, strict=True)]


def _covered(merged: Sequence[Span], starts: Sequence[int], start: int, end: int) -> bool:
    """True if any merged span intersects ``[start, end)``."""
    index = bisect_right(starts, end - 1) - 1 if end > start else -1
    return index >= 0 and merged[index].end > start


def _withheld(
    text: str, merged: Sequence[Span], starts: Sequence[int], start: int, end: int
) -> bool:
    """True if every non-whitespace character of ``text[start:end]`` is in a merged span."""
    pos = start
    index = max(bisect_right(starts, start) - 1, 0)
    while pos < end:
        while index < len(merged) and merged[index].end <= pos:
            index += 1
        if index == len(merged) or merged[index].start >= end:
            return not text[pos:end].strip()
        if merged[index].start > pos and text[pos : merged[index].start].strip():
            return False
        pos = merged[index].end
    return True


def _dropped_lines(
    text: str, merged: Sequence[Span], starts: Sequence[int], page_breaks: Iterable[object]
) -> list[tuple[int, int]]:
    drops = set()
    for item in page_breaks:
        start, end = item
        if not (0 <= start < end <= len(text)):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        newline = text.find("\n", end)
        line_end = len(text) if newline < 0 else newline
        if "\n" in text[start:end] or _covered(merged, starts, line_start, line_end + 1):
            continue
        if (text[line_start:start] + text[end:line_end]).strip():
            continue
        drops.add((line_start, line_end + 1 if newline >= 0 else line_end))
    return sorted(drops)


def render_release(
    text: str,
    redactions: Sequence[tuple[int, int, object]],
    *,
    case_number: str,
    doc_number: str,
    release_date: date,
    page_break_spans: Iterable[tuple[int, int]] = (),
    portion_spans: Iterable[tuple[int, int]] = (),
) -> ReleasableDocument:
    """The :class:`ReleasableDocument` of ``text`` with ``redactions`` excised.

    ``redactions`` are ``(start, end, codes)`` in code points of ``text`` (approved spans,
    unmerged, in any order); ``codes`` is anything :func:`parse_codes` accepts.
    ``page_break_spans`` are the parser's page-break lines; ``portion_spans`` the content of
    each portion (after its number and marking), which decides ``DENIED IN FULL``.

    Raises ``SpanError`` for a span that is empty, reversed, negative or past the text,
    ``CodeError`` for bad codes, :class:`ReleaseNumberError` for bad numbers, ``TypeError``
    for a release date that is not a date.
    """
    check_case_number(case_number)
    check_doc_number(doc_number)
    if not isinstance(release_date, date):
        raise TypeError(f"release_date must be a date, not {type(release_date).__name__}")
    merged_codes = _merged_with_codes(text, redactions)
    merged = [span for span, _ in merged_codes]
    starts = [span.start for span in merged]
    all_codes = stamp_order(code for _, codes in merged_codes for code in codes)
    width = max(
        [MIN_PLACEHOLDER_WIDTH] + [len(" ".join(codes)) + 2 for _, codes in merged_codes]
    )

    cuts: list[tuple[int, int, Excision | None]] = [
        (span.start, span.end, Excision(codes, width)) for span, codes in merged_codes
    ]
    cuts += [(a, b, None) for a, b in _dropped_lines(text, merged, starts, page_break_spans)]
    cuts.sort(key=lambda cut: cut[0])

    lines: list[Line] = []
    current: list[Segment] = []

    def add_visible(piece: str) -> None:
        nonlocal current
        parts = piece.split("\n")
        for number, part in enumerate(parts):
            if number:
                lines.append(tuple(current))
                current = []
            if part:
                if current and isinstance(current[-1], TextSegment):
                    current[-1] = TextSegment(current[-1].text + part)
                else:
                    current.append(TextSegment(part))

    pos = 0
    for start, end, excision in cuts:
        add_visible(text[pos:start])
        if excision is not None:
            current.append(excision)
        pos = end
    add_visible(text[pos:])
    lines.append(tuple(current))
    while lines and not lines[-1]:
        lines.pop()

    portions = [tuple(p) for p in portion_spans]
    if not merged:
        disposition = Disposition.FULL
    elif portions and all(
        _withheld(text, merged, starts, a, b) for a, b in portions
    ):
        disposition = Disposition.DENIED
    else:
        disposition = Disposition.PART
    return ReleasableDocument(
        case_number=case_number,
        doc_number=doc_number,
        release_date=release_date,
        disposition=disposition,
        codes=all_codes,
        lines=tuple(lines),
        placeholder_width=width,
    )


def released_text(
    text: str,
    redactions: Sequence[tuple[int, int, object]],
    start: int = 0,
    end: int | None = None,
    *,
    width: int | None = None,
) -> str:
    """``text[start:end]`` as released: each merged span (clipped to the range) replaced by
    its placeholder, hidden newlines included, exactly as :func:`render_release` does.

    ``width`` is the placeholder width (default: the one :func:`render_release` gives the
    whole document with these ``redactions``, whatever the range).
    Page-break lines are kept. Raises as :func:`render_release`.
    """
    end = len(text) if end is None else end
    merged_codes = _merged_with_codes(text, redactions)
    if width is None:
        width = max(
            [MIN_PLACEHOLDER_WIDTH] + [len(" ".join(codes)) + 2 for _, codes in merged_codes]
        )
    out: list[str] = []
    pos = start
    for span, codes in merged_codes:
        if span.end <= start or span.start >= end:
            continue
        a, b = max(span.start, start), min(span.end, end)
        out.append(text[pos:a])
        out.append(Excision(codes, width).placeholder)
        pos = b
    out.append(text[pos:end])
    return "".join(out)


# --------------------------------------------------------------------------- wrapping

TAB_SIZE = 8


def cell_width(char: str) -> int:
    """Columns ``char`` takes in a monospace face: 0 for combining and format characters,
    2 for East Asian wide and full-width characters, else 1."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(char) in ("W", "F"):
        return 2
    return 1


_TOKEN_RE = re.compile(r" +|[^ ]+")


def _tokens(line: Line) -> Iterator[str | Excision]:
    """The excisions of ``line`` and its text as runs of spaces and runs of other characters."""
    for segment in line:
        if isinstance(segment, Excision):
            yield segment
        else:
            yield from _TOKEN_RE.findall(segment.text)


def _width(text: str) -> int:
    # Every ASCII character is one cell wide (tabs are expanded before this is asked): the
    # common case needs no look-up per character.
    return len(text) if text.isascii() else sum(cell_width(c) for c in text)


def wrap_line(line: Line, columns: int) -> tuple[Line, ...]:
    """``line`` broken into rows of at most ``columns`` cells (see :func:`cell_width`).

    Breaks at spaces (dropped at the break), splits a word longer than a row, never splits a
    placeholder (one wider than a row gets a row of its own). Tabs become spaces to the next
    multiple of :data:`TAB_SIZE`. An empty line gives one empty row.
    """
    if columns < 1:
        raise ValueError("columns must be positive")
    rows: list[Line] = []
    row: list[Segment] = []
    run: list[str] = []  # the text at the end of ``row``, one TextSegment once the row ends
    used = 0

    def end_run(strip: bool) -> None:
        text = "".join(run)
        if strip:
            text = text.rstrip(" ")
        if text:
            row.append(TextSegment(text))
        run.clear()

    def newline() -> None:
        nonlocal row, used
        end_run(strip=True)  # the break swallows the spaces before it
        rows.append(tuple(row))
        row, used = [], 0

    for token in _tokens(line):
        if isinstance(token, Excision):
            if used and used + token.width > columns:
                newline()
            end_run(strip=False)
            row.append(token)
            used += token.width
            continue
        piece = token
        if "\t" in piece:
            expanded = []
            column = used
            for char in piece:
                if char == "\t":
                    pad = TAB_SIZE - column % TAB_SIZE
                    expanded.append(" " * pad)
                    column += pad
                else:
                    expanded.append(char)
                    column += cell_width(char)
            piece = "".join(expanded)
        width = _width(piece)
        if piece.startswith(" ") and not piece.strip(" "):
            if used + width > columns:
                if used:
                    newline()  # the break swallows the spaces
            elif used or not rows:
                run.append(piece)
                used += width
            continue
        if used + width <= columns:
            run.append(piece)
            used += width
            continue
        if used:
            newline()
        chunk, chunk_width = [], 0
        for char in piece:
            w = cell_width(char)
            if chunk_width + w > columns and chunk:
                run.append("".join(chunk))
                used += chunk_width
                newline()
                chunk, chunk_width = [], 0
            chunk.append(char)
            chunk_width += w
        if chunk:
            run.append("".join(chunk))
            used += chunk_width
    if row or run or not rows:
        end_run(strip=False)
        rows.append(tuple(row))
    return tuple(rows)


def show_invisible(text: str) -> str:
    """``text`` with every control, format and line/paragraph separator character other
    than the tab written as ``<U+XXXX>``.

    A page cannot show a bidi override or a zero-width character, yet they reorder or hide
    what is printed around them; on paper they are spelled out instead.
    """
    if text.isascii() and text.isprintable():
        return text
    out = []
    for char in text:
        if char != "\t" and unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co"):
            out.append(f"<U+{ord(char):04X}>")
        else:
            out.append(char)
    return "".join(out)


def printable_line(line: Line) -> Line:
    """``line`` with :func:`show_invisible` applied to its text."""
    return tuple(
        TextSegment(show_invisible(s.text)) if isinstance(s, TextSegment) else s for s in line
    )


def wrap_lines(doc: ReleasableDocument, columns: int) -> tuple[Line, ...]:
    """Every line of ``doc``, invisible characters spelled out (:func:`show_invisible`),
    wrapped to ``columns`` (see :func:`wrap_line`): the rows of a printed page."""
    return tuple(row for line in doc.lines for row in wrap_line(printable_line(line), columns))
