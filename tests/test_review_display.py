"""The pure view model of the review pages: segments, badges, highlights, preview pieces."""

from __future__ import annotations

import jinja2
import pytest

from redactor.redaction.spans import Span
from redactor.release.render import released_text
from redactor.review.display import (
    APPROVED,
    PENDING,
    Mark,
    build_preview,
    dropped_lines,
    escape,
    has_invisible,
    preview_portion,
    segment_text,
    segments_html,
)


def reconstruct(text: str, segments) -> str:
    """The stored text the segments stand for (badges count as their one character)."""
    out = []
    for seg in segments:
        if seg.invisible:
            assert seg.length == 1
            out.append(text[seg.start])
        else:
            assert text[seg.start : seg.end] == seg.text
            out.append(seg.text)
    return "".join(out)


def test_segments_reconstruct_the_text_exactly_after_emoji_and_combining_marks():
    text = "Ana 👍🏽 met Jose\u0301 and 🇺🇸 Perez\u200b in Kyiv.\nNext line\u202e."
    segments = segment_text(text, 0, len(text))
    assert reconstruct(text, segments) == text
    # Offsets are code points: every segment starts where the previous one ended.
    assert all(a.end == b.start for a, b in zip(segments, segments[1:], strict=False))


@pytest.mark.parametrize(
    ("char", "label"),
    [
        ("\u202e", "[U+202E]"),
        ("\u200b", "[U+200B]"),
        ("\u2028", "[U+2028]"),
        ("\u2029", "[U+2029]"),
        ("\ufeff", "[U+FEFF]"),
        ("\u2066", "[U+2066]"),
        ("\U000e0041", "[U+E0041]"),
        ("\x07", "[U+0007]"),
        ("\x00", "[U+0000]"),
    ],
)
def test_invisible_characters_become_one_code_point_badges(char, label):
    text = f"ab{char}cd"
    segments = segment_text(text, 0, len(text))
    badges = [s for s in segments if s.invisible]
    assert [(b.start, b.length, b.text) for b in badges] == [(2, 1, label)]
    assert badges[0].title  # a readable name for the tooltip
    assert "seg-invisible" in badges[0].css
    assert has_invisible(text)


def test_tabs_and_newlines_stay_text():
    text = "a\tb\nc"
    assert [s.text for s in segment_text(text, 0, len(text))] == [text]
    assert not has_invisible(text)


def test_overlapping_proposals_split_into_elementary_segments():
    text = "0123456789"
    marks = [Mark(2, 6, 1, PENDING), Mark(4, 8, 2, APPROVED)]
    segments = segment_text(text, 0, 10, marks=marks)
    summary = [(s.text, s.pending, s.approved, s.redaction_ids) for s in segments]
    assert summary == [
        ("01", False, False, ()),
        ("23", True, False, (1,)),
        ("45", True, True, (1, 2)),
        ("67", False, True, (2,)),
        ("89", False, False, ()),
    ]


def test_marks_are_clipped_to_the_range():
    text = "abcdefgh"
    segments = segment_text(text, 2, 6, marks=[Mark(0, 4, 7, PENDING)])
    assert [(s.start, s.text, s.pending) for s in segments] == [(2, "cd", True), (4, "ef", False)]


def test_withheld_runs_are_marked():
    text = "met XXXXXXXXXXXX today"
    segments = segment_text(text, 0, len(text), withheld=[(4, 16)])
    assert [(s.text, s.withheld) for s in segments] == [
        ("met ", False),
        ("XXXXXXXXXXXX", True),
        (" today", False),
    ]
    assert "seg-withheld" in segments[1].css


def test_page_break_lines_are_dropped_without_shifting_offsets():
    text = "In\n\nBRASILIA 00001300  002 OF 003\n\nearly November"
    start = text.index("BRASILIA")
    drops = dropped_lines(text, [(start, start + len("BRASILIA 00001300  002 OF 003"))])
    assert drops == [(start, text.index("\nearly"))]
    segments = segment_text(text, 0, len(text), drops=drops)
    assert "BRASILIA" not in "".join(s.text for s in segments)
    for seg in segments:
        assert text[seg.start : seg.end] == seg.text


def test_a_page_break_sharing_its_line_with_text_is_kept():
    text = "words BRASILIA 00001300 002 OF 003\nmore"
    start = text.index("BRASILIA")
    assert dropped_lines(text, [(start, text.index("\n"))]) == []


def test_preview_never_contains_approved_text_and_matches_the_release_renderer():
    text = "1. (C) Minister Perez met Ambassador Gomez today.\n2. (U) Nothing else."
    perez = (text.index("Perez"), text.index("Perez") + 5)
    gomez = (text.index("Gomez"), text.index("Gomez") + 5)
    approved = [(Span(*perez), ("B6",))]
    preview = build_preview(text, approved)
    pieces = preview_portion(text, 0, len(text), preview, pending=[gomez])
    shown = "".join(p.text for p in pieces)
    assert "Perez" not in shown
    assert shown == released_text(text, [(*perez, ("B6",))])
    assert [p.text for p in pieces if p.pending] == ["Gomez"]
    assert [p.text for p in pieces if p.excision] == ["[B6        ]"]
    assert preview.stamp == "RELEASE IN PART B6"


def test_preview_placeholders_have_one_width_for_the_whole_document():
    text = "aaa bbb ccc"
    approved = [(Span(0, 3), ("B6",)), (Span(8, 11), ("B1", "1.4(B)", "1.4(D)"))]
    preview = build_preview(text, approved)
    first = preview_portion(text, 0, 4, preview)
    last = preview_portion(text, 8, 11, preview)
    widths = {len(p.text) for p in first + last if p.excision}
    assert widths == {preview.width} and preview.width == len("[B1 1.4(B) 1.4(D)]")


def test_preview_of_an_excision_crossing_the_range_shows_it_once():
    text = "abcdefghij"
    preview = build_preview(text, [(Span(2, 8), ("B6",))])
    pieces = preview_portion(text, 4, 10, preview)
    assert [p.excision for p in pieces] == [True, False]
    assert "".join(p.text for p in pieces).endswith("ij")
    assert "efgh" not in "".join(p.text for p in pieces)


def test_preview_shows_invisible_characters_as_badges():
    text = "a\u202eb"
    pieces = preview_portion(text, 0, 3, build_preview(text, []))
    assert [p.text for p in pieces] == ["a", "[U+202E]", "b"]
    assert "\u202e" not in "".join(p.text for p in pieces)


# --------------------------------------------------------------------------- segment markup

# The template macro that wrote the segments before segments_html did (Jinja autoescaping):
# segments_html must write exactly the same markup.
SEGMENTS_MACRO = (
    "{%- for s in items -%}"
    '<span class="{{ s.css }}"{% if offsets %} data-start="{{ s.start }}"{% endif %}'
    '{% if s.invisible %} data-cp="1" title="{{ s.title }}"{% endif %}'
    "{% if s.redaction_ids %} data-redactions=\"{{ s.redaction_ids|join(' ') }}\"{% endif %}>"
    "{{ s.text }}</span>"
    "{%- endfor -%}"
)
HOSTILE = "<script>alert(1)</script> \"><img src=x onerror=alert('2')> &amp; </span>{{7*7}}"


@pytest.mark.parametrize("offsets", [True, False])
def test_segments_html_writes_what_the_autoescaping_template_wrote(offsets):
    text = f"1. (C) {HOSTILE}\u202e XXXXXXXXXXXX \x07 end"
    marks = [Mark(7, 20, 4, PENDING), Mark(15, 40, 9, APPROVED)]
    run = text.index("XXXX")
    segments = segment_text(text, 0, len(text), marks=marks, withheld=[(run, run + 12)])
    template = jinja2.Environment(autoescape=True).from_string(SEGMENTS_MACRO)
    assert segments_html(segments, offsets=offsets) == template.render(
        items=segments, offsets=offsets
    )


def test_segments_html_escapes_text_and_titles():
    html = segments_html(segment_text(HOSTILE, 0, len(HOSTILE)))
    assert "<script>" not in html and "<img" not in html and "</span>{{" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(&#39;2&#39;)&gt; &amp;amp; &lt;/span&gt;" in html
    assert html.count("<span") == html.count("</span>") == 1
    assert escape("&<>\"'") == "&amp;&lt;&gt;&#34;&#39;"


def test_segment_markup_goes_into_a_template_as_is_but_nothing_joined_to_it_does():
    html = segments_html(segment_text("a<b", 0, 3))
    render = jinja2.Environment(autoescape=True).from_string("{{ value }}").render
    assert render(value=html) == '<span class="seg" data-start="0">a&lt;b</span>'
    # Joined with plain text, it is plain text again: escaped, never trusted.
    joined = html + "<i>"
    assert not hasattr(joined, "__html__")
    assert render(value=joined).startswith("&lt;span")
