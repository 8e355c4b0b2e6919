"""Reading the body into portions (numbered, lettered, bare-marked paragraphs) and headings.

Pure: standard library only.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from itertools import chain

from redactor.cables.parsing.base import (
    _is_blank,
    _line_end,
    _ParserBase,
    _search_page_break,
    _strip_span,
)
from redactor.cables.parsing.markings import block_marking, make_marking
from redactor.cables.parsing.model import Marking, Paragraph, _marking, _paragraph
from redactor.cables.parsing.patterns import (
    _ALNUM_RE,
    _BLOCK,
    _CAVEAT_LINE_RE,
    _CLASS_BLOCK_RE,
    _DASHES_AT_EOL_RE,
    _FIRST,
    _FIRST_TWO,
    _G_BLANK,
    _G_BMARK,
    _G_LET,
    _G_NRULE,
    _G_NUM,
    _G_RULE,
    _LETTER_LINE_RE,
    _LINE_HEAD_RE,
    _MIDLINE_AFTER,
    _NUM_LINE_RE,
    _NUM_MIDLINE_RE,
    _PORTION_SCAN_RE,
    _RANK,
    _RULE_RE,
    _SHORT_LINE_RE,
    _TITLE_WORDS,
    _TRAILER_RE,
)


class _PortionsReader(_ParserBase):
    """Portions and headings, from the end of the preamble to the signature."""

    # ---------------------------------------------------------------- portions

    def portions(self, start: int, end: int, classification: str | None) -> tuple[Paragraph, ...]:
        text = self.text
        if start >= end:
            return ()
        # A marking always ends the match that found it (the patterns end with the marking or
        # with a look-ahead after it), so a start is kept as plain values: the raw marking and
        # the end of the match, from which its span follows.
        # Numbered starts: (position, number, raw marking or None, its end, whether it is an
        # unknown one (markish), the "." or ")" after the number; None for a number in
        # running text).
        nums: list[tuple[int, str, str | None, int, bool, str | None]] = []
        # (position, 0 for a heading and 1 for a portion, heading end or -1, number, raw
        # marking, its end, unknown): sorted on the first two, a heading comes first.
        events: list[tuple[int, int, int, str | None, str | None, int, bool]] = []
        rules: list[tuple[int, int]] = []
        scan_from = start - 1 if start > 0 and text[start - 1] == "\n" else start
        # Where a heading may stand alone between blank lines (see headings()).
        standalone = [start]
        heads: Iterable[re.Match[str]] = _PORTION_SCAN_RE.finditer(text, scan_from, end)
        if start == 0:
            first = _LINE_HEAD_RE.match(text, 0, end)
            if first is not None:
                heads = chain((first,), heads)
        # In a marked cable, an unmarked number written otherwise than the marked ones
        # ("4)" among "3. (S/NF)") is a list inside a paragraph, not a portion: the style
        # of each marked number is counted as the scan goes.
        puncts: dict[str | None, int] = {}
        for m in heads:
            # One call for all the groups, by position (see _SCAN_GROUPS): each Match method
            # call costs about as much as a small regex match, and m.group() with names
            # several times as much as m.groups().
            nrule, num, punct, mark, markish, let, lmark, bmark, rule, blank = m.groups()
            if blank is not None:
                if m.start() >= start:
                    standalone.append(m.end(_G_BLANK))
            elif num is not None:
                if mark:
                    nums.append((m.start(_G_NUM), num, mark, m.end(), False, punct))
                    puncts[punct] = puncts.get(punct, 0) + 1
                elif markish:
                    nums.append((m.start(_G_NUM), num, markish, m.end(), True, punct))
                else:
                    nums.append((m.start(_G_NUM), num, None, 0, False, punct))
                if nrule:
                    rs = m.start(_G_NRULE)
                    rules.append((rs, rs + len(nrule.rstrip())))
            elif let is not None:
                events.append((m.start(_G_LET), 1, -1, let, lmark, m.end(), False))
            elif bmark is not None:
                events.append((m.start(_G_BMARK), 1, -1, None, bmark, m.end(), False))
            else:
                rs = m.start(_G_RULE)
                rules.append((rs, rs + len(rule.rstrip())))
        # On a tie the first style written wins (dicts keep insertion order).
        main_punct = max(puncts, key=puncts.__getitem__) if puncts else None
        unsorted = False
        for m in _NUM_MIDLINE_RE.finditer(text, start, end):
            mid = self.midline_number(m.start(), start)
            if mid is not None:
                nums.append((mid[0], mid[1], m.group("mark"), m.end(), False, None))
                unsorted = True
        if unsorted:
            nums.sort(key=_FIRST)
        last_int: int | None = None
        for pos, num, raw, raw_end, unknown, punct in nums:
            if num.isdigit():
                if punct is None:
                    # A number in running text.
                    if last_int is None or int(num) != last_int + 1:
                        continue
                elif raw is None:
                    if last_int is not None and int(num) != last_int + 1:
                        continue
                    if main_punct is not None and punct != main_punct:
                        continue
                last_int = int(num)
            elif punct is None or raw is None:
                continue
            events.append((pos, 1, -1, num, raw, raw_end, unknown))
        for hs, he in self.headings(start, end, rules, standalone):
            events.append((hs, 0, he, None, None, 0, False))
        # A classification block ("SECRET//FGI//NOFORN//MR" over "Declassify on: ...") starts
        # a portion marked by it.
        for m in _CLASS_BLOCK_RE.finditer(text, scan_from, end):
            ls, le = m.span("line")
            events.append((ls, 1, -1, None, m.group("line"), le, _BLOCK))
        events.sort(key=_FIRST_TWO)

        pb_starts = self._pb_starts = [p.start for p in self.page_breaks]
        pb_ends = [p.end for p in self.page_breaks]

        def trim_end(s: int, e: int) -> int:
            """Pull ``e`` back over trailing whitespace and page-break lines."""
            while True:
                # rstrip() on a short tail (computed in C) rather than a loop over
                # characters; str.rstrip() strips exactly what str.isspace() accepts.
                tail = text[max(s, e - 16) : e]
                kept = len(tail.rstrip())
                e -= len(tail) - kept
                if not kept:
                    while e > s and text[e - 1].isspace():
                        e -= 1
                if not pb_starts:
                    return e
                i = bisect_right(pb_starts, e) - 1
                if i >= 0 and pb_ends[i] == e and pb_starts[i] > s:
                    e = pb_starts[i]
                    continue
                return e

        rank_limit = None
        if classification:
            c = classification.upper()
            rank_limit = (
                3 if c.startswith("TOP SECRET") else
                2 if c.startswith("SECRET") else
                1 if c.startswith("CONFIDENTIAL") else
                0 if c.startswith("UNCLASSIFIED") else None
            )
        classified = rank_limit is not None and rank_limit > 0

        out: list[Paragraph] = []
        # Warnings about the level of portions, given once every marking is known (whether
        # any portion is marked decides "unmarked-portion"): (code, start, marking or number).
        checks: list[tuple[str, int, str]] = []
        gap_start = start
        any_marked = False
        # Each start runs to the next one; starts that fall inside a heading's extent are
        # dropped.
        heading_end = -1
        pending: tuple[int, str | None, Marking | None] | None = None  # a portion's start
        for pos, is_portion, hend, num, raw, raw_end, unknown in events:
            if pos < heading_end:
                continue
            if pending is not None:
                ps, pnum, pmark = pending
                e = trim_end(ps, pos)
                out.append(_paragraph(len(out), "portion", pnum, pmark, ps, max(e, ps + 1)))
                pending = None
            elif gap_start < pos:
                # Text between the previous item and this one that belongs to no start.
                gs, ge = _strip_span(text, gap_start, trim_end(gap_start, pos))
                if ge > gs and not self.nothing_to_review(gs, ge):
                    out.append(_paragraph(len(out), "portion", None, None, gs, ge))
            if not is_portion:
                # A rule alone ("-------", "--%---%--") separates portions but says nothing
                # to review: no letter, no digit.
                if _ALNUM_RE.search(text, pos, hend):
                    out.append(_paragraph(len(out), "heading", None, None, pos, hend))
                gap_start = heading_end = hend
                continue
            marking = None
            if raw is None:
                if num is not None and classified and num.isdigit():
                    checks.append(("unmarked-portion", pos, num))
            elif unknown is _BLOCK:
                marking = block_marking(raw, raw_end - len(raw), raw_end)
                any_marked = True
            elif unknown:
                ms = raw_end - len(raw)
                marking = _marking(raw, None, (), ms, raw_end)
                self.warn("unknown-marking", f"unknown portion marking {raw}", ms)
            else:
                marking, note = make_marking(raw, raw_end - len(raw), raw_end)
                any_marked = True
                if note:
                    self.warn("nonstandard-marking", f"marking {raw}: {note}", pos)
                level = marking.level
                if level is not None and rank_limit is not None and _RANK[level] > rank_limit:
                    checks.append(("marking-above-classification", pos, raw))
            pending = (pos, num, marking)
        if pending is not None:
            ps, pnum, pmark = pending
            e = trim_end(ps, end)
            out.append(_paragraph(len(out), "portion", pnum, pmark, ps, max(e, ps + 1)))
        else:
            gs, ge = _strip_span(text, gap_start, trim_end(gap_start, end))
            if ge > gs and not self.nothing_to_review(gs, ge):
                out.append(_paragraph(len(out), "portion", None, None, gs, ge))

        for code, s, what in checks:
            if code == "marking-above-classification":
                self.warn(code, f"portion marked {what} in a {classification} cable", s)
            elif any_marked:
                self.warn(code, f"numbered portion {what} has no marking", s)
        return tuple(out)

    def midline_number(self, dot: int, floor: int) -> tuple[int, str] | None:
        """The paragraph number ending just before ``dot`` in running text, if any.

        Accepts "... End Summary. 2. (C)": one or two digits (spaces allowed before the
        dot), preceded by spaces, preceded by the end of a sentence or a rule.
        """
        text = self.text
        i = dot
        while i > floor and text[i - 1] in " \t":
            i -= 1
        j = i
        while j > floor and j > i - 2 and text[j - 1].isdigit() and text[j - 1].isascii():
            j -= 1
        if j == i or (j > floor and text[j - 1].isdigit()):
            return None
        k = j
        while k > floor and text[k - 1] in " \t":
            k -= 1
        if k == j or k <= floor or text[k - 1] not in _MIDLINE_AFTER:
            return None
        return j, text[j:i]

    def nothing_to_review(self, s: int, e: int) -> bool:
        """Whether ``[s, e)`` holds only page breaks, or no letter or digit at all (rules,
        separators, CSV escapes ("\\")): nothing a reviewer must mark. Such text stays in the
        version (a line of its own for the review page, printed by a release)."""
        return self.only_page_breaks(s, e) or not _ALNUM_RE.search(self.text, s, e)

    def only_page_breaks(self, s: int, e: int) -> bool:
        """Whether ``[s, e)`` holds nothing but whitespace and page-break lines."""
        text = self.text
        starts = self._pb_starts
        pos = s
        i = max(bisect_right(starts, s) - 1, 0)
        while i < len(starts) and starts[i] < e:
            p = self.page_breaks[i]
            i += 1
            if p.end <= s:
                continue
            if not _is_blank(text, pos, p.start):
                return False
            pos = max(pos, p.end)
        return _is_blank(text, pos, e)

    def headings(
        self, start: int, end: int, rules: list[tuple[int, int]], standalone: list[int]
    ) -> list[tuple[int, int]]:
        """Heading extents in ``[start, end)``, ordered and non-overlapping.

        ``rules`` are the dashed rule lines of the region, ``standalone`` the line starts
        that may begin a line standing alone (the region start, and lines after a blank
        line; see _PORTION_SCAN_RE). Forms: a title of one to three
        lines between two rules; a title directly above a rule (``Summary\n-------``); a
        title and its rule on one line; a rule on its own; a short ALL-CAPS or Title Case
        line standing alone between blank lines.
        """
        text = self.text
        out: list[tuple[int, int]] = []

        def title_block(a: int, b: int) -> bool:
            """Whether the lines in [a, b) can be a title (1-3 short non-blank lines)."""
            a, b = _strip_span(text, a, b)
            if a >= b or b - a > 200 or text.count("\n", a, b) > 2:
                return False
            pos = a
            while pos < b:
                le = text.find("\n", pos, b)
                if le < 0:
                    le = b
                s2, e2 = _strip_span(text, pos, le)
                if s2 >= e2 or e2 - s2 > 100 or text[e2 - 1] in ".,;":
                    return False
                # Numbered lines and rules start with a digit or a sign, never a letter.
                if not text[s2].isalpha() and (
                    _NUM_LINE_RE.match(text, pos, le) or _RULE_RE.match(text, pos, le)
                ):
                    return False
                pos = le + 1
            return True

        def title_above(rule_start: int, floor: int) -> int | None:
            """Start of the 1-3 line title block directly above a rule, if there is one."""
            line_start = text.rfind("\n", start, rule_start) + 1
            if line_start <= max(start, floor):
                return None
            best = None
            top = line_start - 1  # the newline ending the line above
            for _ in range(3):
                if top <= max(start, floor):
                    break
                ls = max(text.rfind("\n", start, top) + 1, start)
                if _is_blank(text, ls, top):
                    break
                if not title_block(ls, line_start - 1):
                    break
                best = ls
                top = ls - 1
            if best is None:
                return None
            # The title must start a block: a blank line (or the region start) above it.
            above = best - 1
            if above > start:
                pls = max(text.rfind("\n", start, above) + 1, start)
                if not _is_blank(text, pls, above) and not _RULE_RE.match(text, pls, above):
                    return None
            return _strip_span(text, best, line_start)[0]

        i = 0
        floor = start
        while i < len(rules):
            rs, r_end = rules[i]
            if i + 1 < len(rules):
                ns, n_end = rules[i + 1]
                mid_a = _line_end(text, rs, end) + 1
                mid_b = text.rfind("\n", start, ns)
                if mid_a < mid_b and title_block(mid_a, mid_b):
                    out.append((rs, n_end))
                    floor = n_end
                    i += 2
                    continue
            t = title_above(rs, floor)
            out.append((t if t is not None else rs, r_end))
            floor = r_end
            i += 1
        # A title and its rule on one line.
        for m in _DASHES_AT_EOL_RE.finditer(text, start, end):
            pos = m.start()
            ls = text.rfind("\n", start, pos) + 1
            if ls < start:
                ls = start
            if ls == pos:
                continue  # a rule on its own line (the usual case)
            ts, te = _strip_span(text, ls, pos)
            if ts < te and te - ts <= 100 and not any(c.islower() for c in text[ts:te]):
                if not _NUM_LINE_RE.match(text, ls, pos):
                    out.append((ts, _strip_span(text, ts, m.end())[1]))
        # Short lines standing alone between blank lines.
        for ls in standalone:
            m = _SHORT_LINE_RE.match(text, ls, end)
            if m:
                self.standalone_heading(m, start, end, out)
        out.sort()
        merged: list[tuple[int, int]] = []
        for h in out:
            if merged and h[0] < merged[-1][1]:
                continue
            merged.append(h)
        return merged

    def standalone_heading(
        self, m: re.Match[str], start: int, end: int, out: list[tuple[int, int]]
    ) -> None:
        """Add the line matched by ``m`` (which starts a block) if it stands alone."""
        text = self.text
        s, e = m.span("line")
        line = m.group("line")
        words = line.split()
        if len(words) > 10 or sum(map(str.isalpha, line)) < 3:
            return
        # For ASCII (most lines) upper() changes the line exactly when it holds a lower-case
        # letter, and is computed in C.
        if line.upper() != line if line.isascii() else any(c.islower() for c in line):
            if len(line) > 60 or not all(
                w[0].isupper() or w in _TITLE_WORDS or not w[0].isalpha() for w in words
            ):
                return
        if _CAVEAT_LINE_RE.fullmatch(line) or _TRAILER_RE.fullmatch(line):
            return
        # The line starts with a capital: it cannot be a numbered or bare-marked portion,
        # only a lettered one ("A. (C)").
        if (
            text[s + 1 : s + 2] in (".", ")") and _LETTER_LINE_RE.match(text, m.start())
        ) or _search_page_break(text, s, e):
            return
        out.append((s, e))

    # ---------------------------------------------------------------- driver
