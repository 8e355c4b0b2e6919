"""Reading a REF statement into items, each with the canonical id of the cable it names.

Pure: standard library only. Station names are made canonical by
:mod:`redactor.cables.stations` (learned from the corpus's own reference ids).
"""

from __future__ import annotations

from redactor.cables.parsing.base import _Field, _join_lines, _ParserBase, _strip_span
from redactor.cables.parsing.model import Reference
from redactor.cables.parsing.patterns import (
    _CABLE_REF_RE,
    _REF_DUP_LABEL_RE,
    _REF_LEADING_RE,
    _REF_LETTER_RE,
    _REF_NON_POST_WORDS,
    _REF_REST_OK_RE,
    _REF_SPLIT_RE,
    _UNKNOWN_POST_RE,
)
from redactor.cables.stations import canonical_id


class _ReferencesReader(_ParserBase):
    """REF lists: lettered, over several lines, with glued labels."""

    def references(self, f: _Field, year: str | None) -> tuple[Reference, ...]:
        text = self.text
        a, b = _strip_span(text, f.label_end, f.end)
        if a >= b:
            return ()
        items: list[tuple[str | None, int, int, int]] = []  # label, start, text start, end
        first = _REF_LETTER_RE.match(text, a, b)
        letter0 = (first.group("l1") or first.group("l2")) if first else None
        if letter0 and letter0 in "Aa":
            expected = ord("A")
            starts = []
            for m in _REF_LETTER_RE.finditer(text, a, b):
                letter = m.group("l1") or m.group("l2")
                if ord(letter.upper()) == expected:
                    starts.append((letter, m.start(), m.end()))
                    expected += 1
            for i, (letter, s, te) in enumerate(starts):
                e = starts[i + 1][1] if i + 1 < len(starts) else b
                items.append((letter, s, te, e))
        else:
            pos = a
            for m in _REF_SPLIT_RE.finditer(text, a, b):
                items.append((None, pos, pos, m.start()))
                pos = m.end()
            items.append((None, pos, pos, b))
        out: list[Reference] = []
        for label, s, ts, e in items:
            while e > ts and (text[e - 1].isspace() or text[e - 1] in ";,"):
                e -= 1
            ts2, e = _strip_span(text, ts, e)
            if ts2 >= e:
                continue
            if label is None:
                # Unlettered items separated by commas: split only when every part names
                # a cable ("MADRID 5426, MADRID 5425"), not "STATE CA-3400 NOV 2, 1966".
                chunk = text[ts2:e]
                parts = chunk.split(",")
                if len(parts) > 1 and all(self.cable_id(p, year, self.home) for p in parts):
                    off = ts2
                    for p in parts:
                        pa, pb = _strip_span(text, off, off + len(p))
                        off += len(p) + 1
                        if pa < pb:
                            cid, known = self.cable_ref(text[pa:pb], year, self.home)
                            out.append(Reference(None, text[pa:pb], cid, pa, pb, known))
                    continue
            item = " ".join(_join_lines(text[ts2:e]).split())
            if label is not None:
                # The label written again: "A. A. 07 BAGHDAD 03668", "A) (A) PARAMARIBO 501".
                dup = _REF_DUP_LABEL_RE.match(item)
                if dup and (dup.group(1) or dup.group(2)) == label:
                    item = item[dup.end() :]
            cid, known = self.cable_ref(item, year, self.home)
            out.append(Reference(label, item, cid, s, e, known))
        return tuple(out)

    @staticmethod
    def cable_id(item: str, year: str | None, home: str | None = None) -> str | None:
        """The canonical id of the cable an item names ("2008 LONDON 3082" -> "08LONDON3082")."""
        return _ReferencesReader.cable_ref(item, year, home)[0]

    @staticmethod
    def cable_ref(item: str, year: str | None, home: str | None = None) -> tuple[str | None, bool]:
        """``(canonical id or None, whether its station is known)`` for a REF item.

        The station is made canonical by :func:`redactor.cables.stations.canonical_station`;
        the year is the item's own ("2008", "08", "(08)") or else the citing cable's.
        """
        joined = " ".join(item.split())
        lead = _REF_LEADING_RE.match(joined.upper())
        written = joined[lead.end() :] if lead else joined
        s = written.upper()
        m = _CABLE_REF_RE.match(s)
        if not m or not _REF_REST_OK_RE.match(s, m.end()):
            return None, False
        y = m.group("y")
        yy = y[-2:] if y else year
        if yy is None:
            return None, False
        words = m.group("post").split()
        cid, known = canonical_id(yy, " ".join(words), m.group("serial"), home)
        if not known and (
            any(w in _REF_NON_POST_WORDS for w in words)
            or not _UNKNOWN_POST_RE.fullmatch(written[m.start("post") : m.end("post")])
        ):
            # A station no rule knows is kept only where it looks like one: one or two
            # words of letters, written in capitals ("NAGOYA 003", "NUEVO LAREDO 31"), not
            # "approximately 6", "EVANS-MAHER EMAILS 8" or a withheld "XXXXXXXXXXXX 167".
            return None, False
        return cid, known

    # ---------------------------------------------------------------- body scans
