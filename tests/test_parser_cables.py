"""The cable parser over the real cables in tests/data/cables.

Expected values were read off the cable texts themselves (see index.tsv for why each cable
is in the set).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from pathlib import Path

import pytest

from redactor.cables.parser import Cable, decode_cable_bytes, parse_cable

CABLES = Path(__file__).resolve().parent / "data" / "cables"
ALL = sorted(p.stem for p in CABLES.glob("*.txt"))


@cache
def load(name: str) -> Cable:
    return parse_cable(decode_cable_bytes((CABLES / f"{name}.txt").read_bytes()))


def portions(cable: Cable):
    return [p for p in cable.paragraphs if p.kind == "portion"]


def numbered(cable: Cable) -> list[tuple[str, str | None]]:
    return [
        (p.number, p.marking.raw if p.marking else None)
        for p in cable.paragraphs
        if p.kind == "portion" and p.number is not None
    ]


def codes(cable: Cable) -> list[str]:
    return [w.code for w in cable.warnings]


def test_the_fixture_set_is_complete():
    assert len(ALL) == 71


# ----------------------------------------------------------------- the seed cable in full


def test_seed_cable_metadata():
    c = load("09STATE52368")
    assert c.reference_id.value == "09STATE52368"
    assert c.text[c.reference_id.start : c.reference_id.end] == "09STATE52368"
    assert c.created == datetime(2009, 5, 21, 19, 7)
    assert c.released == datetime(2010, 12, 1, 23, 11)
    assert c.classification.value == "CONFIDENTIAL"
    assert c.origin.value == "Secretary of State"


def test_seed_cable_header():
    h = load("09STATE52368").header
    assert (h.precedence, h.dtg) == ("R", "211912Z MAY 09")
    assert h.sender.value == "SECSTATE WASHDC"
    assert [f.value for f in h.to] == ["AMEMBASSY LONDON"]
    assert [f.value for f in h.info] == [
        "JOINT STAFF WASHINGTON DC",
        "SECDEF WASHINGTON DC",
        "USMISSION USNATO",
        "USMISSION GENEVA",
    ]
    assert h.partial_extract is False


def test_seed_cable_preamble():
    c = load("09STATE52368")
    assert c.banner.value == "C O N F I D E N T I A L STATE 052368"
    assert c.caveats == ()
    assert (c.decl.order, c.decl.text, c.decl.date) == ("12958", "05/19/2019", date(2019, 5, 19))
    assert c.text[c.decl.start : c.decl.end] == "EO 12958 DECL: 05/19/2019"
    assert c.tags == ("MOPS", "PREL", "PGOV", "NATO", "UK")
    assert c.text[c.tags_span.start : c.tags_span.end] == "MOPS, PREL, PGOV, NATO, UK"
    assert c.subject.value == "U.S.-UK CLUSTER MUNITIONS DIALOGUE"
    assert c.subject_marking is None
    assert [(r.label, r.text, r.cable_id) for r in c.references] == [
        ("A", "2008 LONDON 3082", "08LONDON3082"),
        ("B", "2008 STATE 229199", "08STATE229199"),
    ]
    assert c.classified_by.by == "PM/WRA DEPUTY DIRECTOR STEVEN COSTNER"
    assert c.classified_by.reasons == ("1.4(B)", "1.4(D)")
    assert c.text[c.classified_by.start : c.classified_by.end].startswith("Classified By: PM/WRA")
    assert c.text[c.classified_by.start : c.classified_by.end].endswith("1.4 (b) and (d)")


def test_seed_cable_portions_and_headings():
    c = load("09STATE52368")
    kinds = [(p.kind, p.number, p.marking.raw if p.marking else None) for p in c.paragraphs]
    assert kinds == [
        ("heading", None, None),
        ("portion", "1", "(C)"),
        ("portion", "2", "(C)"),
        ("heading", None, None),
        ("portion", "3", "(C)"),
        ("portion", "4", "(C)"),
        ("portion", "5", "(C)"),
        ("portion", "6", "(C)"),
        ("heading", None, None),
        ("portion", "7", "(C)"),
        ("heading", None, None),
        ("portion", "8", "(C)"),
        ("heading", None, None),
        ("portion", "9", "(C)"),
    ]
    text = c.text
    assert text[c.paragraphs[0].start : c.paragraphs[0].end] == "Summary\n-------"
    assert "CONVENTION ON CLUSTER MUNITIONS" in text[c.paragraphs[3].start : c.paragraphs[3].end]
    first = c.paragraphs[1]
    assert text[first.start : first.end].startswith("1. (C) Summary: In the latest")
    assert text[first.start : first.end].endswith("End Summary.")
    last = c.paragraphs[-1]
    assert text[last.start : last.end].endswith("CCM-excluded weapons issue.")
    assert all(p.marking.level == "C" and p.marking.caveats == () for p in portions(c))
    assert c.signature.value == "CLINTON"
    assert text[c.signature.start : c.signature.end] == "CLINTON"
    assert c.warnings == ()


# ----------------------------------------------------------------- header / body split


def test_header_with_blank_line_after_routing_line_is_not_cut_short():
    h = load("07LIMA3764").header  # "OO RUEHWEB\n\nDE RUEHPE ..." inside the envelope
    assert h.dtg == "051146Z DEC 07"
    assert h.sender.value == "AMEMBASSY LIMA"
    assert len(h.info) == 7


def test_partial_extract_header_is_recognised():
    c = load("04THEHAGUE2415")
    assert c.header.partial_extract is True
    assert c.header.dtg == "221547Z Sep 04"
    assert c.banner.value.startswith("C O N F I D E N T I A L SECTION 01 OF 02 THE HAGUE")


def test_partial_extract_without_envelope_warns_no_header():
    c = load("04ISTANBUL374")
    assert c.header.partial_extract is True
    assert "no-header" in codes(c)


def test_old_distribution_header_and_page_headers():
    c = load("90CAPETOWN97")
    assert c.header.sender.value == "AMCONSUL CAPE TOWN"
    assert c.header.dtg == "171512Z JAN 90"
    assert (c.decl.order, c.decl.text) == ("12356", "OADR")
    pages = [p.value for p in c.page_breaks]
    assert any(v.startswith("PAGE 02") for v in pages)
    assert any(v.startswith("PAGE 03") for v in pages)
    # The repeated "CONFIDENTIAL" above an old page header is dropped with it.
    page2 = next(p for p in c.page_breaks if p.value.startswith("PAGE 02"))
    assert c.text[page2.start : page2.end].startswith("CONFIDENTIAL")


def test_page_line_inside_recipient_list_is_not_a_recipient():
    h = load("08STATE23763").header
    assert [f.value for f in h.to] == ["AMEMBASSY NEW DELHI PRIORITY"]
    assert h.sender.value == "SECSTATE WASHDC"


def test_glued_to_recipient_and_route_indicators():
    h = load("08ECTION01OF02MANAMA492").header
    assert h.to[0].value == "RUEHC/SECSTATE WASHDC PRIORITY 8009"
    assert load("09BAKU179").header.to[0].value == "SECSTATE WASHDC PRIORITY 0872"


# ----------------------------------------------------------------- banner and caveats


@pytest.mark.parametrize(
    ("name", "banner"),
    [
        ("06MADRID779", "C C O N F I D E N T I A L SECTION 01 OF 02 MADRID 000779"),
        ("06AMMAN3564", "O N F I D E N T I A L SECTION 01 OF 04 PARIS 004247"),
        ("06TELAVIV145", "S E C R E T SECTION 01 OF 02 TEL AVIV 000145"),
        ("09BEIJING2963", "S e c r e t section 01 of 02 beijing 002963"),
        ("09EFTOLONDON2239", "UNCLAS E F T O LONDON 002239"),
        ("06ANKARA3352", "S E C R E T SECTION 01 OF 04 ANKARA 003352"),
        ("08GENEVA498", "C O N F I D E N T I A L GENEVA 000498"),
        ("07BERN881", "S E C R E T SECTION 01 OF 02 BERN 000881"),
        ("09MONTERREY183", "C O N F I D E N T I A L SECTION 01 OF 02 MONTERREY 000183"),
        ("07PRETORIA356", "C O N F I D E N T I A L SECTION 01 OF 02 PRETORIA 000356"),
        ("75TEHRAN2069", "C O N F I D E N T I A L SECTION 1 OF 2 TEHRAN 2069"),
    ],
)
def test_banner_forms(name, banner):
    c = load(name)
    assert c.banner.value == banner
    assert c.text[c.banner.start : c.banner.end] == banner
    assert "no-banner" not in codes(c)


def test_caveat_lines_and_caveats_glued_to_the_banner():
    assert [f.value for f in load("06MADRID2335").caveats] == ["SIPDIS", "NOFORN", "SIPDIS"]
    assert [f.value for f in load("06ANKARA3352").caveats] == ["SIPDIS", "SIPDIS", "NOFORN"]
    assert [f.value for f in load("09EFTOLONDON2239").caveats] == [
        "EFTO", "SENSITIVE", "NOFORN", "SIPDIS",
    ]
    c = load("09DAKAR1376")
    assert [f.value for f in c.caveats] == ["SIPDIS", "SENSITIVE"]
    assert all(c.text[f.start : f.end].upper() == f.value for f in c.caveats)


# ----------------------------------------------------------------- duplicate preambles


def test_duplicate_preamble_is_warned_and_first_copy_used():
    c = load("06YEREVAN1019")
    assert "duplicate-preamble" in codes(c)
    assert c.tags[0] == "HSTC"
    # The collapsed second copy is preamble, not a portion.
    assert c.paragraphs[0].kind == "heading"
    assert c.text[c.paragraphs[0].start : c.paragraphs[0].end] == "SUMMARY"


def test_truncated_body_with_collapsed_preamble_copy():
    c = load("08MOSCOW2426")
    assert "duplicate-preamble" in codes(c)
    # The complete DECL of the second copy, not the truncated "08..." of the first.
    assert c.decl.text == "08/15/2018" and c.decl.date == date(2018, 8, 15)
    assert c.tags == ("EPET", "ENRG", "ECON", "PREL", "GG", "RS")
    assert "no-subject" in codes(c)
    assert portions(c) == []


def test_lower_case_second_preamble_after_media_block():
    c = load("09NAIROBI1938")
    assert c.banner.value == "S e c r e t nairobi 001938"
    assert c.decl.date == date(2019, 9, 9)
    assert [(r.label, r.cable_id) for r in c.references] == [
        ("a", "08STATE81854"),
        ("b", None),
        ("c", "09NAIROBI1830"),
        ("d", "09NAIROBI1859"),
        ("e", "09NAIROBI1831"),
    ]
    assert c.classified_by.reasons == ("1.5(B)", "1.5(D)")
    assert c.signature.value == "Ranneberger"


# ----------------------------------------------------------------- E.O. / DECL


@pytest.mark.parametrize(
    ("name", "order", "text", "when"),
    [
        ("09QUITO57", "12958", "TWENTY YEARS", None),
        ("86MADRID5480", "12356", "OADR", None),
        ("10BOGOTA93", "12958", "25X1- HUMAN", None),
        ("09PANAMA905", "12958", "2019/12/24", date(2019, 12, 24)),
        ("09BAKU179", "12958", "3/7/2019", date(2019, 3, 7)),
        ("08TRIPOLI402", "12958", "5/13/2018", date(2018, 5, 13)),
        ("06CARACAS219", "12958", "CO 01/26/2021", date(2021, 1, 26)),
        ("75TEHRAN2069", "11652", "GDS", None),
        ("04ISTANBUL374", "12958", "N/A", None),
        ("08STATE116943", "12958", "MR", None),
        ("09BEIJING2963", "12958", "after korean unification", None),
        ("08ECTION01OF02MANAMA492", "1295", "07/24/2018", date(2018, 7, 24)),
        ("06ANKARA3352", "12958", "06/05/2026", date(2026, 6, 5)),
        ("08GENEVA498", "12958", "06/26/2018", date(2018, 6, 26)),
    ],
)
def test_decl_forms(name, order, text, when):
    d = load(name).decl
    assert (d.order, d.text, d.date) == (order, text, when)


def test_decl_glued_between_caveats_and_tags_on_one_line():
    c = load("06SANTODOMINGO409")
    assert c.decl.date == date(2016, 2, 7)
    assert c.tags == ("PREL", "DR", "HA")
    assert c.text[c.decl.start : c.decl.end] == "E.O. 12958: DECL: 02/07/2016"


# ----------------------------------------------------------------- TAGS


def test_tags_without_colon_comma_separated():
    assert load("07TBILISI1732").tags == ("PREL", "PGOV", "GG")


def test_tags_continued_on_next_line():
    # The person tag written without parentheses is one tag (was split into three words).
    assert load("08STATE100219").tags == (
        "OVIP RICE CONDOLEEZZA", "PREL", "PHSA", "SP", "KV", "CU", "BL", "IS",
    )
    assert load("09BRUSSELS536").tags == (
        "ETTC", "KNNP", "PARM", "KTFN", "PTER", "EFIN", "KCRM", "KJUS", "KHLS",
        "UNSC", "IR", "PINR", "EUN", "KPAL", "KPAO",
    )


def test_person_tag_in_parentheses_is_kept_whole_and_lower_case_label():
    c = load("09BEIJING2963")
    assert c.tags[0] == "OVIP (STEINBERG, JAMES B.)"
    assert c.tags[1:4] == ("PREL", "PARM", "PGOV")
    assert c.tags[-1] == "IR"
    assert c.text[c.tags_span.start : c.tags_span.end].startswith("ovip (steinberg, james b.)")


def test_glued_tag_typo_is_kept_as_written():
    assert load("08ECTION01OF02MANAMA492").tags == ("KCRM", "KWMN", "ASEC", "PHUMBA")


def test_no_tags_line():
    c = load("09SAOPAULO660")
    assert c.tags == ("PGOV", "PINR", "PREL", "KPAO", "KIRF", "BR")  # "N/A TAGS:" on one line


# ----------------------------------------------------------------- SUBJECT


def test_wrapped_subject_is_joined_with_single_spaces():
    c = load("06SKOPJE105")
    assert c.subject.value == (
        "MACEDONIA & NATO MEMBERSHIP: DEFENSE REFORMS ON TRACK; POLITICAL & ECONOMIC "
        "REFORMS KEY OBSTACLES"
    )
    assert "\n" in c.text[c.subject.start : c.subject.end]


def test_subject_marking_and_repeated_label():
    c = load("07PARAMARIBO510")
    assert c.subject_marking.raw == "(C)" and c.subject_marking.level == "C"
    assert c.subject.value.startswith("BRIEFING INFORMATION FOR OCTOBER 6")
    assert not c.subject.value.startswith("SUBJECT")
    s = load("09STATE62392")
    assert (s.subject_marking.raw, s.subject.value) == (
        "(S)", "REPORTING AND COLLECTION NEEDS: BULGARIA",
    )


def test_subject_followed_by_inline_refs_and_classified_by():
    c = load("08RIODEJANEIRO165")
    assert c.subject.value == "AMBASSADOR SOBEL MEETS WITH KEY ENERGY ENTITIES IN RIO"
    assert [r.cable_id for r in c.references] == ["08RIODEJANEIRO138", "08RIODEJANEIRO44"]
    m = load("08MEXICO886")
    assert m.subject.value == "THE FARC IN mexico"
    assert m.classified_by.by == "POL Officer Frank Penirian"


@pytest.mark.parametrize("name", ["09SAOPAULO660", "06ANKARA3352", "06SANTODOMINGO409"])
def test_cable_without_subject_warns(name):
    c = load(name)
    assert c.subject is None
    assert "no-subject" in codes(c)


# ----------------------------------------------------------------- REF


def test_fifteen_lettered_refs_on_one_line():
    c = load("07TBILISI1732")
    refs = c.references
    assert [r.label for r in refs] == list("ABCDEFGHIJKLMNO")
    assert refs[0].cable_id == "07TBILISI1605"  # no year: the cable's own
    assert refs[3].cable_id == "06TBILISI2601"
    assert refs[8].cable_id == "06STATE80908"
    assert refs[10].cable_id == "06TBILISI619"  # leading zeros dropped as in ids
    assert refs[14].cable_id == "05TBILISI3171"
    assert all(c.text[r.start : r.end].startswith(r.label + ".") for r in refs)


def test_thirteen_lettered_refs_one_per_line():
    refs = load("09ABUJA203").references
    assert [r.label for r in refs] == list("ABCDEFGHIJKLM")
    assert refs[0].cable_id == "09STATE6401"
    assert refs[-1].cable_id == "08ABUJA962"


def test_refs_separated_by_blank_lines_and_notal():
    refs = load("04THEHAGUE2415").references
    assert [(r.label, r.text) for r in refs] == [
        ("A", "THE HAGUE 1290 (NOTAL)"),
        ("B", "USEU BRUSSELS 4009"),
    ]
    assert [r.cable_id for r in refs] == ["04THEHAGUE1290", "04USEUBRUSSELS4009"]


def test_non_cable_refs_have_no_cable_id():
    assert [r.cable_id for r in load("09PARIS1039").references] == [
        None, None, None, "09PARIS1025",
    ]
    assert [r.cable_id for r in load("08NAIROBI2290").references] == [None, None, None]
    assert load("08STATE23763").references[-1].text == "LOWE E-MAIL (JAN 02 2008)"
    assert load("08STATE23763").references[-1].cable_id is None


def test_unlettered_refs_split_on_semicolons_and_lines():
    assert [r.cable_id for r in load("09PANAMA905").references] == [
        "09PANAMA639", "09PANAMA699", "09PANAMA777", "09PANAMA776", "09PANAMA799",
        "09PANAMA877", "09PANAMA901",
    ]
    assert [r.cable_id for r in load("09SAOPAULO660").references] == [
        "09BRASILIA1250", "09RECIFE66", "08SAOPAULO581",
    ]


@pytest.mark.parametrize(
    ("name", "ids"),
    [
        ("09CAIRO1415", ["09STATE71325", "09CAIRO1158"]),  # REFTEL:
        ("09MUNICH25", ["09BERLIN169", "08MUNICH355"]),  # REFS: A) ... B) ... and previous
        ("86MADRID5480", ["86MADRID5426", "86MADRID5425", "86MADRID5418"]),  # A), B), C)
        ("08BAGHDAD357", ["07BAGHDAD3668", "07BAGHDAD3764", "07BAGHDAD3767", "07BAGHDAD4001",
                          "08BAGHDAD248"]),  # "A. A. 07 BAGHDAD 03668"
        ("10BRUSSELS4", ["09STATE122247"]),
        ("07LIMA3764", ["07LIMA3646", "07LIMA3707"]),  # "A. REF A:LIMA 3646"
        ("09BOGOTA688", ["09BOGOTA569", "08BOGOTA3359", "08BOGOTA3193", "08BOGOTA3359"]),
    ],
)
def test_ref_label_forms(name, ids):
    assert [r.cable_id for r in load(name).references] == ids


def test_references_span_covers_the_whole_list():
    c = load("09ABUJA203")
    written = c.text[c.references_span.start : c.references_span.end]
    assert written.startswith("REF: A. STATE 6401")
    assert written.endswith("M. 08 ABUJA 962")


# ----------------------------------------------------------------- Classified By


@pytest.mark.parametrize(
    ("name", "by", "reasons"),
    [
        ("04WELLINGTON596", "DCM David R. Burnett", ("1.5(B)", "1.5(D)")),
        ("08ROME1541", "DCM Liz Dibble", ("1.4(B)", "1.4(D)")),  # "(d)" on the next line
        ("09UNVIEVIENNA218", "CHARGE D'AFFAIRES: GEOFFREY PYATT", ("1.4(B)", "1.4(D)")),
        ("09BEIJING2963", "Political Minister Counselor Aubrey Carlson", ("1.4(B)", "1.4(D)")),
        ("10BOGOTA93", "Timothy Stater, Economic Counselor, DoS, Econ", ("1.4(C)",)),
        ("09SANSALVADOR817", "CHARGE D'AFFAIRES ROBERT BLAU", ("1.5(B)", "1.5(D)")),
        ("09VILNIUS84", "Senior Adviser Stephen Mull", ("1.4(B)", "1.4(C)", "1.4(D)")),
        ("08TRIPOLI402", "Chris Stevens, CDA, U.S. Embassy - Tripoli, Dept of State",
         ("1.4(B)", "1.4(D)")),
        ("09ABUJA203", "Ambassador Robin Renee Sanders", ("1.4(B)", "1.4(D)")),
        ("08STATE116943", "Derived from Multiple Sources", ()),
        ("06CARACAS219", "POLITICAL COUNSELOR ROBERT R. DOWNES", ("1.4(D)",)),
        ("08USUNNEWYORK258", "Ambassador Alejandro D. Wolff", ("1.4(B)", "1.4(D)")),
    ],
)
def test_classified_by_forms(name, by, reasons):
    cb = load(name).classified_by
    assert (cb.by, cb.reasons) == (by, reasons)


def test_wrapped_classified_by_span_covers_both_lines():
    c = load("09UNVIEVIENNA218")
    written = c.text[c.classified_by.start : c.classified_by.end]
    assert written.startswith("Classified By:")
    assert written.endswith("D (D)")
    assert "\n" in written


def test_classified_by_inside_paragraph_one():
    c = load("08STATE100219")
    assert c.classified_by.by == "EUR A/S Daniel Fried"
    assert c.classified_by.reasons == ("1.4(B)", "1.4(D)")
    p1 = portions(c)[0]
    assert (p1.number, p1.marking.raw) == ("1", "(U)")
    assert p1.start < c.classified_by.start < c.classified_by.end <= p1.end


@pytest.mark.parametrize("name", ["06YEREVAN1019", "06ANKARA3352", "09CAIRO1415"])
def test_cables_without_classified_by(name):
    assert load(name).classified_by is None


# ----------------------------------------------------------------- portions and markings


def test_glued_number_and_mark():
    assert numbered(load("07LIMA3764"))[0] == ("1", "(SBU)")
    assert ("8", "(C)") in numbered(load("08MANAMA492"))
    assert numbered(load("09CAIRO1415"))[:2] == [("1", "(U)"), ("2", "(U)")]


def test_number_glued_to_a_dashed_rule():
    c = load("09CAIRO1415")  # "-------1.(U) Even before ..."
    first = portions(c)[0]
    assert c.text[first.start : first.start + 5] == "1.(U)"
    assert c.paragraphs[0].kind == "heading"


def test_parenthesis_numbering_without_marks():
    c = load("05BRASILIA229")
    assert [n for n, _ in numbered(c)] == [str(i) for i in range(1, 22)]
    assert all(m is None for _, m in numbered(c))
    assert "unmarked-portion" not in codes(c)  # an UNCLASSIFIED cable


def test_parenthesis_numbering_with_marks():
    c = load("09ABUDHABI874")
    assert numbered(c)[0] == ("1", "(S)")


def test_indented_numbers():
    c = load("10BUENOSAIRES81")
    first = portions(c)[0]
    assert (first.number, first.marking.raw) == ("1", "(SBU)")
    assert c.text[first.start - 1] == " "  # the number, not its indentation, starts it


def test_lower_case_marks():
    c = load("04ISTANBUL374")
    assert numbered(c) == [
        ("1", "(sbu)"), ("2", "(u)"), ("3", "(u)"), ("4", "(sbu)"), ("5", "(sbu)"),
    ]
    p1 = portions(c)[0].marking
    assert (p1.level, p1.caveats) == ("U", ("SBU",))


@pytest.mark.parametrize(
    ("name", "raw", "level", "caveats"),
    [
        ("08NAIROBI2290", "(S-NF)", "S", ("NF",)),
        ("09MONTERREY183", "(C )", "C", ()),
        ("06SKOPJE105", "(C/REL NATO)", "C", ("REL TO NATO",)),
        ("06SKOPJE105", "(SBU/REL NATO)", "U", ("SBU", "REL TO NATO")),
        ("06SKOPJE105", "(C/NOFORN)", "C", ("NF",)),
        ("08STATE116943", "(S//FGI//NF)", "S", ("FGI", "NF")),
        ("08STATE116943", "(S//REL TO USA, FVEY)", "S", ("REL TO USA, FVEY",)),
        ("09VILNIUS84", "(S/REL ROYG)", "S", ("REL TO ROYG",)),
        ("09EFTOLONDON2239", "(SBU/NF)", "U", ("SBU", "NF")),
        ("10BRUSSELS4", "(C//NF)", "C", ("NF",)),
        ("09PANAMA905", "(S//NF)", "S", ("NF",)),
        ("06MADRID2335", "(C/NF)", "C", ("NF",)),
    ],
)
def test_marking_variants_are_normalised(name, raw, level, caveats):
    marks = {p.marking.raw: p.marking for p in portions(load(name)) if p.marking}
    assert raw in marks
    assert (marks[raw].level, marks[raw].caveats) == (level, caveats)


def test_parenthesised_text_after_a_number_is_not_a_mark():
    c = load("08USUNNEWYORK258")
    for p in portions(c):
        if p.marking is not None:
            assert not p.marking.raw.startswith("(The") and not p.marking.raw.startswith("(At")


def test_lettered_subparagraphs_with_their_own_marks():
    c = load("09STATE62392")
    got = [(p.number, p.marking.raw if p.marking else None) for p in portions(c)][:8]
    assert got == [
        ("1", "(S/NF)"), ("A", "(S/NF)"), ("B", "(S/NF)"), ("C", "(S/NF)"),
        ("2", "(S/NF)"), ("A", "(S/NF)"), ("B", "(S/NF)"), ("3", "(S/NF)"),
    ]


def test_numbered_list_inside_a_marked_paragraph_is_not_a_portion():
    c = load("09STATE62392")  # "3. (S/NF) ... priority issues:" then "4) Black Sea ..."
    assert [n for n, _ in numbered(c) if n.isdigit()][:4] == ["1", "2", "3", "4"]
    four = next(p for p in portions(c) if p.number == "4")
    assert four.marking.raw == "(S/NF)"


def test_bare_marked_paragraph_before_the_numbered_ones():
    c = load("07PRETORIA356")  # "(U) This message has been coordinated ..."
    first = portions(c)[0]
    assert (first.number, first.marking.raw) == (None, "(U)")
    assert c.text[first.start :].startswith("(U) This message has been coordinated")


def test_portion_extends_over_continuation_blocks_and_page_breaks():
    c = load("09BRUSSELS536")  # "... it was already clear that \n\nBRUSSELS ... \n\nthe USG"
    holders = []
    for pb in c.page_breaks:
        holder = [p for p in c.paragraphs if p.start < pb.start and pb.end < p.end]
        assert len(holder) == 1
        holders.append(holder[0].number)
    assert holders == ["4", "9", "14"]
    four = next(p for p in portions(c) if p.number == "4")
    assert "the USG would remain com" in c.text[four.start : four.end]


def test_page_break_between_paragraphs_is_in_no_portion():
    c = load("06SKOPJE105")
    pb = next(p for p in c.page_breaks if p.value.endswith("004 OF 007"))
    assert not any(p.start <= pb.start < p.end for p in c.paragraphs)


def test_page_break_lines_are_recorded():
    c = load("09MEXICO160")
    assert len(c.page_breaks) == 13
    assert c.page_breaks[0].value == "MEXICO 00000160  002 OF 014"
    assert all(c.text[p.start : p.end] == p.value for p in c.page_breaks)


def test_page_break_inside_a_sentence_of_a_collapsed_line():
    c = load("08MANAMA492")
    assert [p.value for p in c.page_breaks] == ["MANAMA 00000492 002 OF 002"]
    eight = next(p for p in portions(c) if p.number == "8")
    assert eight.start < c.page_breaks[0].start < eight.end


def test_collapsed_cable_paragraphs_run_together_on_one_line():
    c = load("08STOCKHOLM792")
    assert numbered(c) == [(str(i), "(C)") for i in range(1, 8)]
    two = next(p for p in portions(c) if p.number == "2")
    assert c.text[two.start - 2 : two.start] == ". "  # "... implications. 2. (C) On ..."
    assert c.text[two.start :].startswith("2. (C) On a separate note")


def test_midline_numbers_out_of_sequence_are_not_portions():
    c = load("10BUENOSAIRES81")
    assert [n for n, _ in numbered(c)] == ["1", "2", "3", "4"]


def test_headings_in_rules_and_all_caps():
    c = load("06YEREVAN1019")
    heads = [c.text[p.start : p.end] for p in c.paragraphs if p.kind == "heading"]
    assert heads == [
        "SUMMARY",
        "AIDA",
        "A DIFFERENT KIND OF TRAFFICKING",
        "VANADZOR SLUMS: BREEDING DISEASE AND DESPERATION",
        "POLICE: ARMENIAN TIP VICTIMS GO TO TURKEY MORE THAN UAE",
        "COMMENT",
    ]
    r = load("08RIODEJANEIRO165")
    heads = [r.text[p.start : p.end] for p in r.paragraphs if p.kind == "heading"]
    assert heads[0] == "SUMMARY -------"


def test_u2028_line_separators_do_not_shift_offsets():
    c = load("08MEXICO886")
    assert c.text.count("\u2028") == 151
    assert numbered(c) == [
        ("1", "(U)"), ("2", "(U)"), ("3", "(C)"), ("4", "(U)"), ("5", "(S/NF)"),
        ("6", "(C)"), ("7", "(C)"),
    ]
    for p in portions(c):
        assert c.text[p.start : p.start + len(p.number) + 1] == p.number + "."


def test_tabs_and_backslashes_of_csv_copies():
    c = load("08GENEVA498")
    assert c.subject.value == "NEW HUMAN RIGHTS COUNCIL PRESIDENT MARTIN UHOMOIBHI"
    assert c.signature.value == "TICHENOR"
    assert numbered(c)[0] == ("1", "(C)")


def test_marks_above_the_metadata_classification_are_warned():
    c = load("09VILNIUS84")
    above = [w for w in c.warnings if w.code == "marking-above-classification"]
    assert len(above) == 8
    starts = {p.start for p in portions(c)}
    assert all(w.start in starts for w in above)


def test_unmarked_numbered_portion_in_a_marked_cable_is_warned():
    c = load("08STATE23763")  # "8. XXXXXXXXXXXX"
    unmarked = [w for w in c.warnings if w.code == "unmarked-portion"]
    assert len(unmarked) == 1
    assert c.text[unmarked[0].start :].startswith("8. XXXXXXXXXXXX")


def test_old_unmarked_classified_cable_does_not_warn_per_paragraph():
    c = load("75TEHRAN2069")
    assert numbered(c) and all(m is None for _, m in numbered(c))
    assert "unmarked-portion" not in codes(c)


# ----------------------------------------------------------------- signature and withheld


@pytest.mark.parametrize(
    ("name", "signature"),
    [
        ("07BERLIN1767", "TIMKEN JR"),
        ("08MONTEVIDEO134", "Baxter"),  # before the CABLE ENDS trailer
        ("09QUITO57", "HODGES"),
        ("09REYKJAVIK27", "VAN VOORST"),
        ("06TELAVIV145", "JONES"),  # a stray quote after it
        ("07BERN881", "CARTER"),  # before the pasted 07TBILISI2290 (was TEFFT, its signature)
        ("09MEXICO160", "BASSETT"),  # a date line after it
        ("75TEHRAN2069", "HELMS"),  # the declassification stamp after it
        ("09KYIV1942", "PETTIT"),  # glued to the last sentence
        ("10BRUSSELS4", "EASON"),
        ("09SAOPAULO660", "White"),
    ],
)
def test_signature_forms(name, signature):
    c = load(name)
    assert c.signature.value == signature
    assert c.text[c.signature.start : c.signature.end] == signature


@pytest.mark.parametrize("name", ["08MANAMA492", "09SANJOSE978", "08MOSCOW2426"])
def test_truncated_cables_have_no_signature(name):
    assert load(name).signature is None


def test_withheld_runs():
    c = load("07PRETORIA356")  # "businessmanXXXXXXXXXXXX is ..."
    assert c.withheld
    assert all(set(f.value) == {"X"} and c.text[f.start : f.end] == f.value for f in c.withheld)
    glued = c.text.index("businessmanXXXXXXXXXXXX")
    assert any(f.start == glued + len("businessman") for f in c.withheld)
    b = load("09BEIJING2963")  # lower-case copy: "with xxxxx foreign minister"
    assert any(f.value == "xxxxx" for f in b.withheld)


# ----------------------------------------------------------------- metadata oddities


def test_section_copy_id_is_kept_warned_and_read_as_its_cable():
    # Was "bad-reference-id": the id is a section copy's (section 1 of 2 of 08MANAMA492).
    c = load("08ECTION01OF02MANAMA492")
    assert c.reference_id.value == "08ECTION01OF02MANAMA492"
    assert "section-copy" in codes(c) and "bad-reference-id" not in codes(c)
    assert c.canonical_id == "08MANAMA492"
    assert c.section == (1, 2)


# ----------------------------------------------------------------- every cable

_INDEPENDENT_MARK = re.compile(r"^\s*(\d+)\s*[.)]\s*(\([A-Za-z/ -]+\))", re.M)
_LEVEL_WORDS = {"U", "C", "S", "TS", "SBU", "SE"}


def _expected_marked_portions(text: str) -> set[tuple[int, str, str]]:
    """(offset of the number, number, mark) for each line-start "N. (MARK)", found without
    the parser: the first word of the parenthesis must be a classification level."""
    out = set()
    for m in _INDEPENDENT_MARK.finditer(text):
        words = re.split(r"[/ -]+", m.group(2)[1:-1].strip())
        if words and words[0].upper() in _LEVEL_WORDS:
            out.add((m.start(1), m.group(1), m.group(2)))
    return out


@pytest.mark.parametrize("name", ALL)
def test_every_marked_numbered_line_is_a_portion_with_its_number_and_mark(name):
    c = load(name)
    found = {
        (p.start, p.number, p.marking.raw)
        for p in c.paragraphs
        if p.kind == "portion" and p.number and p.marking
    }
    expected = _expected_marked_portions(c.text)
    # A second telegram pasted after the cable's text is one portion of its own (07BERN881).
    pasted = [w.start for w in c.warnings if w.code == "second-telegram"]
    if pasted:
        expected = {e for e in expected if e[0] < pasted[0]}
    assert expected <= found, sorted(expected - found)[:5]


@pytest.mark.parametrize("name", ALL)
def test_offsets_are_in_bounds_ordered_and_portions_start_with_their_number(name):
    c = load(name)
    n = len(c.text)
    prev_end = 0
    for p in c.paragraphs:
        assert 0 <= p.start < p.end <= n
        assert p.start >= prev_end
        prev_end = p.end
        assert not c.text[p.start].isspace() and not c.text[p.end - 1].isspace()
        if p.number is not None:
            assert c.text.startswith(p.number, p.start)
        if p.marking is not None:
            assert c.text[p.marking.start : p.marking.end] == p.marking.raw
            assert p.start <= p.marking.start < p.marking.end <= p.end
    for f in (c.reference_id, c.classification, c.origin, c.banner, c.subject, c.tags_span,
              c.references_span, c.signature, *c.caveats, *c.page_breaks, *c.withheld):
        if f is not None:
            assert 0 <= f.start <= f.end <= n
    for obj in (c.decl, c.classified_by, c.header, *c.references):
        if obj is not None:
            assert 0 <= obj.start <= obj.end <= n
    assert all(0 <= w.start <= n for w in c.warnings)
    assert "parser-error" not in codes(c)


@pytest.mark.parametrize("name", ALL)
def test_parsing_is_deterministic_and_keeps_the_text(name):
    raw = (CABLES / f"{name}.txt").read_bytes()
    text = decode_cable_bytes(raw)
    assert text.encode("utf-8") == raw  # nothing changed: no NFC, no stripping
    assert parse_cable(text) == load(name)


# ----------------------------------------------------------------- forms absent from the set
# Built from the seed cable by replacing one paragraph's mark, so that only that form differs.


def _seed_with(mark: str) -> Cable:
    text = decode_cable_bytes((CABLES / "09STATE52368.txt").read_bytes())
    return parse_cable(text.replace("2. (C) Nicolas Pickard", f"2. {mark} Nicolas Pickard", 1))


@pytest.mark.parametrize("not_a_mark", ["(U.S.)", "(Afghanistan)", "(Mideast)"])
def test_parenthesised_words_after_a_number_are_not_marks(not_a_mark):
    c = _seed_with(not_a_mark)
    two = next(p for p in portions(c) if p.number == "2")
    assert two.marking is None
    assert "unmarked-portion" in codes(c)


@pytest.mark.parametrize(
    ("mark", "level", "caveats"),
    [
        ("(S/Noforn)", "S", ("NF",)),
        ("(U//FOUO)", "U", ("FOUO",)),
        ("(C NF)", "C", ("NF",)),
        ("(S/Rel China)", "S", ("REL TO CHINA",)),
        ("(C/REL UK, CANADA, AUSTRALIA)", "C", ("REL TO UK, CANADA, AUSTRALIA",)),
        ("(S/REL TO NATO/AUS)", "S", ("REL TO NATO, AUS",)),
        ("(S/REL USA, SAU)", "S", ("REL TO USA, SAU",)),
    ],
)
def test_other_marking_variants(mark, level, caveats):
    two = next(p for p in portions(_seed_with(mark)) if p.number == "2")
    assert (two.marking.raw, two.marking.level, two.marking.caveats) == (mark, level, caveats)


def test_typo_mark_se_is_read_as_secret_with_a_warning():
    c = _seed_with("(SE)")
    two = next(p for p in portions(c) if p.number == "2")
    assert two.marking.level == "S"
    assert "nonstandard-marking" in codes(c)
    assert "marking-above-classification" in codes(c)  # S in a CONFIDENTIAL cable


def test_unknown_mark_like_text_is_kept_and_warned():
    c = _seed_with("(C - ENTIRE TEXT)")
    two = next(p for p in portions(c) if p.number == "2")
    assert two.marking.raw == "(C - ENTIRE TEXT)" and two.marking.level is None
    assert "unknown-marking" in codes(c)


def test_cyrillic_withheld_run():
    text = decode_cable_bytes((CABLES / "09STATE52368.txt").read_bytes())
    c = parse_cable(text.replace("Nicolas Pickard", "ХХХХХХХХХХХ", 1))
    assert [f.value for f in c.withheld] == ["ХХХХХХХХХХХ"]


def test_lower_case_marks_are_read_and_flagged_for_the_reviewer():
    cable = load("04ISTANBUL374")
    lower = [p for p in cable.paragraphs if p.marking and p.marking.raw in ("(sbu)", "(u)")]
    assert lower and all(p.marking.level == "U" for p in lower)
    flagged = [w for w in cable.warnings if w.code == "nonstandard-marking"]
    assert any("lower case" in w.message for w in flagged)
    assert {w.start for w in flagged} >= {p.start for p in lower}
