"""Every occurrence in the cable: the search and the name variants, on real cables.

The search is the release gate's own (normalised, word-bounded); these tests pin what a
reviewer is shown for a proposal in 07COLOMBO838 and 08STATE116943 as shipped.
"""

from __future__ import annotations

from pathlib import Path

from redactor.redaction import variants
from redactor.redaction.variants import other_occurrences
from redactor.release.occurrences import printed_occurrences, visible_occurrences

SAMPLES = Path(__file__).resolve().parent.parent / "redactor" / "sample_cables"


def _text(name: str) -> str:
    return (SAMPLES / f"{name}.txt").read_text(encoding="utf-8")


def _found(text: str, needle: str, nth: int = 0):
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return [(text[f.start : f.end], f.kind, f.title) for f in
            other_occurrences(text, start, start + len(needle))]


def test_colombo_illangakoon_is_found_in_paragraph_two_where_it_was_printed():
    text = _text("07COLOMBO838")
    found = _found(text, "Illangakoon")
    assert [f[0] for f in found] == ["Illangakoon"] * 3
    told = text.index("Illangakoon told ODC")
    starts = [f.start for f in other_occurrences(text, text.index("Illangakoon"),
                                                  text.index("Illangakoon") + 11)]
    assert told in starts
    # The one after "Commodore" carries its title.
    assert ("Illangakoon", variants.SAME, "Commodore") in found


def test_colombo_the_full_name_finds_the_surname_alone_and_with_its_title():
    text = _text("07COLOMBO838")
    found = _found(text, "Lakshman Illangakoon")
    assert [f[1] for f in found] == [variants.SURNAME, variants.TITLE, variants.SURNAME]
    assert found[1][2] == "Commodore"


def test_state_izadhy_full_name_finds_the_surname_four_times_and_the_full_name_again():
    text = _text("08STATE116943")
    found = _found(text, "Yoosuf Izadhy")
    assert [f[0] for f in found].count("Izadhy") == 4
    assert ("Yoosuf Izadhy", variants.SAME, "") in found
    assert len(found) == 5


def test_state_hameedh_across_a_line_break_finds_the_aka_form_and_the_surname():
    text = _text("08STATE116943")
    found = _found(text, "Hasnain\nAbdullah Hameedh")
    printed = {(f[0], f[1]) for f in found}
    assert ("Hameed", variants.AKA) in printed
    assert ("Hameedh", variants.SURNAME) in printed
    assert ("Hasnain Abdullah Hameedh", variants.LINE_BREAK) in printed
    # "Hameed" is not found inside "Hameedh": word edges hold.
    assert all(not (f[0] == "Hameed" and f[1] != variants.AKA) for f in found)


def test_case_and_hyphenation_at_a_line_end_are_found():
    text = "1. (C) Mr. Illangakoon met us. Then ILLANGAKOON left.\nLater Illan-\n  gakoon called."
    found = _found(text, "Illangakoon")
    assert [f[1] for f in found] == [variants.CASE, variants.HYPHENATION]
    # The gate reads it the same way: a hyphenated name prints the withheld name.
    start = text.index("Illangakoon")
    assert len(visible_occurrences(text, [(start, start + 11)])) == 2
    assert len(printed_occurrences(text, "Illangakoon", [])) == 3


def test_a_hyphenated_withheld_name_is_found_joined_elsewhere():
    text = "He met Illan-\ngakoon. Illangakoon left."
    assert len(visible_occurrences(text, [(7, 20)])) == 1


def test_a_real_hyphen_is_not_dropped_from_a_word_written_with_it():
    text = "a well-\nknown man and a well-known woman"
    start = text.index("well-known")
    assert [text[o.start : o.end] for o in printed_occurrences(text, "well-known", [])] == [
        "well-\nknown", "well-known"
    ]
    assert len(visible_occurrences(text, [(start, start + 10)])) == 1


def test_no_variants_for_text_that_is_not_a_name():
    text = "The radar is 24 km off. The radar system failed; the RADAR was fixed."
    found = _found(text, "radar system")
    assert found == []
    assert variants.name_words("24 km") is None
    assert variants.name_words("UN") is None
    assert variants.name_words("Minister Smith") == ["Smith"]


def test_short_surnames_are_not_looked_for_alone():
    text = "Easa Ali met them. Ali left. Easa Ali returned."
    assert [f[0] for f in _found(text, "Easa Ali")] == ["Easa Ali"]
