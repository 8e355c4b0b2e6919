"""The exemption-code catalogue: spelling, order, companions, refusals."""

from __future__ import annotations

import pytest

from redactor.redaction.exemptions import (
    B3_STATUTES,
    CATALOGUE,
    CodeError,
    label,
    meaning,
    parse_codes,
)


def test_catalogue_holds_every_code_of_the_conventions():
    expected = (
        ["B1", "B2", *(f"B3 {tag}" for tag in B3_STATUTES), "B4", "B5", "B6"]
        + [f"B7({letter})" for letter in "ABCDEF"]
        + ["B8", "B9"]
        + [f"1.4({letter})" for letter in "ABCDEFGH"]
        + [f"25X{digit}" for digit in range(1, 10)]
        + ["50X1-HUM", "50X2-WMD"]
    )
    assert list(CATALOGUE) == expected
    assert all(CATALOGUE[code].strip() for code in expected)


def test_b3_statute_tags_include_the_usual_ones():
    assert {"FS ACT", "INA", "ARMSEXP", "CIA PERS/ORG"} <= set(B3_STATUTES)


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        (["b6"], ("B6",)),
        (["b1", "1.4 (d)"], ("B1", "1.4(D)")),
        (["B1 1.4(D)"], ("B1", "1.4(D)")),
        (["B1,1.4(B);1.4(d)"], ("B1", "1.4(B)", "1.4(D)")),
        (["  b 1  1.4( d ) "], ("B1", "1.4(D)")),
        (["b3 fs   act"], ("B3 FS ACT",)),
        (["B3 CIA PERS/ORG", "b3 ina"], ("B3 INA", "B3 CIA PERS/ORG")),
        (["b7 (c)"], ("B7(C)",)),
        (["50x1 hum", "50X2-wmd", "25x1"], ("25X1", "50X1-HUM", "50X2-WMD")),
    ],
)
def test_parse_codes_normalises_spelling(written, canonical):
    assert parse_codes(written) == canonical


def test_parse_codes_orders_b_codes_then_section_1_4_then_automatic_exemptions():
    codes = parse_codes(["25X6", "1.4(D)", "B6", "50X1-HUM", "B1", "1.4(B)", "B3 INA"])
    assert codes == ("B1", "B3 INA", "B6", "1.4(B)", "1.4(D)", "25X6", "50X1-HUM")


def test_parse_codes_removes_duplicates_in_any_spelling():
    assert parse_codes(["B6", "b6", " B 6 ", "B1 1.4(d)", "1.4 (D)"]) == ("B1", "B6", "1.4(D)")


def test_parse_codes_reads_a_single_string_as_one_item_not_as_characters():
    assert parse_codes("B1 1.4(D), B6") == ("B1", "B6", "1.4(D)")


@pytest.mark.parametrize(
    "written",
    ["B10", "B0", "1.4(I)", "1.3(A)", "25X0", "25X10", "50X1-WMD", "X", "B6x", "FOIA", "B7(G)"],
)
def test_parse_codes_refuses_unknown_codes_and_names_them(written):
    with pytest.raises(CodeError, match="unknown exemption code"):
        parse_codes([written])


def test_b1_without_a_section_1_4_category_is_refused():
    with pytest.raises(CodeError, match="B1 requires .* 1.4 category"):
        parse_codes(["B1", "B6"])


def test_b3_without_a_statute_is_refused():
    with pytest.raises(CodeError, match="B3 must name its statute"):
        parse_codes(["B3"])


def test_b3_with_an_unknown_statute_is_refused():
    with pytest.raises(CodeError):
        parse_codes(["B3 NOSUCHACT"])


def test_plain_b7_without_subsection_is_refused():
    with pytest.raises(CodeError, match="B7"):
        parse_codes(["B7"])


def test_section_1_5_of_the_older_order_is_refused_with_a_hint_to_write_1_4():
    with pytest.raises(CodeError, match="write 1.4"):
        parse_codes(["B1", "1.5(D)"])


def test_no_code_at_all_is_refused():
    with pytest.raises(CodeError, match="at least one"):
        parse_codes([])
    with pytest.raises(CodeError, match="at least one"):
        parse_codes(["  ", ","])


def test_a_non_string_item_is_refused():
    with pytest.raises(CodeError, match="must be text"):
        parse_codes(["B6", 6])  # type: ignore[list-item]


def test_code_error_is_a_value_error():
    assert issubclass(CodeError, ValueError)


def test_label_joins_canonical_codes_with_spaces():
    assert label(["1.4(d)", "b1"]) == "B1 1.4(D)"
    assert label(["B6"]) == "B6"
    assert label("b3 fs act") == "B3 FS ACT"


def test_meaning_of_a_code_in_any_spelling():
    assert "foreign government" in meaning("1.4 (b)")
    assert "privacy" in meaning("b6")
    with pytest.raises(CodeError):
        meaning("B1 B6")
