"""The parser's scan patterns are written for speed (possessive quantifiers, look-ahead
screens, a rule grammar that takes runs of dashes at once, literal-led scans). Each must find
exactly what its plain form finds: these tests spell the plain forms out and compare them on
generated text, including the region bounds the parser passes.
"""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from redactor.cables.parsing import patterns as p
from redactor.cables.parsing.base import _match_banner

_W = p._W

# Plain forms: the same grammar without possessive quantifiers or screens.
PLAIN_NUM_BODY = (
    rf"(?P<nrule>[-=]{{3,}}{_W}*)?{p._NUMBER}{_W}*(?P<punct>[.)])(?=[\s(])(?!\.){_W}*"
    rf"(?:(?:(?i:summary|comment){_W}*:?{_W}*)?(?P<mark>{p._MARK_I})|(?P<markish>{p._MARKISH}))?"
)
PLAIN_LINE_BODY = (
    rf"{_W}*(?:{PLAIN_NUM_BODY}"
    rf"|(?P<let>[A-Za-z])[.)]{_W}*(?P<lmark>{p._MARK_U})(?=\s|$)"
    rf"|(?P<bmark>{p._MARK_U})(?=\s|$)"
    rf"|(?P<rule>(?:[-=_*]{_W}?){{3,}})(?={_W}*(?:\n|$)))"
)
PLAIN_PORTION_SCAN = re.compile(
    rf"\n(?:{PLAIN_LINE_BODY}|(?=(?P<blank>{_W}*\n){_W}*[A-Z][^\n]*(?:\n{_W}*(?:\n|$)|$)))"
)
PLAIN_LINE_HEAD = re.compile(PLAIN_LINE_BODY)
PLAIN_NUM_SCAN = re.compile(rf"\n{_W}*{PLAIN_NUM_BODY}")
PLAIN_NUM_LINE = re.compile(rf"^{_W}*{PLAIN_NUM_BODY}", re.M)
PLAIN_MIDLINE = re.compile(rf"\.(?<!\n\d\.)(?<!\n\d\d\.){_W}*(?P<mark>{p._MARK_U})")
PLAIN_DASHES_AT_EOL = re.compile(rf"---+(?:{_W}+-+)*{_W}*(?=\n|$)")
PLAIN_PAGE_NUMBERS = re.compile(
    rf"(?<!\d)\d{{8}}\s{{1,8}}\d{{3}}(?:\.\d)?{_W}+OF{_W}+\d{{3}}(?!\d)"
)
PLAIN_BANNER_SCAN = re.compile(rf"\n{p._BANNER_CORE}")
PLAIN_CAVEAT_LINE = re.compile(
    r"(?i:[^\S\n]*(?:(?:SIPDIS|NOFORN|SENSITIVE|EXDIS|NODIS|LIMDIS|STADIS|E F T O|EFTO"
    r"|SECRET|CONFIDENTIAL)[^\S\n]*)+)$"
)

PIECES = [
    "-", "=", "_", "*", " ", "  ", "\t", "\n", "\n\n", "\u00a0", "\u2028", "\x0c", "x", "A",
    "a", "c", "o", "s", "t", "u", "\u017f", "1", "12", "#", ".", ")", "(", "(C)", "(S//NF)",
    "(c)", "(SE)", "(C - ENTIRE TEXT)", "/", "NF", "REL TO UK", "Summary: ", "---", "- - -",
    "00", "00001300", " 002.3 OF 003", "BRASILIA ", '"', "...", "Cable dated:", "SIPDIS",
    "NOFORN", "E F T O", "C O N F I D E N T I A L", "UNCLAS", "SECRET ", "SECTION 01 OF 02 ",
    "PARIS 004247",
]
# Short lines of pieces: every pattern here looks at line starts or line ends.
lines = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
texts = st.lists(lines, max_size=10).map("\n".join)
SCAN_GROUPS = p._SCAN_GROUPS


def spans(m: re.Match[str] | None, groups: tuple[str, ...]) -> tuple | None:
    if m is None:
        return None
    return (m.span(), *(m.span(g) for g in groups))


def bounds(text: str, data: st.DataObject) -> tuple[int, int]:
    a = data.draw(st.integers(0, len(text)))
    return a, data.draw(st.integers(a, len(text)))


# Cases each rewrite must get right (hypothesis rarely puts them together by chance).
EDGE_CASES = [
    "x\n---\ny", "x\n--- \ny", "x\n- - -  \ny", "x\n-  -  -\n", "x\n---1. (U) a",
    "x\n-------1.(U) a", "x\n==== \\\n", "x\n*-_= - *\t\n", "SUMMARY ------- \n",
    "A ---  ---\t\nB", "x\n  12.  (S/NF) a", "x\n2) (C) a", "x\na. (C) a", "x\nU.S. b",
    "x\n\nSUMMARY\n\nx", "End Summary. 2. (C) On", "end.(C) x", "X 00001300 002 OF 003",
    "x\nC O N F I D E N T I A L X 000001", "x\n\u017fecret", "x\n  sipdis \n",
]


def with_edge_cases(test):
    for text in EDGE_CASES:
        test = example(text, None)(test)
    return test


@settings(max_examples=400, deadline=None)
@given(texts, st.data())
@with_edge_cases
def test_line_scans_find_what_the_plain_grammar_finds(text, data):
    a, b = bounds(text, data) if data is not None else (0, len(text))
    assert [spans(m, SCAN_GROUPS) for m in p._PORTION_SCAN_RE.finditer(text, a, b)] == [
        spans(m, SCAN_GROUPS) for m in PLAIN_PORTION_SCAN.finditer(text, a, b)
    ]
    head = p._LINE_HEAD_RE.match(text, 0, b)
    assert spans(head, SCAN_GROUPS[:-1]) == spans(PLAIN_LINE_HEAD.match(text, 0, b),
                                                  SCAN_GROUPS[:-1])
    assert head is None or head.group("blank") is None
    num_groups = ("nrule", "num", "punct", "mark", "markish")
    assert [spans(m, num_groups) for m in p._NUM_SCAN_RE.finditer(text, a, b)] == [
        spans(m, num_groups) for m in PLAIN_NUM_SCAN.finditer(text, a, b)
    ]
    assert spans(p._NUM_LINE_RE.match(text, a, b), num_groups) == spans(
        PLAIN_NUM_LINE.match(text, a, b), num_groups
    )


@settings(max_examples=400, deadline=None)
@given(texts, st.data())
@with_edge_cases
def test_text_scans_find_what_the_plain_patterns_find(text, data):
    a, b = bounds(text, data) if data is not None else (0, len(text))
    assert [spans(m, ("mark",)) for m in p._NUM_MIDLINE_RE.finditer(text, a, b)] == [
        spans(m, ("mark",)) for m in PLAIN_MIDLINE.finditer(text, a, b)
    ]
    assert [m.span() for m in p._DASHES_AT_EOL_RE.finditer(text, a, b)] == [
        m.span() for m in PLAIN_DASHES_AT_EOL.finditer(text, a, b)
    ]
    # Page numbers: the parser takes those whose space before the serial is in the region.
    found = [m.span() for m in p._PAGE_NUMBERS_RE.finditer(text, a, b) if m.start() > a]
    plain = []
    pos = text.find(" 00", a, b)
    while pos >= 0:
        m = PLAIN_PAGE_NUMBERS.match(text, pos + 1, b)
        if m:
            plain.append(m.span())
        pos = text.find(" 00", pos + 3, b)
    assert found == plain
    banner_groups = ("cls", "rest")
    assert [spans(m, banner_groups) for m in p._BANNER_SCAN_NOTAB_RE.finditer(text, a, b)] == [
        spans(m, banner_groups) for m in PLAIN_BANNER_SCAN.finditer(text, a, b)
    ]
    assert spans(_match_banner(text, a, b), banner_groups) == spans(
        p._BANNER_RE.match(text, a, b), banner_groups
    )
    assert spans(p._CAVEAT_LINE_RE.fullmatch(text, a, b), ()) == spans(
        PLAIN_CAVEAT_LINE.fullmatch(text, a, b), ()
    )
