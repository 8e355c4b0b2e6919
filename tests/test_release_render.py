"""The releasable document (pure): disposition, codes, placeholders, lines, numbers."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redactor.redaction.exemptions import CodeError
from redactor.redaction.spans import SpanError
from redactor.release.render import (
    MIN_PLACEHOLDER_WIDTH,
    Disposition,
    Excision,
    ReleaseNumberError,
    TextSegment,
    cell_width,
    line_text,
    released_text,
    render_release,
    show_invisible,
    stamp_order,
    wrap_line,
)

NUMBERS = {"case_number": "F-2014-20439", "doc_number": "C05771875"}
DAY = date(2015, 12, 31)
TEXT = (
    "SUBJECT: MEETING WITH THE MINISTER\n"
    "\n"
    "1. (C) The minister met Jan Kowalski on Tuesday.\n"
    "\n"
    "2. (S) Sources say the deal is off. Details follow in a second line\n"
    "that continues here.\n"
)


def span(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def portions(text: str = TEXT) -> list[tuple[int, int]]:
    return [
        span(text, "The minister met Jan Kowalski on Tuesday."),
        span(
            text,
            "Sources say the deal is off. Details follow in a second line\nthat continues here.",
        ),
    ]


def render(redactions, text: str = TEXT, **kwargs):
    if "portion_spans" not in kwargs:
        kwargs["portion_spans"] = portions(text)
    return render_release(text, redactions, **NUMBERS, release_date=DAY, **kwargs)


def test_a_cable_without_redactions_is_released_in_full():
    doc = render([])
    assert doc.disposition is Disposition.FULL
    assert doc.stamp == "RELEASE IN FULL"
    assert doc.codes == () and doc.excisions == ()
    assert doc.body_text == TEXT.rstrip("\n")


def test_release_in_part_lists_every_code_used_in_stamp_order():
    doc = render(
        [
            (*span(TEXT, "Jan Kowalski"), "B6"),
            (*span(TEXT, "the deal is off"), ["b1 1.4(d)"]),
            (*span(TEXT, "MINISTER"), ["B1", "1.4(B)"]),
        ]
    )
    assert doc.disposition is Disposition.PART
    assert doc.stamp == "RELEASE IN PART B1,1.4(B),1.4(D),B6"
    assert doc.codes == ("B1", "1.4(B)", "1.4(D)", "B6")


def test_stamp_order_puts_b1_and_its_categories_before_other_codes():
    assert stamp_order(["25X1", "B6", "1.4(D)", "B1", "B3 INA", "1.4(A)"]) == (
        "B1",
        "1.4(A)",
        "1.4(D)",
        "B3 INA",
        "B6",
        "25X1",
    )


def test_a_document_whose_every_portion_is_withheld_is_denied_in_full():
    first, second = portions()
    doc = render([(*first, "B6"), (*second, "B1 1.4(D)")])
    assert doc.disposition is Disposition.DENIED
    assert doc.stamp == "DENIED IN FULL"
    assert doc.codes == ("B1", "1.4(D)", "B6")


def test_one_visible_word_left_in_a_portion_makes_it_release_in_part():
    first, second = portions()
    doc = render([(first[0], first[1] - 1, "B6"), (*second, "B1 1.4(D)")])
    assert doc.disposition is Disposition.PART


def test_every_placeholder_has_the_same_width_whatever_it_hides():
    short = span(TEXT, "Jan")
    long = span(TEXT, "Sources say the deal is off. Details follow in a second line")
    doc = render([(*short, "B6"), (*long, "B6")])
    widths = {len(e.placeholder) for e in doc.excisions}
    assert widths == {MIN_PLACEHOLDER_WIDTH} == {doc.placeholder_width}


def test_placeholders_take_the_width_of_the_longest_label_of_the_document():
    doc = render(
        [
            (*span(TEXT, "Jan"), "B6"),
            (*span(TEXT, "deal"), "B1 1.4(A) 1.4(B) 1.4(C) 1.4(D) 25X1"),
        ]
    )
    longest = len("[B1 1.4(A) 1.4(B) 1.4(C) 1.4(D) 25X1]")
    assert {len(e.placeholder) for e in doc.excisions} == {longest}
    assert (
        doc.excisions[0].placeholder.startswith("[B6 ") and doc.excisions[0].placeholder[-1] == "]"
    )


def test_hidden_text_does_not_exist_in_the_document():
    doc = render([(*span(TEXT, "Jan Kowalski"), "B6"), (*span(TEXT, "MINISTER"), "B6")])
    everything = doc.visible_text + repr(doc.public_record()) + repr(doc.lines)
    assert "Kowalski" not in everything and "MINISTER" not in everything
    assert "The minister met [B6" in doc.body_text  # the lower-case word was not redacted


def test_original_markings_stay_visible():
    doc = render([(*portions()[1], "B1 1.4(D)")])
    assert "2. (S) [B1 1.4(D)" in doc.body_text
    assert "1. (C) The minister" in doc.body_text


def test_overlapping_and_adjacent_spans_merge_and_unite_their_codes():
    a, b = span(TEXT, "Jan Kowalski")
    doc = render([(a, a + 5, "B6"), (a + 3, b, "B1 1.4(D)"), (b, b + 3, "B6")])
    assert len(doc.excisions) == 1
    assert doc.excisions[0].codes == ("B1", "1.4(D)", "B6")


def test_spans_separated_by_a_space_stay_two_excisions():
    doc = render([(*span(TEXT, "Jan"), "B6"), (*span(TEXT, "Kowalski"), "B6")])
    assert len(doc.excisions) == 2
    assert "[B6        ] [B6        ]" in doc.body_text


def test_a_span_across_line_breaks_becomes_one_inline_placeholder():
    hidden = span(TEXT, "Details follow in a second line\nthat continues")
    doc = render([(*hidden, "B6")])
    assert "the deal is off. [B6        ] here." in doc.body_text
    assert len(doc.lines) == len(TEXT.rstrip("\n").split("\n")) - 1


def test_the_number_of_hidden_lines_is_not_revealed():
    one = TEXT.replace("Details follow in a second line\nthat continues", "XY")
    many = TEXT.replace("Details follow in a second line\nthat continues", "A\nB\nC\nD\nE")
    docs = [
        render([(*span(t, hidden), "B6")], text=t, portion_spans=())
        for t, hidden in (
            (one, "XY"),
            (many, "A\nB\nC\nD\nE"),
            (TEXT, "Details follow in a second line\nthat continues"),
        )
    ]
    assert docs[0] == docs[1] == docs[2]


def test_page_break_lines_are_dropped_when_wholly_visible():
    text = "1. (C) First part of the text.\nBRASILIA 00001300  002 OF 003\nsecond part.\n"
    pb = span(text, "BRASILIA 00001300  002 OF 003")
    doc = render([], text=text, page_break_spans=[pb], portion_spans=())
    assert doc.body_text == "1. (C) First part of the text.\nsecond part."


def test_a_page_break_line_touched_by_a_redaction_is_not_dropped():
    text = "1. (C) First part of the text.\nBRASILIA 00001300  002 OF 003\nsecond part.\n"
    pb = span(text, "BRASILIA 00001300  002 OF 003")
    hidden = span(text, "text.\nBRASILIA")
    doc = render([(*hidden, "B6")], text=text, page_break_spans=[pb], portion_spans=())
    assert (
        doc.body_text == "1. (C) First part of the [B6        ] 00001300  002 OF 003\nsecond part."
    )


def test_the_stamp_lines_follow_state_department_practice():
    doc = render([])
    assert doc.page_line == (
        "UNCLASSIFIED U.S. Department of State Case No. F-2014-20439 Doc No. C05771875 "
        "Date: 12/31/2015"
    )
    assert doc.visible_text.startswith(doc.page_line + "\nRELEASE IN FULL\n")


@pytest.mark.parametrize(
    "numbers",
    [
        {"case_number": "F-14-20439", "doc_number": "C05771875"},
        {"case_number": "F-2014-2043", "doc_number": "C05771875"},
        {"case_number": "F-2014-2043\u0661", "doc_number": "C05771875"},  # Arabic-Indic digit
        {"case_number": "F-2014-20439\n", "doc_number": "C05771875"},
        {"case_number": "F-2014-20439", "doc_number": "C0577187"},
        {"case_number": "F-2014-20439", "doc_number": "D05771875"},
        {"case_number": "F-2014-20439", "doc_number": 5771875},
    ],
)
def test_malformed_case_and_document_numbers_are_refused(numbers):
    with pytest.raises(ReleaseNumberError):
        render_release(TEXT, [], **numbers, release_date=DAY)


@pytest.mark.parametrize("bad", [(5, 5, "B6"), (6, 2, "B6"), (-1, 3, "B6"), (0, 10_000, "B6")])
def test_invalid_spans_are_refused(bad):
    with pytest.raises(SpanError):
        render([bad])


def test_unknown_or_incomplete_codes_are_refused():
    with pytest.raises(CodeError):
        render([(*span(TEXT, "Jan"), "B1")])  # B1 without its 1.4 category


def test_the_public_record_gives_line_numbers_not_offsets():
    doc = render([(*span(TEXT, "Jan Kowalski"), "B6")])
    record = doc.public_record()
    assert record["excisions"] == [{"line": 3, "label": "B6", "codes": ["B6"]}]
    assert record["stamp"] == "RELEASE IN PART B6"


def test_wrapping_never_splits_a_placeholder_and_respects_the_width():
    excision = Excision(("B1", "1.4(D)"), 14)
    line = (TextSegment("word " * 5), excision, TextSegment(" tail " + "x" * 50))
    rows = wrap_line(line, 20)
    assert all(len(line_text(row)) <= 20 for row in rows)
    assert sum(isinstance(s, Excision) for row in rows for s in row) == 1
    assert "".join(line_text(r) for r in rows).replace(" ", "") == line_text(line).replace(" ", "")


def test_wrapping_keeps_indentation_of_the_first_row_and_expands_tabs():
    rows = wrap_line((TextSegment("    indented\tword"),), 40)
    assert line_text(rows[0]) == "    indented    word"  # the tab stops at column 16


def test_an_empty_line_wraps_to_one_empty_row():
    assert wrap_line((), 10) == ((),)


def row_width(row) -> int:
    return sum(
        s.width if isinstance(s, Excision) else sum(cell_width(c) for c in s.text) for s in row
    )


def test_wide_and_combining_characters_take_their_cells_when_wrapping():
    # Two cells per ideograph, none for a combining accent: 4 ideographs fill 8 columns.
    rows = wrap_line((TextSegment("漢字漢字 cafe\u0301 x"),), 8)
    assert [line_text(r) for r in rows] == ["漢字漢字", "cafe\u0301 x"]
    assert all(row_width(r) <= 8 for r in rows)


_SEGMENTS = st.one_of(
    st.builds(
        TextSegment,
        st.lists(
            st.sampled_from(["a", "b", " ", "  ", "\t", "é", "e\u0301", "漢", "\u200b", "xyz"]),
            max_size=12,
        ).map("".join),
    ),
    st.builds(Excision, st.just(("B6",)), st.integers(1, 30)),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_SEGMENTS, max_size=6).map(tuple), st.integers(1, 30))
def test_wrapping_keeps_every_character_and_fits_every_row(line, columns):
    rows = wrap_line(line, columns)
    assert rows, "at least one row"
    for row in rows:
        assert isinstance(row, tuple)
        # Only a placeholder or a single character wider than the row may overflow it.
        if row_width(row) > columns:
            (wide,) = [s for s in row if row_width((s,))]
            assert isinstance(wide, Excision) or row_width((wide,)) <= 2
        # Adjacent texts are one segment; no segment is empty.
        assert all(isinstance(s, Excision) or s.text for s in row)
        kinds = [type(s) for s in row]
        assert all(not (a is b is TextSegment) for a, b in zip(kinds, kinds[1:], strict=False))

    # Breaks drop spaces only (tabs become spaces): the rest of the line is kept, in order.
    def visible(segments):
        return "".join(
            s.placeholder if isinstance(s, Excision) else s.text.replace("\t", " ")
            for s in segments
        ).replace(" ", "")

    assert "".join(visible(row) for row in rows) == visible(line)


def test_invisible_characters_are_spelled_out_for_print():
    assert show_invisible("a\u202eb\u200bc\td") == "a<U+202E>b<U+200B>c\td"


def test_released_text_of_a_range_matches_the_rendered_document():
    hidden = span(TEXT, "Jan Kowalski")
    first = portions()[0]
    doc = render([(*hidden, "B6")])
    assert released_text(TEXT, [(*hidden, "B6")], *first) in doc.body_text
