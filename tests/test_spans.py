"""Span validation, snapping to whole characters, merging and the UTF-16 edge."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redactor.redaction.spans import (
    Span,
    SpanError,
    codepoint_to_utf16,
    merge_spans,
    utf16_to_codepoint,
    validate_span,
)

TEXT = "1. (C) The ambassador met XXXXXXXXXXXX on Tuesday.\n"


# --- bad spans (security notes, "Spans") ---------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (5, 3, "empty or reversed"),
        (4, 4, "empty or reversed"),
        (-1, 3, "negative"),
        (0, -1, "negative"),
        (0, len(TEXT) + 1, "past the end"),
        (0, 2**63, "past the end"),
        (2**63, 2**63 + 1, "past the end"),
    ],
)
def test_validate_span_refuses_out_of_range_offsets(start, end, message):
    with pytest.raises(SpanError, match=message):
        validate_span(TEXT, start, end)


@pytest.mark.parametrize(
    ("start", "end"),
    [(0.0, 3), (0, 3.0), ("0", 3), (0, "3"), (True, 3), (0, True), (None, 3), (0, [3])],
)
def test_validate_span_refuses_offsets_that_are_not_integers(start, end):
    with pytest.raises(SpanError, match="integers"):
        validate_span(TEXT, start, end)


def test_validate_span_accepts_a_span_up_to_the_end_of_the_text():
    assert validate_span(TEXT, 0, len(TEXT)) == Span(0, len(TEXT))


def test_validate_span_accepts_a_span_on_a_withheld_run():
    start = TEXT.index("XXXXXXXXXXXX")
    assert validate_span(TEXT, start, start + 12) == Span(start, start + 12)


def test_validate_span_refuses_a_span_across_portions():
    text = "1. (C) First portion.\n\n2. (S) Second portion.\n"
    first = (0, text.index("\n"))
    second = (text.index("2."), len(text) - 1)
    assert validate_span(text, 3, 10, within=first) == Span(3, 10)
    with pytest.raises(SpanError, match="not inside one portion"):
        validate_span(text, 10, second[0] + 4, within=first)
    with pytest.raises(SpanError, match="not inside one portion"):
        validate_span(text, 10, second[0] + 4, within=second)


def test_validate_span_refuses_a_malformed_area():
    with pytest.raises(SpanError, match="invalid area"):
        validate_span(TEXT, 1, 2, within=(5, 3))
    with pytest.raises(SpanError, match="invalid area"):
        validate_span(TEXT, 1, 2, within=(0, len(TEXT) + 1))


def test_span_itself_refuses_empty_reversed_negative_and_non_int():
    for args in [(3, 3), (4, 3), (-1, 2), (1.0, 2), (False, 1)]:
        with pytest.raises(SpanError):
            Span(*args)


def test_span_error_is_a_value_error():
    assert issubclass(SpanError, ValueError)


# --- whole characters ------------------------------------------------------------------------


def test_a_span_after_an_emoji_is_counted_in_code_points_not_utf16_units():
    text = "Met 👍 GENERAL X at noon."
    start16 = text.index("GENERAL") + 1  # the browser counts the emoji as two units
    start = utf16_to_codepoint(text, start16)
    end = utf16_to_codepoint(text, start16 + len("GENERAL X"))
    span = validate_span(text, start, end)
    assert text[span.start : span.end] == "GENERAL X"


def test_a_span_that_splits_a_combining_sequence_is_widened_to_the_whole_character():
    text = "Minister Jose\u0301 Perez"  # e + COMBINING ACUTE ACCENT
    accent = text.index("\u0301")
    # Ending between the e and its accent would leave the accent visible.
    span = validate_span(text, text.index("Jose"), accent)
    assert text[span.start : span.end] == "Jose\u0301"
    # Starting on the accent takes its base letter too.
    span = validate_span(text, accent, accent + 1)
    assert text[span.start : span.end] == "e\u0301"


def test_several_stacked_combining_marks_and_enclosing_marks_stay_with_their_base():
    text = "a" + "x\u0323\u0302" + "b" + "1\u20dd" + "c"
    assert validate_span(text, 1, 2) == Span(1, 4)
    assert validate_span(text, 5, 6) == Span(5, 7)


def test_a_span_never_splits_an_emoji_zwj_sequence_or_skin_tone_or_flag():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    thumbs = "\U0001f44d\U0001f3fd"
    flags = "\U0001f1eb\U0001f1f7\U0001f1e9\U0001f1ea"  # FR DE
    text = f"a{family}b{thumbs}c{flags}d"
    f0 = text.index(family)
    assert validate_span(text, f0, f0 + 1) == Span(f0, f0 + len(family))
    assert validate_span(text, f0 + 2, f0 + 3) == Span(f0, f0 + len(family))
    t0 = text.index(thumbs)
    assert validate_span(text, t0, t0 + 1) == Span(t0, t0 + 2)
    g0 = text.index(flags)
    assert validate_span(text, g0 + 1, g0 + 2) == Span(g0, g0 + 2)  # all of FR
    assert validate_span(text, g0 + 2, g0 + 3) == Span(g0 + 2, g0 + 4)  # all of DE


def test_snapping_stays_inside_the_portion():
    text = "ab\u0301cd"
    # An area that itself ends between b and its accent keeps that boundary.
    assert validate_span(text, 0, 2, within=(0, 2)) == Span(0, 2)


def test_a_span_on_whole_characters_is_returned_unchanged():
    text = "Caf\u00e9 \U0001f600 na\u00efve"
    for start in range(len(text)):
        for end in range(start + 1, len(text) + 1):
            assert validate_span(text, start, end) == Span(start, end)


# --- UTF-16 edge -----------------------------------------------------------------------------


def test_utf16_offset_inside_a_surrogate_pair_is_an_error():
    text = "a\U0001f600b"
    assert utf16_to_codepoint(text, 1) == 1
    with pytest.raises(SpanError, match="surrogate pair"):
        utf16_to_codepoint(text, 2)
    assert utf16_to_codepoint(text, 3) == 2


@pytest.mark.parametrize("bad", [-1, 5, 2**63, 1.0, "1", True, None])
def test_utf16_conversion_refuses_bad_offsets(bad):
    text = "a\U0001f600b"  # four UTF-16 units, three code points
    with pytest.raises(SpanError):
        utf16_to_codepoint(text, bad)
    with pytest.raises(SpanError):
        codepoint_to_utf16(text, bad if bad != 5 else 4)


def test_utf16_conversion_on_plain_bmp_text_is_the_identity():
    text = "Ünïcödé — BMP only"
    assert [utf16_to_codepoint(text, i) for i in range(len(text) + 1)] == list(
        range(len(text) + 1)
    )
    with pytest.raises(SpanError, match="past the end"):
        utf16_to_codepoint(text, len(text) + 1)


_TRICKY = st.text(
    alphabet=st.sampled_from(
        list("ab \n")
        + ["\u0301", "\u20dd", "\u200d", "\u00e9", "\U0001f600", "\U0001f3fd", "\U0001f1eb"]
        + ["\U00010348", "\U0001f468", "\ufe0f", "\u202e", "\u2028"]
    ),
    max_size=40,
)


@given(_TRICKY)
def test_every_code_point_offset_round_trips_through_utf16(text):
    for offset in range(len(text) + 1):
        assert utf16_to_codepoint(text, codepoint_to_utf16(text, offset)) == offset


@given(_TRICKY)
def test_utf16_offsets_agree_with_the_utf16_encoding(text):
    units = len(text.encode("utf-16-le")) // 2
    assert codepoint_to_utf16(text, len(text)) == units
    for offset in range(len(text) + 1):
        prefix = text[:offset]
        assert codepoint_to_utf16(text, offset) == len(prefix.encode("utf-16-le")) // 2


@given(_TRICKY, st.integers(0, 40), st.integers(1, 40))
def test_snapped_spans_cover_the_request_and_are_stable(text, start, length):
    end = start + length
    if end > len(text):
        return
    span = validate_span(text, start, end)
    assert span.start <= start and end <= span.end  # never narrower
    assert validate_span(text, span.start, span.end) == span  # already whole


# --- merging ---------------------------------------------------------------------------------

_SPANS = st.lists(
    st.tuples(st.integers(0, 200), st.integers(1, 30)).map(lambda t: Span(t[0], t[0] + t[1])),
    max_size=40,
)


def _points(spans):
    return {i for span in spans for i in range(span.start, span.end)}


@given(_SPANS)
def test_merge_covers_exactly_the_union(spans):
    assert _points(merge_spans(spans)) == _points(spans)


@given(_SPANS)
def test_merge_is_idempotent(spans):
    merged = merge_spans(spans)
    assert merge_spans(merged) == merged


@given(_SPANS, st.randoms(use_true_random=False))
def test_merge_is_independent_of_order(spans, rng):
    shuffled = list(spans)
    rng.shuffle(shuffled)
    assert merge_spans(shuffled) == merge_spans(spans)


@given(_SPANS)
def test_merged_spans_are_sorted_disjoint_and_never_touch(spans):
    merged = merge_spans(spans)
    for left, right in zip(merged, merged[1:], strict=False):
        assert left.end < right.start  # a gap of at least one character


def test_merge_joins_duplicates_overlapping_and_nested_spans():
    assert merge_spans([Span(2, 5), Span(2, 5)]) == (Span(2, 5),)
    assert merge_spans([Span(2, 5), Span(4, 9)]) == (Span(2, 9),)
    assert merge_spans([Span(2, 20), Span(4, 9)]) == (Span(2, 20),)


def test_merge_joins_adjacent_spans_without_a_sliver():
    assert merge_spans([Span(5, 8), Span(0, 5)]) == (Span(0, 8),)


def test_merge_keeps_spans_separated_by_whitespace_apart():
    text = "ALPHA BRAVO"
    spans = [Span(0, 5), Span(6, 11)]
    assert text[5] == " "
    assert merge_spans(spans) == (Span(0, 5), Span(6, 11))


def test_merge_accepts_plain_pairs_and_refuses_bad_ones():
    assert merge_spans([(3, 4), (1, 2)]) == (Span(1, 2), Span(3, 4))
    with pytest.raises(SpanError):
        merge_spans([(3, 3)])


def test_merge_of_nothing_is_nothing():
    assert merge_spans([]) == ()


def test_ten_thousand_spans_on_one_paragraph_validate_and_merge_fast():
    paragraph = "1. (S) " + "word " * 20_000
    spans = [(7 + 5 * i, 7 + 5 * i + 4 + (i % 3 == 0)) for i in range(10_000)]
    began = time.perf_counter()
    checked = [validate_span(paragraph, s, e, within=(0, len(paragraph))) for s, e in spans]
    merged = merge_spans(reversed(checked))
    elapsed = time.perf_counter() - began
    # Every third span reaches the next one's start, so pairs and triples merge.
    assert len(merged) < 10_000
    assert _points(merged) == _points(checked)
    assert elapsed < 1.0


@settings(max_examples=25)
@given(st.integers(min_value=2**31, max_value=2**70))
def test_huge_offsets_are_refused_not_truncated(big):
    with pytest.raises(SpanError, match="past the end"):
        validate_span(TEXT, 0, big)
