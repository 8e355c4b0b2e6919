"""Reading the metadata lines and the telegram envelope ("header") of a cable.

Pure: standard library only.
"""

from __future__ import annotations

from datetime import datetime

from redactor.cables.parsing.base import _field, _ParserBase
from redactor.cables.parsing.model import Header, TextField, _text_field
from redactor.cables.parsing.patterns import (
    _BLANK_LINE_RE,
    _DTG_RE,
    _HEADER_KEYWORD_HEADS,
    _HEADER_PAGE_RE,
    _HEADER_SPLIT_RE,
    _INFO_LOG_RE,
    _META_DATE_RE,
    _PARTIAL_EXTRACT,
    _TO_RE,
)


class _HeaderReader(_ParserBase):
    """The five metadata lines, and the envelope between them and the body."""


    def metadata(self) -> tuple[list[TextField | None], int]:
        """The five metadata lines, and the offset of the newline ending line 5 (or n)."""
        text = self.text
        out: list[TextField | None] = []
        pos = 0
        last_nl = self.n
        for _ in range(5):
            if pos > self.n:
                out.append(None)
                continue
            nl = text.find("\n", pos)
            end = self.n if nl < 0 else nl
            out.append(_field(text, pos, end))
            last_nl = end
            pos = end + 1
        return out, last_nl

    def meta_datetime(self, f: TextField | None, what: str) -> datetime | None:
        if f is None:
            return None
        m = _META_DATE_RE.fullmatch(f.value)
        if m:
            try:
                return datetime(*map(int, m.groups()))
            except ValueError:
                pass
        self.warn("bad-date", f"{what} date is not YYYY-MM-DD HH:MM: {f.value[:40]!r}", f.start)
        return None

    # ---------------------------------------------------------------- header

    def split_header(self, meta_end: int) -> tuple[int, int, int]:
        """Return (header_start, header_end, body_start)."""
        text, n = self.text, self.n
        if meta_end >= n:
            return n, n, n
        m = _HEADER_SPLIT_RE.search(text, meta_end)
        if m:
            return meta_end + 1, m.start(), m.end()
        # Fallback: first blank line after the first non-blank header line.
        pos = meta_end + 1
        while pos < n and text[pos].isspace():
            pos += 1
        b = _BLANK_LINE_RE.search(text, pos)
        if b:
            return meta_end + 1, b.start(), b.end()
        return meta_end + 1, meta_end + 1, meta_end + 1

    def header(self, start: int, end: int) -> Header | None:
        """The telegram envelope in ``[start, end)``; None (and a warning) if it is empty."""
        text = self.text
        prec = dtg = None
        sender = None
        to: list[TextField] = []
        info: list[TextField] = []
        partial = False
        state = None
        first = last = None
        pos = start
        for raw in text[start:end].split("\n"):
            line_pos = pos
            pos += len(raw) + 1
            line = raw.strip()
            if not line:
                state = None
                continue
            a = line_pos + len(raw) - len(raw.lstrip())
            b = a + len(line)
            if first is None:
                first = a
            last = b
            head = line[:2]
            # Recipient lists are most of the envelope: take them on the fast path.
            if state is not None and head not in _HEADER_KEYWORD_HEADS:
                (to if state == "to" else info).append(_text_field(line, a, b))
                continue
            if line.startswith(_PARTIAL_EXTRACT):
                partial = True
                state = None
                continue
            if head in ("PA", "TO") and (
                _HEADER_PAGE_RE.match(line) or _HEADER_PAGE_RE.search(line, 2, 12)
            ):
                pm = _HEADER_PAGE_RE.search(text, a, b)
                ps = pm.start() if pm else a
                self.page_breaks.append(_text_field(text[ps:b], ps, b))
                if head == "TO":
                    state = "to"
                continue
            if dtg is None:
                m = _DTG_RE.match(line)
                if m:
                    prec, dtg = m.group("prec"), m.group("dtg")
                    state = None
                    continue
            if line.startswith("FM "):
                sender = _field(text, a + 3, b)
                state = None
                continue
            m = _TO_RE.match(line)
            if m and state != "info":
                state = "to"
                f = _field(text, a + m.end(), b)
                if f:
                    to.append(f)
                continue
            if line.startswith("INFO"):
                if _INFO_LOG_RE.match(line):
                    state = None
                    continue
                state = "info"
                f = _field(text, a + 4, b)
                if f:
                    info.append(f)
                continue
            if line.startswith("XMT "):
                state = None
                continue
            if state == "to":
                to.append(_text_field(line, a, b))
            elif state == "info":
                info.append(_text_field(line, a, b))
        if first is None:
            self.warn("no-header", "no telegram header (no FM, TO or date-time group)", start)
            return None
        if dtg is None and sender is None and not to:
            self.warn("no-header", "the header holds no FM, TO or date-time group", first)
        return Header(prec, dtg, sender, tuple(to), tuple(info), partial, first, last)

    # ---------------------------------------------------------------- banner, preamble
