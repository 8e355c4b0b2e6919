"""The parser's driver: a cable read part by part, the body scans (page breaks, withheld
runs, signature), a second telegram pasted after the first, and :func:`parse_cable`.

Pure: standard library only.
"""

from __future__ import annotations

from redactor.cables.parsing.base import _field, _is_blank, _line_end, _strip_span
from redactor.cables.parsing.fields import _FieldsReader
from redactor.cables.parsing.header import _HeaderReader
from redactor.cables.parsing.model import (
    Cable,
    ParseWarning,
    Reference,
    TextField,
    _paragraph,
    _text_field,
)
from redactor.cables.parsing.patterns import (
    _BANNER_SECTION_RE,
    _BLANK_LINE_RE,
    _CAVEAT_LINE_RE,
    _CAVEAT_WORD_RE,
    _CLASS_ONLY_LINE_RE,
    _DE_SERIAL_RE,
    _EFTO_RE,
    _GLUED_SIGNATURE_RE,
    _HOME_RE,
    _KNOWN_CLASSIFICATIONS,
    _NAME_RE,
    _NOT_GLUED_NAMES,
    _NOT_NAMES,
    _OLD_PAGE_RE,
    _PAGE_NUMBERS_RE,
    _PAGE_POST_RE,
    _PASTED_RE,
    _REF_ID_RE,
    _START,
    _TRAILER_RE,
    _WITHHELD_CYRILLIC_RES,
    _WITHHELD_RES,
)
from redactor.cables.parsing.portions import _PortionsReader
from redactor.cables.parsing.references import _ReferencesReader
from redactor.cables.stations import canonical_reference_id, section_copy


class _Parser(_HeaderReader, _FieldsReader, _ReferencesReader, _PortionsReader):
    """One parse of one text: :meth:`run` returns the :class:`Cable`."""

    def scan_page_breaks(self, start: int, end: int) -> None:
        """Record page-break lines (and mid-line page breaks of collapsed cables)."""
        text = self.text
        last_end = start
        for m in _PAGE_NUMBERS_RE.finditer(text, start, end):
            # The space before the serial must be in the region too.
            if m.start() > start and m.start() >= last_end:
                post = _PAGE_POST_RE.search(text, max(start, m.start() - 40), m.start())
                if post:
                    a, b = post.start(), m.end()
                    self.page_breaks.append(_text_field(text[a:b], a, b))
                    last_end = b
        # A match runs to the end of its line, so no other page header can start inside it.
        for m in _OLD_PAGE_RE.finditer(text, start, end):
            pos = m.start()
            ls = text.rfind("\n", start, pos) + 1
            if _is_blank(text, max(ls, start), pos):
                a, b = _strip_span(text, pos, m.end())
                value = text[a:b]
                # Old cables repeat the classification above each page header.
                prev_end = ls - 1
                for _ in range(3):
                    if prev_end <= start:
                        break
                    prev_start = max(text.rfind("\n", start, prev_end) + 1, start)
                    if _is_blank(text, prev_start, prev_end):
                        prev_end = prev_start - 1
                        continue
                    if _CLASS_ONLY_LINE_RE.fullmatch(text, prev_start, prev_end):
                        a = _strip_span(text, prev_start, prev_end)[0]
                    break
                self.page_breaks.append(_text_field(value, a, b))

    def scan_withheld(self, start: int, end: int) -> tuple[TextField, ...]:
        """WikiLeaks' redaction runs: 4+ X (Latin or Cyrillic, either case).

        Upper-case runs count wherever they are (they are often glued to a word:
        ``businessmanXXXXXXXXXXXX``); lower-case runs only as a word of their own.
        Runs mixing the two alphabets are not recognised.
        """
        text = self.text
        out: list[TextField] = []
        regexes = _WITHHELD_RES if text.isascii() else _WITHHELD_RES + _WITHHELD_CYRILLIC_RES
        for regex in regexes:
            for m in regex.finditer(text, start, end):
                a, b = m.span()
                if m.group(0).islower() and (
                    (a > 0 and text[a - 1].isalpha()) or (b < self.n and text[b].isalpha())
                ):
                    continue
                out.append(_text_field(m.group(0), a, b))
        out.sort(key=_START)
        return tuple(out)

    def signature(self, body_start: int, body_end: int) -> tuple[TextField | None, int]:
        """The signature and the end of the cable's content (before signature/trailers)."""
        text = self.text
        end = body_end
        for _ in range(12):
            if end <= body_start:
                return None, body_start
            ls = text.rfind("\n", body_start, end) + 1
            if ls < body_start:
                ls = body_start
            a, b = _strip_span(text, ls, end)
            if a >= b or _TRAILER_RE.fullmatch(text, a, b):
                end = max(body_start, ls - 1)
                continue
            line = text[a:b]
            name_end = b
            stripped = line.rstrip(" .\\\"")
            if len(stripped) < len(line) and stripped and not stripped.endswith(("JR", "Jr")):
                name_end = a + len(stripped)
                line = stripped
            if (
                len(line) <= 40
                and _NAME_RE.fullmatch(line)
                and not any(w.upper().strip(".") in _NOT_NAMES for w in line.split())
                and not line.endswith(":")
            ):
                return _text_field(line, a, name_end), a
            g = _GLUED_SIGNATURE_RE.search(text, max(a, b - 60), b)
            if g and g.group("name").split()[0].upper() not in _NOT_NAMES | _NOT_GLUED_NAMES:
                s, e = g.span("name")
                return _text_field(g.group("name"), s, e), s
            return None, b
        return None, end


    def run(self) -> Cable:
        text, n = self.text, self.n
        meta, meta_end = self.metadata()
        ref_id, created_f, released_f, cls_f, origin = meta
        if ref_id is None:
            self.warn("no-metadata", "the text has no metadata lines", 0)
        elif not _REF_ID_RE.fullmatch(ref_id.value) and section_copy(ref_id.value) is None:
            self.warn("bad-reference-id", f"malformed reference id {ref_id.value[:40]!r}",
                      ref_id.start)
        canonical = self.canonical(ref_id)
        hm = _HOME_RE.match(canonical or "")
        self.home = hm.group(1) if hm else None
        created = self.meta_datetime(created_f, "created")
        released = self.meta_datetime(released_f, "released")
        classification = cls_f.value if cls_f else None
        if cls_f and cls_f.value not in _KNOWN_CLASSIFICATIONS:
            self.warn("unknown-classification", f"classification {cls_f.value[:40]!r}",
                      cls_f.start)
        year = None
        if ref_id and ref_id.value[:2].isdigit():
            year = ref_id.value[:2]
        elif created:
            year = f"{created.year % 100:02d}"

        h_start, h_end, body_start = self.split_header(meta_end)
        header = self.header(h_start, h_end) if h_start < h_end else None
        if header is None and h_start >= h_end:
            self.warn("no-header", "no telegram header", min(h_start, n))

        # Page breaks first: fields and portions are trimmed around them.
        self.scan_page_breaks(body_start, n)
        self.page_breaks.sort(key=_START)

        first_num = self.find_first_numbered(body_start, n)
        pre_limit = first_num if first_num is not None else min(n, body_start + 8000)
        banner_limit = min(n, body_start + 8000)
        if first_num is not None:
            banner_limit = min(banner_limit, first_num)
        banners = self.banners(body_start, banner_limit)
        banner = None
        caveats: list[TextField] = []
        pre_start = body_start
        if banners:
            bm = banners[0]
            b_end = bm.end("rest") if bm.group("rest") else bm.end("cls")
            banner = _field(text, bm.start("cls"), b_end)
            pre_start = b_end
            # The E F T O of "UNCLAS E F T O LONDON ..." is a caveat too.
            em = _EFTO_RE.search(text, bm.start("cls"), b_end)
            if em:
                caveats.append(_text_field("EFTO", em.start(), em.end()))
        else:
            self.warn("no-banner", "no classification banner at the top of the body", body_start)

        body_labels = self.labels(body_start, pre_limit)
        fields = self.preamble_fields(
            [(pre_start, pre_limit), (body_start, pre_start)], first_num, body_labels
        )
        if "cby" not in fields and first_num is not None:
            # "1. (U) Classified by ..." is paragraph 1 in some cables.
            blk = _BLANK_LINE_RE.search(text, first_num)
            extra = self.preamble_fields([(first_num, blk.start() if blk else n)], None)
            if "cby" in extra:
                fields["cby"] = extra["cby"]

        # Caveat lines (and caveats glued to the banner line) before the first field.
        after_banner = [f.start for f in fields.values() if f.start >= pre_start]
        cav_end = min(after_banner) if after_banner else min(pre_limit, pre_start + 2000)
        if banner is not None:
            pos = pre_start
            while pos < cav_end:
                le = _line_end(text, pos, cav_end)
                line_is_banner_rest = pos == pre_start
                if line_is_banner_rest or _CAVEAT_LINE_RE.fullmatch(text, pos, le):
                    for cm in _CAVEAT_WORD_RE.finditer(text, pos, le):
                        value = cm.group(0).upper().replace(" ", "")
                        caveats.append(_text_field(value, cm.start(), cm.end()))
                pos = le + 1

        # Duplicate preambles: a second banner, or a second SUBJECT label, before the text.
        dup_at = None
        if len(banners) > 1:
            dup_at = banners[1].start("cls")
        else:
            subj = [s for k, s, _ in body_labels if k == "subject"]
            if len(subj) > 1 and subj[1] - subj[0] > 40:
                dup_at = subj[1]
        if dup_at is not None:
            self.warn("duplicate-preamble", "the banner/preamble appears more than once", dup_at)

        decl = self.decl(fields["eo"]) if "eo" in fields else None
        tags, tags_span = self.tags(fields["tags"]) if "tags" in fields else ((), None)
        subject, subject_marking = (
            self.subject(fields["subject"]) if "subject" in fields else (None, None)
        )
        if subject is None:
            self.warn("no-subject", "no SUBJECT line", pre_start)
        references: tuple[Reference, ...] = ()
        references_span = None
        if "ref" in fields:
            rf = fields["ref"]
            references = self.references(rf, year)
            references_span = _field(text, rf.start, rf.end)
        cby = self.classified_by(fields["cby"]) if "cby" in fields else None

        # The portions start after the last preamble field (but not past the first
        # numbered paragraph, which may itself hold the Classified By statement).
        pre_end = max([pre_start] + [f.end for f in fields.values() if f.start >= pre_start])
        if first_num is not None:
            pre_end = min(pre_end, first_num)
        for c in caveats:
            if c.end > pre_end and (first_num is None or c.end <= first_num):
                pre_end = c.end
        # A second (often collapsed) copy of the banner and preamble is preamble too.
        for bm in banners[1:]:
            le = _line_end(text, bm.end(), n)
            if le > pre_end and (first_num is None or le <= first_num):
                pre_end = le
        # Skip caveat-only lines between the fields and the first portion.
        pos = pre_end
        while pos < n:
            le = _line_end(text, pos, n)
            if _is_blank(text, pos, le) or _CAVEAT_LINE_RE.fullmatch(text, pos, le) and (
                first_num is None or le <= first_num
            ):
                if not _is_blank(text, pos, le):
                    pre_end = le
                pos = le + 1
                continue
            break

        # A second telegram pasted after this one's last paragraph (its own record or envelope
        # line): it ends this cable's content and is one portion of its own, not more
        # portions of this cable.
        body_end = n
        pasted = self.pasted_telegram(max(pre_end, first_num or pre_end), canonical)
        if pasted is not None:
            body_end = pasted
        signature, content_end = self.signature(body_start, body_end)
        if content_end < pre_end:
            # A body that is only a preamble (truncated cables): nothing after it is a
            # signature.
            signature = None
            content_end = pre_end
        paragraphs = self.portions(pre_end, content_end, classification)
        if pasted is not None:
            ps, pe = _strip_span(text, pasted, n)
            if ps < pe:
                paragraphs += (_paragraph(len(paragraphs), "portion", None, None, ps, pe),)
        withheld = self.scan_withheld(body_start, n)

        section = None
        if banner is not None:
            sm = _BANNER_SECTION_RE.search(banner.value)
            if sm:
                section = (int(sm.group(1)), int(sm.group(2)))
        if section is None and ref_id is not None:
            sec = section_copy(ref_id.value)
            if sec is not None:
                section = sec[1], sec[2]

        self.warnings.sort(key=_START)
        return Cable(
            text=text,
            reference_id=ref_id,
            created=created,
            released=released,
            classification=cls_f,
            origin=origin,
            header=header,
            banner=banner,
            caveats=tuple(caveats),
            decl=decl,
            tags=tags,
            tags_span=tags_span,
            subject=subject,
            subject_marking=subject_marking,
            references=references,
            references_span=references_span,
            classified_by=cby,
            paragraphs=paragraphs,
            page_breaks=tuple(sorted(self.page_breaks, key=_START)),
            signature=signature,
            withheld=withheld,
            warnings=tuple(self.warnings),
            canonical_id=canonical,
            section=section,
        )

    def pasted_telegram(self, start: int, own_id: str | None) -> int | None:
        """Where a second telegram pasted into the body begins (and a warning), or None.

        Recognised by the mirror's record line of another cable (``121752<TAB>2007-09-11
        12:50:00<TAB>07TBILISI2290<TAB>...``) or by a second envelope (``VZCZC...``) at the
        start of a line. A record line of this same cable is a duplicated preamble, not a
        second telegram.
        """
        for m in _PASTED_RE.finditer(self.text, start):
            rid = m.group("rid")
            if rid is not None and (rid == own_id or canonical_reference_id(rid) == own_id):
                continue
            if rid is None:
                # The envelope of this same telegram again ("DE RUEHPE #2017/01" in 06LIMA2017).
                de = _DE_SERIAL_RE.search(self.text, m.end(), m.end() + 200)
                own = _HOME_RE.match(own_id or "")
                if de and own and int(de.group(1)) == int(own_id[own.end(1) :]):
                    continue
            what = f"cable {rid}" if rid else "a second telegram envelope"
            self.warn("second-telegram", f"{what} is pasted after this cable's text", m.start())
            return m.start()
        return None

    def canonical(self, ref_id: TextField | None) -> str | None:
        """The canonical id of this cable (see ``Cable.canonical_id``), warning where it
        differs from the reference id written on line 1."""
        if ref_id is None:
            return None
        fixed = canonical_reference_id(ref_id.value)
        if fixed is None:
            return ref_id.value
        sec = section_copy(ref_id.value)
        what = f"section {sec[1]} of {sec[2]} of" if sec else "a garbled id of"
        self.warn(
            "section-copy" if sec else "garbled-reference-id",
            f"reference id {ref_id.value} is {what} cable {fixed}",
            ref_id.start,
        )
        return fixed


def parse_cable(text: str) -> Cable:
    """Parse normalised cable text (see :func:`decode_cable_bytes`). Never raises on a ``str``.

    Everything the parser cannot place becomes a :class:`ParseWarning`. Should the parser
    itself fail on some unforeseen input, the cable is returned with its metadata only and a
    ``parser-error`` warning, so that one odd cable cannot stop an import.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_cable() takes a str, not {type(text).__name__}")
    try:
        return _Parser(text).run()
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises on a str"
        parser = _Parser(text)
        meta, _ = parser.metadata()
        return Cable(
            text=text,
            reference_id=meta[0],
            canonical_id=meta[0].value if meta[0] else None,
            created=None,
            released=None,
            classification=meta[3],
            origin=meta[4],
            header=None,
            banner=None,
            caveats=(),
            decl=None,
            tags=(),
            tags_span=None,
            subject=None,
            subject_marking=None,
            references=(),
            references_span=None,
            classified_by=None,
            paragraphs=(),
            page_breaks=(),
            signature=None,
            withheld=(),
            warnings=(ParseWarning("parser-error", f"{type(exc).__name__}: {exc}", 0),),
        )
