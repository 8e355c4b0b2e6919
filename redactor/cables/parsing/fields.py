"""Reading the body preamble: banner, caveats and the labelled fields (E.O./DECL, TAGS,
SUBJECT, Classified By; REF in :mod:`redactor.cables.parsing.references`).

Pure: standard library only. The fields are found by their labels rather than by line
position, because in real cables they are sometimes glued together on one line.
"""

from __future__ import annotations

import re
from datetime import date

from redactor.cables.parsing.base import (
    _Field,
    _field,
    _is_blank,
    _join_lines,
    _line_end,
    _match_banner,
    _ParserBase,
    _search_page_break,
    _strip_span,
)
from redactor.cables.parsing.markings import make_marking
from redactor.cables.parsing.model import ClassifiedBy, Decl, Marking, TextField, _text_field
from redactor.cables.parsing.patterns import (
    _BACKSLASH_LINE_RE,
    _BANNER_SCAN_NOTAB_RE,
    _BANNER_SCAN_RE,
    _BY_ORDER_RE,
    _CBY_LABEL_RE,
    _DATE_RES,
    _DECL_RE,
    _EO_LINE_RE,
    _LABEL_KEYS,
    _LABEL_RE,
    _LETTER_LINE_RE,
    _LETTER_START_RE,
    _MARK_I_RE,
    _NUM_LINE_RE,
    _NUM_SCAN_RE,
    _PARENS_RE,
    _REASON_KW_RE,
    _REASON_TOKEN_RE,
    _SECTION_AGAIN_RE,
    _SECTION_RE,
    _STOP_LINE_RE,
    _SUBJECT_AGAIN_RE,
    _SUBJECT_STOP_RE,
    _SUBJECT_TAIL_RE,
    _TAG_TOKEN_RE,
    _TAGS_LINE_LOWER_RE,
    _TAGS_LINE_RE,
    _U_BEFORE_RE,
)

_PERSON_WORD_RE = re.compile(r"[A-Z][A-Z'\-]{3,}")


def _join_person_tags(tags: list[str]) -> tuple[str, ...]:
    """Keep a person tag written without parentheses whole: ``OVIP RICE CONDOLEEZZA``.

    After ``OVIP`` (a visit) the tag names the visitor: a surname and a given name, written
    ``OVIP (RICE, CONDOLEEZZA)`` or without the parentheses. Two words of four letters or
    more, the second of five or more (tag codes are shorter), are read as the person.
    """
    out: list[str] = []
    i = 0
    while i < len(tags):
        t = tags[i]
        if (
            t == "OVIP"
            and i + 2 < len(tags)
            and _PERSON_WORD_RE.fullmatch(tags[i + 1])
            and _PERSON_WORD_RE.fullmatch(tags[i + 2])
            and len(tags[i + 2]) >= 5
        ):
            out.append(f"OVIP {tags[i + 1]} {tags[i + 2]}")
            i += 3
            continue
        out.append(t)
        i += 1
    return tuple(out)


def _parse_date(s: str) -> date | None:
    """The first date written in ``s`` (m/d/yyyy, m/d/yy, yyyy/mm/dd, mm-dd-yy), or None."""
    for regex, order in _DATE_RES:
        m = regex.search(s)
        if not m:
            continue
        a, b, c = (int(g) for g in m.groups())
        if order == "ymd":
            y, mo, d = a, b, c
        else:
            mo, d, y = a, b, c
            if len(m.group(3)) == 2:
                # Two-digit years: the corpus runs 1966-2010 and instructions point ahead.
                y += 2000 if y < 50 else 1900
        try:
            return date(y, mo, d)
        except ValueError:
            return None
    return None


class _FieldsReader(_ParserBase):
    """The banner, the labels of the preamble and what each labelled field holds."""

    def find_first_numbered(self, start: int, end: int) -> int | None:
        """Offset of the first line that starts a marked numbered portion (or "1.")."""
        scan_from = start - 1 if start > 0 and self.text[start - 1] == "\n" else start
        for m in _NUM_SCAN_RE.finditer(self.text, scan_from, end):
            if m.group("mark") or m.group("num") == "1":
                return m.start("num")
        return None

    def banners(self, start: int, end: int) -> list[re.Match[str]]:
        text = self.text
        out = []
        if start == 0 or text[start - 1] == "\n":
            head = _match_banner(text, start, end)
            if head:
                out.append(head)
        scan = _BANNER_SCAN_RE if text.find("\t", start, end) >= 0 else _BANNER_SCAN_NOTAB_RE
        out.extend(scan.finditer(text, start, end))
        return out

    def labels(self, start: int, end: int) -> list[tuple[str, int, int]]:
        """Preamble labels in ``[start, end)``: (kind, label start, label end), in order."""
        text = self.text
        found: dict[int, tuple[str, int, int]] = {}
        for key, off in _LABEL_KEYS:
            pos = text.find(key, start, end)
            while pos >= 0:
                at = pos - off
                m = _LABEL_RE.match(text, at, end) if at >= start else None
                if m is None:
                    ls = text.rfind("\n", start, pos) + 1
                    if ls > start and _is_blank(text, ls, pos):
                        m = _LABEL_RE.match(text, ls, end)
                if m is not None:
                    kind = m.lastgroup or ""
                    s0 = m.start(kind)
                    if kind == "decl":
                        s0 = text.index("DECL", s0)
                    elif kind == "cby":
                        u = _U_BEFORE_RE.search(text, max(start, s0 - 8), s0)
                        if u:
                            s0 = u.start()
                    if s0 not in found:
                        found[s0] = (kind, s0, m.end())
                pos = text.find(key, pos + len(key), end)
        return [found[k] for k in sorted(found)]

    def block_end(self, kind: str, label_line_end: int, limit: int, lettered: bool) -> int:
        """Where a field whose label line ends at ``label_line_end`` ends (at most ``limit``).

        E.O. statements are one line. TAGS, SUBJECT and Classified By run over their wrapped
        lines up to a blank line or a line that cannot continue them. A lettered REF list also
        runs over blank lines and page breaks while the next line starts with a letter label.
        """
        text = self.text
        end = min(label_line_end, limit)
        if kind in ("eo", "decl"):
            return end
        tags_line = _TAGS_LINE_RE
        if kind == "tags":
            ls = text.rfind("\n", 0, label_line_end) + 1
            if text[ls:label_line_end].split(None, 1)[-1:] and (
                text[ls:label_line_end].split(None, 1)[-1].islower()
            ):
                tags_line = _TAGS_LINE_LOWER_RE  # "tags: ovip (steinberg, james b.) prel"
        pos = label_line_end + 1
        while pos < limit:
            le = _line_end(text, pos, limit)
            # A line holding only the CSV escape "\\" is a blank line of the original.
            if _is_blank(text, pos, le) or _BACKSLASH_LINE_RE.fullmatch(text, pos, le):
                if kind != "ref" or not lettered:
                    break
                nxt = pos
                while nxt < limit:
                    ne = _line_end(text, nxt, limit)
                    if not _is_blank(text, nxt, ne) and not self.is_page_break_line(nxt, ne):
                        break
                    nxt = ne + 1
                if (
                    nxt < limit
                    and _LETTER_START_RE.match(text, nxt)
                    and not _LETTER_LINE_RE.match(text, nxt)
                ):
                    pos = nxt
                    continue
                break
            if (
                _STOP_LINE_RE.match(text, pos)
                or (kind == "tags" and not tags_line.fullmatch(text, pos, le))
                or (kind == "subject" and _SUBJECT_STOP_RE.match(text, pos, le))
                or self.is_page_break_line(pos, le)
                or _match_banner(text, pos, self.n)
                or (kind != "ref" and _NUM_LINE_RE.match(text, pos))
            ):
                break
            end = le
            pos = le + 1
        return end

    def is_page_break_line(self, a: int, b: int) -> bool:
        m = _search_page_break(self.text, a, b)
        if not m:
            return False
        return _is_blank(self.text, a, m.start()) and _is_blank(self.text, m.end(), b)

    def preamble_fields(
        self,
        regions: list[tuple[int, int]],
        limit: int | None,
        all_labels: list[tuple[str, int, int]] | None = None,
    ) -> dict[str, _Field]:
        """The first field of each type, looking in ``regions`` in order of preference.

        A field ends at the end of its block (see :meth:`block_end`, never past ``limit``,
        the first numbered paragraph, except for Classified By which may be inside it) or at
        the next label of another type, whichever comes first. Labels of the same type do
        not end a field: ``SUBJECT: (C) SUBJECT: ...``, ``REF: A. REFTELS: (A) ...``.
        """
        text = self.text
        found: dict[str, _Field] = {}
        for rstart, rend in regions:
            if all_labels is None:
                labels = self.labels(rstart, rend)
            else:
                labels = [lb for lb in all_labels if rstart <= lb[1] and lb[2] <= rend]
            for i, (kind, s, le) in enumerate(labels):
                key = "eo" if kind == "decl" else kind
                if key in found and not (
                    # Where the preamble appears twice, a copy truncated by the mirror
                    # ("SUBJECT: SURVEILLANCE OF U.S...") gives way to a later one.
                    s >= found[key].end and self.truncated(found[key])
                ):
                    continue
                line_end = _line_end(text, le, self.n)
                if kind == "cby" or limit is None:
                    lim = self.n
                else:
                    lim = max(limit, line_end)
                lettered = kind == "ref" and bool(_LETTER_START_RE.match(text, le))
                if kind == "subject" and _is_blank(text, le, line_end):
                    # "SUBJECT:" alone, the subject after a blank line.
                    nxt = line_end + 1
                    for _ in range(2):
                        ne = _line_end(text, nxt, lim)
                        if nxt >= lim or not _is_blank(text, nxt, ne):
                            break
                        nxt = ne + 1
                    if nxt < lim and not (
                        _STOP_LINE_RE.match(text, nxt) or _NUM_LINE_RE.match(text, nxt)
                    ):
                        line_end = _line_end(text, nxt, lim)
                end = self.block_end(kind, line_end, lim, lettered)
                for kind2, s2, _ in labels[i + 1 :]:
                    if s2 >= end:
                        break
                    if (
                        kind in ("subject", "cby")
                        and kind2 == "eo"
                        and not _EO_LINE_RE.match(text, s2)
                    ):
                        # An order named in the field, not the E.O. statement: "SUBJECT:
                        # E.O. 13382 ENTITIES", "Classified by ...; E.O. 12958, reasons 1.4".
                        continue
                    if kind2 != kind and {kind, kind2} != {"eo", "decl"}:
                        end = s2
                        break
                end = _strip_span(text, s, end)[1]
                candidate = _Field(key, s, le, max(end, le))
                if key in found and self.truncated(candidate):
                    continue
                found[key] = candidate
        return found

    def truncated(self, f: _Field) -> bool:
        """Whether a field's text ends in the mirror's truncation mark ("...", "…")."""
        tail = self.text[max(f.label_end, f.end - 4) : f.end].rstrip(" \\")
        return tail.endswith(("...", "…")) or f.end <= f.label_end

    # ---------------------------------------------------------------- field parsers

    def decl(self, f: _Field) -> Decl:
        s = self.text[f.start : f.end]
        m = _DECL_RE.match(s)
        order = m.group("order") if m else None
        instr = _join_lines(s[m.end() :] if m else s)
        instr = instr.rstrip("\\ ").strip()
        return Decl(order, instr, _parse_date(instr), f.start, f.end)

    def tags(self, f: _Field) -> tuple[tuple[str, ...], TextField | None]:
        text = self.text
        span = _field(text, f.label_end, f.end)
        if span is None:
            return (), None
        out: list[str] = []
        for line in span.value.split("\n"):
            line = line.strip().rstrip("\\").strip()
            if not line:
                continue
            outside = _PARENS_RE.sub("", line) if "(" in line else line
            parts = line.split(",") if "," in outside else None
            if parts is not None:
                # Re-join commas that fell inside parentheses (person tags).
                merged: list[str] = []
                depth = 0
                for p in parts:
                    if depth > 0 and merged:
                        merged[-1] += "," + p
                    else:
                        merged.append(p)
                    depth += p.count("(") - p.count(")")
                tokens = [" ".join(p.split()) for p in merged]
            else:
                tokens = _TAG_TOKEN_RE.findall(line)
                fixed: list[str] = []
                for t in tokens:
                    if t.startswith("(") and fixed:
                        fixed[-1] += " " + t
                    else:
                        fixed.append(t)
                tokens = fixed
            out.extend(t.upper() for t in tokens if t and t not in ("\\",))
        return _join_person_tags(out), span

    def subject(self, f: _Field) -> tuple[TextField | None, Marking | None]:
        text = self.text
        a, b = _strip_span(text, f.label_end, f.end)
        marking = None
        m = _MARK_I_RE.match(text, a, b)
        if m:
            marking, note = make_marking(m.group(0), m.start(), m.end())
            if note:
                self.warn("nonstandard-marking", f"subject marking {m.group(0)}: {note}", a)
            a, b = _strip_span(text, m.end(), b)
            again = _SUBJECT_AGAIN_RE.match(text, a, b)
            if again:
                a, b = _strip_span(text, again.end(), b)
        tail = _SUBJECT_TAIL_RE.search(text, a, b)
        if tail is not None and tail.start() > a:
            b = _strip_span(text, a, tail.start())[1]
        if b > a and text[b - 1] == "\\":
            a, b = _strip_span(text, a, b - 1)
        if a >= b:
            return None, marking
        return _text_field(_join_lines(text[a:b]), a, b), marking

    def classified_by(self, f: _Field) -> ClassifiedBy:
        joined = _join_lines(self.text[f.start : f.end])
        m = _CBY_LABEL_RE.match(joined)
        body = joined[m.end() :] if m else joined
        kw = _REASON_KW_RE.search(body)
        by_text = body[: kw.start()] if kw else body
        # "CDA Robert Deutsch; E.O. 12958, reasons ...": the order is not part of the name.
        by_text = _BY_ORDER_RE.sub("", by_text)
        by = by_text.strip(" ,;.:") or None
        reasons: list[str] = []
        sec = _SECTION_RE.search(body, kw.start() if kw else 0)
        while sec:
            pos = sec.end()
            ranged = False
            while True:
                t = _REASON_TOKEN_RE.match(body, pos)
                if not t or t.end() == pos:
                    break
                letter = t.group(2) or t.group(3)
                if letter:
                    letter = letter.upper()
                    first = ord(reasons[-1][-2]) + 1 if ranged and reasons else ord(letter)
                    for code in range(first, ord(letter) + 1):
                        reasons.append(f"1.{sec.group(1)}({chr(code)})")
                ranged = bool(t.group(4)) and bool(reasons)
                pos = t.end()
            # "1.5 (b) and 1.5 (d)": the section written again.
            sec = _SECTION_AGAIN_RE.match(body, pos)
        return ClassifiedBy(joined, by, tuple(dict.fromkeys(reasons)), f.start, f.end)
