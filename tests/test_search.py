"""Full-text search and the cable list: clearance, query syntax, snippets, filters."""

from __future__ import annotations

from datetime import date

import pytest

from redactor.cables.search import parse_query, search_cables, snippet
from redactor.models import CableStatus
from redactor.review.policy import Level


@pytest.fixture
def zebra_cables(make_cable):
    """One cable per level, each mentioning "zebracrossing"."""
    marks = {
        "UNCLASSIFIED": "U",
        "CONFIDENTIAL//NOFORN": "C//NF",
        "SECRET": "S",
        "TOP SECRET": "TS",
    }
    for number, (classification, mark) in enumerate(marks.items(), start=1):
        make_cable(
            f"09ZEBRA{number}",
            classification,
            body=f"1. ({mark}) The zebracrossing in sector {number} was repainted.",
            subject=f"ZEBRA REPORT {number}",
        )


def refs(page) -> list[str]:
    return sorted(hit.reference_id for hit in page.hits)


def test_search_never_returns_a_cable_above_the_actors_clearance(
    zebra_cables, make_user, session
):
    confidential, _ = make_user("conf", clearance=Level.CONFIDENTIAL)
    top, _ = make_user("top", clearance=Level.TOP_SECRET)

    hits = search_cables(session, confidential, "zebracrossing")
    listed = search_cables(session, confidential, "")
    by_subject = search_cables(session, confidential, "zebra report 3")

    assert refs(hits) == ["09ZEBRA1", "09ZEBRA2"] and hits.total == 2
    assert refs(listed) == ["09ZEBRA1", "09ZEBRA2"] and listed.total == 2
    assert by_subject.total == 0 and by_subject.hits == ()
    assert search_cables(session, top, "zebracrossing").total == 4


def test_an_inactive_user_finds_nothing(zebra_cables, make_user, session):
    user, _ = make_user("gone", clearance=Level.TOP_SECRET, active=False)

    assert search_cables(session, user, "zebracrossing").total == 0
    assert search_cables(session, user, "").total == 0


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        "*",
        "**",
        "NEAR(",
        "NEAR(zebracrossing sector, 2)",
        "AND OR",
        "zebracrossing AND",
        "OR zebracrossing",
        "NOT",
        '"unbalanced phrase',
        "text:zebracrossing",
        "^zebracrossing",
        "-zebracrossing",
        "(",
        ")",
        "{text}:x",
        "'",
        "\\",
        "%_%",
        "zebra*crossing",
        "a:*",
        "x <-> y",
        "!!",
        "&|",
        "😀",
        "\x00",
        "ß" * 3000,
        " ".join(["w"] * 500),
    ],
)
def test_query_syntax_of_either_engine_never_raises(zebra_cables, make_user, session, query):
    user, _ = make_user("searcher")

    page = search_cables(session, user, query)

    assert page.total >= 0
    assert len(page.hits) <= page.total


def test_engine_operators_are_plain_words(zebra_cables, make_user, session):
    user, _ = make_user("searcher")

    assert search_cables(session, user, "NEAR(zebracrossing").total == 0  # "near" is absent
    assert search_cables(session, user, "text:zebracrossing").total == 0  # so is "text"
    assert search_cables(session, user, '"zebracrossing').total == 4
    assert search_cables(session, user, "*").total == 0  # no letters or digits: nothing


def test_a_blank_query_lists_every_visible_cable_newest_first(zebra_cables, make_user, session):
    user, _ = make_user("searcher")

    page = search_cables(session, user, "   ")

    assert page.total == 4
    assert all(hit.snippet == () for hit in page.hits)


def test_phrases_prefixes_and_all_terms(zebra_cables, make_user, session):
    user, _ = make_user("searcher")

    assert search_cables(session, user, '"sector 3 was"').total == 1
    assert search_cables(session, user, '"was sector"').total == 0
    assert search_cables(session, user, "zebracross*").total == 4
    assert search_cables(session, user, "zebracross").total == 0
    assert search_cables(session, user, "repainted sector 2").total == 1
    assert search_cables(session, user, "ZEBRACROSSING").total == 4


def test_accents_and_case_are_ignored(make_cable, make_user, session):
    make_cable("09BOGOTA1", "UNCLASSIFIED", body="1. (U) Meeting in Bogotá with the Mayor.")
    user, _ = make_user("searcher")

    assert search_cables(session, user, "bogota").total == 1
    assert search_cables(session, user, "BOGOTÁ").total == 1


def test_only_the_current_version_is_searched(make_cable, make_user, session):
    make_cable("09VER1", body="1. (C) The oldwording paragraph.")
    make_cable("09VER1", body="1. (C) The newwording paragraph.")
    user, _ = make_user("searcher")

    assert search_cables(session, user, "oldwording").total == 0
    page = search_cables(session, user, "newwording")
    assert [(h.reference_id, h.current_version) for h in page.hits] == [("09VER1", 2)]


def test_snippets_are_plain_segments_with_the_matched_words_marked(
    make_cable, make_user, session
):
    make_cable(
        "09XSS1",
        body='1. (C) <script>alert(1)</script> the "><img src=x> zebracrossing was {{7*7}}.',
    )
    user, _ = make_user("searcher")

    (hit,) = search_cables(session, user, "zebracrossing").hits

    assert ("zebracrossing", True) in hit.snippet
    joined = "".join(text for text, _ in hit.snippet)
    assert "<script>alert(1)</script>" in joined  # raw text: the template escapes it
    assert [text for text, is_match in hit.snippet if is_match] == ["zebracrossing"]


def test_snippet_picks_the_passage_with_most_matched_words():
    text = " ".join(["filler"] * 100 + ["alpha", "x", "beta"] + ["filler"] * 100 + ["alpha"])

    segments = snippet(text, parse_query("alpha beta"))

    matched = [t for t, is_match in segments if is_match]
    assert matched == ["alpha", "beta"]
    assert segments[0] == ("… ", False) or segments[0][0].startswith("… ")
    assert segments[-1][0].endswith(" …")


def test_filters_sorting_and_pagination(make_cable, make_user, session):
    make_cable("09AAA1", "SECRET//NOFORN", origin="Embassy Paris")
    make_cable("09BBB2", "SECRET", origin="Embassy Rome")
    make_cable("09CCC3", "CONFIDENTIAL", origin="Embassy Paris")
    user, _ = make_user("searcher")

    assert refs(search_cables(session, user, classification="secret")) == ["09BBB2"]
    assert refs(search_cables(session, user, level=Level.SECRET)) == ["09AAA1", "09BBB2"]
    assert refs(search_cables(session, user, origin="Embassy Paris")) == ["09AAA1", "09CCC3"]
    assert search_cables(session, user, tags="pgov").total == 3
    assert search_cables(session, user, tags="PG%").total == 0  # % is a character, not a wildcard
    assert search_cables(session, user, status=CableStatus.NEW).total == 3
    assert search_cables(session, user, status="released").total == 0
    # make_cable's cables are dated 2009-05-21.
    assert search_cables(session, user, created_from=date(2009, 5, 21)).total == 3
    assert search_cables(session, user, created_to=date(2009, 5, 21)).total == 3
    assert search_cables(session, user, created_to=date(2009, 5, 20)).total == 0

    first = search_cables(session, user, sort="reference", limit=2)
    second = search_cables(session, user, sort="reference", limit=2, offset=2)
    assert [h.reference_id for h in first.hits] == ["09AAA1", "09BBB2"]
    assert [h.reference_id for h in second.hits] == ["09CCC3"]
    assert (first.total, first.has_next, first.has_previous) == (3, True, False)
    assert (second.has_next, second.has_previous) == (False, True)
    by_level = search_cables(session, user, sort="-level")
    assert [h.level for h in by_level.hits] == [2, 2, 1]


def test_unknown_status_is_a_value_error(make_user, session):
    user, _ = make_user("searcher")

    with pytest.raises(ValueError):
        search_cables(session, user, status="lost")


def test_relevance_ranks_subject_and_repeated_words_on_the_fixture_cables(
    imported_fixture_cables, make_user, session
):
    user, _ = make_user("searcher")

    page = search_cables(session, user, "cluster munitions")

    assert page.hits[0].reference_id == "09STATE52368"
    assert page.hits[0].subject == "U.S.-UK CLUSTER MUNITIONS DIALOGUE"
