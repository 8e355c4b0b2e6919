"""Full-text search and the cable list: clearance, query syntax, snippets, filters."""

from __future__ import annotations

from datetime import date

import pytest

from redactor.cables import search as search_module
from redactor.cables.search import parse_query, search_cables, snippet, visible_origins
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


def test_origins_menu_lists_exactly_the_origins_of_visible_cables(make_cable, make_user, session):
    # Origins chosen so that some exist only above a clearance, and they interleave in order.
    placed = [
        ("09ORIG1", "UNCLASSIFIED", "Embassy Athens"),
        ("09ORIG2", "SECRET", "Embassy Athens"),
        ("09ORIG3", "SECRET", "Embassy Berlin"),
        ("09ORIG4", "CONFIDENTIAL", "Consulate Chennai"),
        ("09ORIG5", "TOP SECRET", "Embassy Zagreb"),
        ("09ORIG6", "UNCLASSIFIED", "Mission Geneva"),
        ("09ORIG7", "TOP SECRET", "Consulate Amsterdam"),
    ]
    for reference, classification, origin in placed:
        make_cable(reference, classification, origin=origin)
    levels = {"UNCLASSIFIED": 0, "CONFIDENTIAL": 1, "SECRET": 2, "TOP SECRET": 3}
    for level in Level:
        user, _ = make_user(f"reader{int(level)}", clearance=level)
        expected = sorted({o for _, c, o in placed if levels[c] <= level})
        assert visible_origins(session, user) == expected, level
    inactive, _ = make_user("gone", clearance=Level.TOP_SECRET, active=False)
    assert visible_origins(session, inactive) == []


def test_small_pages_of_ranked_results_add_up_to_the_whole_ranking(
    make_cable, make_user, session, monkeypatch
):
    # Rank a handful of candidates at a time, so that the clearance filter leaves too few
    # of them and the candidate set has to widen: the pages must still follow one ranking.
    monkeypatch.setattr(search_module, "_RANK_CANDIDATES_MIN", 1)
    # The best matches (most repeats) are above the reader's clearance.
    for number in range(1, 15):
        make_cable(f"09QUOKKA{number}", "TOP SECRET",
                   body="1. (S) " + " ".join(["quokka"] * 9) + f" sighting {number}.")
    for number in range(15, 22):
        repeats = " ".join(["quokka"] * (number % 3 + 1))
        make_cable(f"09QUOKKA{number}", "CONFIDENTIAL",
                   body=f"1. (C) Sighting {number}: {repeats} near the river, with other words.")
    reader, _ = make_user("conf", clearance=Level.CONFIDENTIAL)
    whole = search_cables(session, reader, "quokka", limit=100)
    assert whole.total == 7 and whole.total_exact
    paged = [
        hit.reference_id
        for offset in range(0, 7, 3)
        for hit in search_cables(session, reader, "quokka", limit=3, offset=offset).hits
    ]
    assert paged == [hit.reference_id for hit in whole.hits]


def test_a_count_past_the_cap_says_so(make_cable, make_user, session, monkeypatch):
    monkeypatch.setattr(search_module, "COUNT_CAP", 3)
    for number in range(1, 6):
        make_cable(f"09WOMBAT{number}", "SECRET", body=f"1. (S) Wombat number {number}.")
    reader, _ = make_user("secret", clearance=Level.SECRET)
    page = search_cables(session, reader, "wombat", limit=2)
    assert (page.total, page.total_exact, page.has_next) == (3, False, True)
    last = search_cables(session, reader, "wombat", limit=2, offset=4)
    assert len(last.hits) == 1 and not last.has_next


def test_snippet_of_a_long_text_is_the_passage_it_would_be_in_a_short_one():
    passage = "the envoy said the zebracrossing project would resume in spring"
    filler = "routine words about nothing in particular " * 2_000
    short_filler = "routine words about nothing in particular " * 3
    short = snippet(short_filler + passage + " and more words follow here", parse_query("zebra*"))
    long = snippet(filler + passage + " and more words follow here", parse_query("zebra*"))
    assert long == short and long[0][0].startswith("… ")
    assert [text for text, is_match in long if is_match] == ["zebracrossing"]
    # A folded word (accents, compatibility forms) deep in a long text is found too.
    folded = snippet(filler + "the ＺＥＢＲＡ crossing and Zébra again", parse_query("zebra"))
    assert [text for text, is_match in folded if is_match] == ["ＺＥＢＲＡ", "Zébra"]


def test_a_one_word_query_gets_its_first_match():
    text = "alpha " + "filler " * 40 + "zebra " + "filler " * 40 + "zebra zebra zebra"
    segments = snippet(text, parse_query("zebra"))
    joined = "".join(value for value, _ in segments)
    assert joined.startswith("… filler") and joined.count("zebra") == 1
