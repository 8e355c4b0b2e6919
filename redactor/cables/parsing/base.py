"""What every part of the parser shares: its state (the text, the warnings, the page breaks
found so far), a labelled field of the preamble, and small span helpers.

Pure: standard library only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from redactor.cables.parsing.model import ParseWarning, TextField, _text_field
from redactor.cables.parsing.patterns import _BANNER_NOTAB_RE, _BANNER_RE, _PAGE_BREAK_RE


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past surrounding whitespace (U+2028 included)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _field(text: str, start: int, end: int) -> TextField | None:
    start, end = _strip_span(text, start, end)
    if start >= end:
        return None
    return _text_field(text[start:end], start, end)


def _line_end(text: str, pos: int, limit: int) -> int:
    nl = text.find("\n", pos, limit)
    return limit if nl < 0 else nl


def _is_blank(text: str, start: int, end: int) -> bool:
    return start >= end or text[start:end].isspace()


def _search_page_break(text: str, start: int, end: int) -> re.Match[str] | None:
    """``_PAGE_BREAK_RE.search`` in ``[start, end)``.

    That pattern starts with a look-behind and a class, so the engine tries it at every
    position; both of its forms contain "OF" or "PAGE", and str.find rules most lines out.
    """
    if text.find("OF", start, end) < 0 and text.find("PAGE", start, end) < 0:
        return None
    return _PAGE_BREAK_RE.search(text, start, end)


def _match_banner(text: str, pos: int, end: int) -> re.Match[str] | None:
    """``_BANNER_RE.match(text, pos, end)``, faster on a line without a tab."""
    nl = text.find("\n", pos, end)
    if text.find("\t", pos, end if nl < 0 else nl) < 0:
        return _BANNER_NOTAB_RE.match(text, pos, end)
    return _BANNER_RE.match(text, pos, end)


def _join_lines(chunk: str) -> str:
    """Join wrapped lines with single spaces (dropping CSV-escape backslashes at line ends)."""
    parts = []
    for line in chunk.split("\n"):
        line = line.strip()
        if line.endswith("\\"):
            line = line[:-1].rstrip()
        if line:
            parts.append(line)
    return " ".join(parts)


@dataclass
class _Field:
    """A labelled field of the preamble: its kind ("tags", "subject", ...), where its label
    starts and ends, and where the field ends."""

    kind: str
    start: int  # label start
    label_end: int
    end: int


class _ParserBase:
    """The state of one parse; the reading is done by the mixins of
    :class:`redactor.cables.parsing.structure._Parser`."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.warnings: list[ParseWarning] = []
        self.page_breaks: list[TextField] = []
        self._pb_starts: list[int] = []
        self.home: str | None = None  # the station of this cable's canonical id

    def warn(self, code: str, message: str, start: int) -> None:
        self.warnings.append(ParseWarning(code, message, max(0, min(start, self.n))))
