"""Property tests: the parser never raises on a str and its offsets always hold."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redactor.cables.parser import Cable, decode_cable_bytes, parse_cable

CABLES = Path(__file__).resolve().parent / "data" / "cables"
SEED = decode_cable_bytes((CABLES / "09STATE52368.txt").read_bytes())

FRAGMENTS = [
    "\n", "\n\n", " ", "\t", "\u2028", "\x00", "\x0c", "\r", "\\",
    "1. ", "2.(C) ", "3) ", "12.  ", "4.1. ", "#. ", "A. ", "b) ", "-- ",
    "(C)", "(S//NF)", "(SBU/NF)", "(C/REL UK, CANADA)", "(S/REL TO NATO/AUS)", "(U.S.)",
    "(SE)", "(c )", "(S//FGI//NF)", "(C - ENTIRE TEXT)", "(",
    "C O N F I D E N T I A L STATE 052368", "UNCLAS SECTION 01 OF 02 X 000001", "S e c r e t",
    "SIPDIS", "NOFORN", "E F T O", "E.O. 12958: DECL: 05/19/2019", "EO 12958 DECL: 13/45/2019",
    "DECL: OADR", "TAGS ", "TAGS: OVIP (CLINTON, HILLARY), PREL", "SUBJECT: ",
    "SUBJECT: (C) SUBJECT: X", "REF: A. 2008 LONDON 3082  B. 08 STATE 81854", "REF: ",
    "Classified By: X for reasons 1.4 (b) and (d)", "Classified by", "1.4 (", "1.",
    "-------", "- - - -", "SUMMARY", "Summary\n-------", "BRASILIA 00001300 002.3 OF 003",
    "PAGE 02 ROME 01196 01 OF 02 082030Z", "XXXXXXXXXXXX", "ХХХХ", "xxxx",
    "=======================CABLE ENDS============================", "CLINTON", "End Summary. ",
    "09STATE52368\n2009-05-21 19:07\n2010-12-01 23:11\nCONFIDENTIAL\nSecretary of State\n\n",
    "R 211912Z MAY 09\nFM SECSTATE WASHDC\nTO AMEMBASSY LONDON\nINFO X\n\n",
    "Friday, 12 February 2010, 14:05", "Cable dated:2008-01-01T00:00:00", "<<123>>",
]

cableish = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=60
).map("".join)


def check_invariants(text: str, cable: Cable) -> None:
    n = len(text)
    assert cable.text is text or cable.text == text
    prev_end = 0
    for i, p in enumerate(cable.paragraphs):
        assert p.index == i
        assert 0 <= p.start <= p.end <= n
        assert p.start >= prev_end, "paragraphs overlap or are out of order"
        prev_end = p.end
        if p.number is not None and p.kind == "portion":
            assert text.startswith(p.number, p.start)
        if p.marking is not None:
            assert text[p.marking.start : p.marking.end] == p.marking.raw
    spans = [cable.reference_id, cable.classification, cable.origin, cable.banner,
             cable.subject, cable.tags_span, cable.references_span, cable.signature,
             cable.decl, cable.classified_by, cable.header, cable.subject_marking,
             *cable.caveats, *cable.page_breaks, *cable.withheld, *cable.references]
    for f in spans:
        if f is not None:
            assert 0 <= f.start <= f.end <= n
    for w in cable.warnings:
        assert 0 <= w.start <= n
        assert w.code != "parser-error", w.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_parser_never_raises_on_any_text(text):
    check_invariants(text, parse_cable(text))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cableish)
def test_parser_never_raises_on_cable_like_fragments(text):
    check_invariants(text, parse_cable(text))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(SEED)), st.integers(0, len(SEED)), cableish)
def test_parser_holds_its_invariants_on_a_real_cable_with_a_spliced_fragment(a, b, junk):
    a, b = min(a, b), max(a, b)
    text = SEED[:a] + junk + SEED[b:]
    check_invariants(text, parse_cable(text))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len(SEED)))
def test_truncated_real_cable_keeps_the_invariants(cut):
    text = SEED[:cut]
    check_invariants(text, parse_cable(text))


def test_huge_paragraph_long_line_and_many_paragraphs_parse_quickly():
    import time

    head = SEED[: SEED.index("1. (C)")]
    cases = [
        head + "1. (C) " + ("word " * 1_000_000),  # a 5 MB paragraph
        head + "1. (C) " + ("x" * 200_000) + "\n\nCLINTON\n",  # one 200,000-character line
        head + "".join(f"{i}. (C) Text of paragraph {i}.\n\n" for i in range(1, 10_001)),
        head + "(" * 50_000 + "1. " * 50_000,
        head + "-" * 100_000 + "\n" + "SUMMARY\n\n" * 10_000,
    ]
    for text in cases:
        t0 = time.perf_counter()
        cable = parse_cable(text)
        assert time.perf_counter() - t0 < 10, len(text)
        check_invariants(text, cable)
    many = parse_cable(cases[2])
    assert [p.number for p in many.paragraphs if p.kind == "portion"] == [
        str(i) for i in range(1, 10_001)
    ]


def test_non_str_input_is_a_type_error():
    import pytest

    with pytest.raises(TypeError):
        parse_cable(b"09STATE52368\n")  # type: ignore[arg-type]


def test_parsing_does_not_depend_on_the_hash_seed(tmp_path):
    # Equally many "N." and "N)" marked portions: a tie the parser must break the same way
    # in every process.
    import json
    import os
    import subprocess
    import sys

    text = (
        "09TEST1\n2009-01-01 00:00\n2010-01-01 00:00\nCONFIDENTIAL\nEmbassy Testville\n\n"
        "R 010000Z JAN 09\nFM AMEMBASSY TESTVILLE\nTO SECSTATE WASHDC\n\n"
        "C O N F I D E N T I A L TESTVILLE 000001\n\nE.O. 12958: DECL: 01/01/2019\n"
        "TAGS: PREL\nSUBJECT: TIE\n\n1. (C) First.\n\n2) (C) Second.\n\n3. (U) Third.\n\n"
        "4) (U) Fourth.\n\n5) list item\n\n6. plain\n\nSMITH\n"
    )
    path = tmp_path / "tie.txt"
    path.write_text(text, encoding="utf-8")
    script = (
        "import json, sys\n"
        "from redactor.cables.parser import parse_cable, decode_cable_bytes\n"
        "from redactor.cables.jsonview import cable_to_dict\n"
        "c = parse_cable(decode_cable_bytes(open(sys.argv[1], 'rb').read()))\n"
        "print(json.dumps(cable_to_dict(c), sort_keys=True, default=str))\n"
    )
    outputs = set()
    for seed in ("0", "1", "2", "3", "4", "5"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script, str(path)],
            env=env, capture_output=True, text=True, check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert json.loads(outputs.pop())["paragraphs"]
