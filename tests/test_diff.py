"""Portion-by-portion differences: word-level hunks, character refinement, pairing."""

from __future__ import annotations

from redactor.release.diff import (
    MAX_TOKENS,
    diff_released,
    diff_text,
    diff_versions,
    tokens,
)
from redactor.release.render import released_text


def joined(hunks, side: str) -> str:
    return "".join(getattr(h, side) for h in hunks)


def test_tokens_join_back_into_the_text():
    text = "1. (C) The envoy met\tMr. Smith -- twice.\n"
    assert "".join(tokens(text)) == text


def test_hunks_rebuild_both_texts_exactly():
    old = "The minister will recieve the envoy on Tuesday."
    new = "The minister will receive the new envoy on Tuesday!"
    hunks = diff_text(old, new)
    assert joined(hunks, "old") == old and joined(hunks, "new") == new
    assert [h.op for h in hunks if h.op != "equal"] == ["replace", "insert", "replace"]


def test_similar_replaced_words_are_refined_to_characters():
    (hunk,) = [h for h in diff_text("they recieve it", "they receive it") if h.op != "equal"]
    assert hunk.op == "replace" and hunk.chars
    assert "".join(c.old for c in hunk.chars) == "recieve"
    assert "".join(c.new for c in hunk.chars) == "receive"
    assert {c.op for c in hunk.chars} - {"equal"}


def test_dissimilar_replaced_words_stay_whole():
    (hunk,) = [h for h in diff_text("met Smith today", "met Kowalczyk today") if h.op != "equal"]
    assert hunk.op == "replace" and hunk.chars == ()


def test_equal_texts_give_one_equal_hunk_and_empty_texts_none():
    assert [h.op for h in diff_text("same text", "same text")] == ["equal"]
    assert diff_text("", "") == ()


def test_a_huge_portion_is_one_replacement_rather_than_a_slow_diff():
    old = "word " * (MAX_TOKENS + 10)
    hunks = diff_text(old, old + "more")
    assert [h.op for h in hunks] == ["replace"]


def test_versions_pair_portions_and_report_added_removed_and_changed():
    old = "1. (C) Alpha beta gamma.\n2. (C) Delta epsilon.\n3. (U) Zeta eta theta."
    new = "1. (C) Alpha beta gamma!\n3. (U) Zeta eta theta.\n4. (U) A brand new portion."
    old_portions = [("1", 0, 24), ("2", 25, 46), ("3", 47, len(old))]
    new_portions = [("1", 0, 24), ("3", 25, 47), ("4", 48, len(new))]
    result = diff_versions(old, old_portions, new, new_portions)
    assert [(d.op, d.old_key, d.new_key) for d in result] == [
        ("changed", "1", "1"),
        ("removed", "2", None),
        ("equal", "3", "3"),
        ("added", None, "4"),
    ]
    assert 0.9 < result[0].similarity < 1.0 and result[2].similarity == 1.0
    assert result[0].as_dict()["hunks"][0]["op"] == "equal"


def test_original_against_released_shows_each_excision_as_its_placeholder():
    text = "1. (C) The minister met Jan Kowalski on Tuesday.\n2. (U) Nothing more."
    start = text.index("Jan Kowalski")
    portions = [("1", 0, 48), ("2", 49, len(text))]
    first, second = diff_released(text, [(start, start + 12, "B6")], portions)
    assert first.op == "changed" and second.op == "equal"
    (change,) = [h for h in first.hunks if h.op != "equal"]
    assert change.old == "Jan Kowalski" and change.new == "[B6        ]"


def test_an_excision_of_several_words_is_one_replacement():
    # Before: a word-level diff paired "An" with "[B1", "Indian" with "1.4(D)", and so on.
    text = "1. (S) An Indian official told us the plan. Nothing else."
    start = text.index("An Indian official")
    end = start + len("An Indian official")
    (diff,) = diff_released(text, [(start, end, "B1 1.4(D)")], [("1", 0, len(text))])
    changes = [h for h in diff.hunks if h.op != "equal"]
    assert len(changes) == 1
    assert changes[0].old == "An Indian official" and changes[0].new.startswith("[B1 1.4(D)")
    assert joined(diff.hunks, "old") == text
    assert joined(diff.hunks, "new") == released_text(text, [(start, end, "B1 1.4(D)")])


def test_overlapping_and_adjacent_spans_are_one_excision_and_a_portion_edge_cuts_it():
    text = "1. (C) alpha beta gamma.\n2. (C) delta."
    a = text.index("alpha")
    b = text.index("gamma")
    spans = [(a, a + 10, "B6"), (a + 5, b, "B6"), (b, text.index("delta") + 5, "B6")]
    first, second = diff_released(text, spans, [("1", 0, 24), ("2", 25, len(text))])
    assert [h.op for h in first.hunks] == ["equal", "replace", ]
    assert [h.op for h in second.hunks] == ["replace", "equal"]
