"""The other occurrences of a proposed span in the same text, and the evident variants of a name.

Pure: standard library only. The search itself is the release gate's
(:func:`redactor.release.occurrences.printed_occurrences`): normalised (NFKC, case folded,
whitespace and line breaks read as one space, a word hyphenated at a line end read joined)
and bounded by word edges, so what this module proposes is exactly what the gate would
later call "still visible".

What is looked for, for the text ``T`` of a span
-----------------------------------------------
* ``T`` itself: exact, in another case, across a line break, across a line-end hyphen.
* When ``T`` reads as a person's name (one to five capitalised words, a leading title such as
  ``Mr.`` or ``Commodore`` left aside, particles such as ``al-`` or ``bin`` allowed): the
  **surname** alone (its last word), reported as ``title and surname`` where a title stands
  right before it (``Minister Izadhy``); the found span is the name only, so a proposal from
  it hides the name and leaves the title, as the span ``T`` did.
* An **a.k.a. form** written next to ``T`` or its surname (``(a.k.a. Hameed)``, ``a/k/a``,
  ``also known as``, ``alias``), and its own occurrences.

Variants shorter than :data:`redactor.release.occurrences.MIN_ALNUM` letters are not looked
for (``Ali`` would be found in every list of names); the text ``T`` itself always is.
Occurrences wholly inside the span itself are left out; where two findings overlap, the longer
is kept (the full name rather than the surname inside it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from redactor.redaction.spans import Span
from redactor.release.occurrences import (
    normalised_form,
    printed_occurrences,
    worth_looking_for,
)

#: Titles that may stand before a name (compared case-insensitively, a trailing dot ignored).
TITLES = frozenset(
    """
    mr mrs ms miss dr sir madam mme m
    minister ambassador president vice deputy secretary undersecretary governor mayor
    senator congressman congresswoman judge justice prosecutor attorney chief director
    general gen colonel col lieutenant lt major maj captain capt commander cdr commodore
    admiral adm brigadier brig sergeant sgt
    sheikh shaykh imam cardinal bishop father rev prince princess king queen
    prof professor chairman chairwoman
    """.split()
)

#: Particles that may stand inside a name without a capital (``Osama bin Laden``).
PARTICLES = frozenset("al el bin ibn bint de del della der di da dos du la le van von y".split())

_WORD_RE = re.compile(r"[^\W\d_](?:[\w'’.-]*\w)?\.?")
_AKA_RE = re.compile(
    r"\(?\s*(?:a\.\s?k\.\s?a\.?|aka|a/k/a|also\s+known\s+as|alias)\s*:?\s+"
    r"(?P<alias>[^\W\d_][\w'’-]*(?:[ \t]+[^\W\d_][\w'’-]*){0,3})",
    re.IGNORECASE,
)
#: How far after a name an a.k.a. form may start to count as written next to it.
AKA_DISTANCE = 12

SAME = "same text"
CASE = "other case"
LINE_BREAK = "across a line break"
HYPHENATION = "hyphenated at a line end"
SURNAME = "surname"
TITLE = "title and surname"
AKA = "a.k.a."


@dataclass(frozen=True)
class Found:
    """Another place ``[start, end)`` of the text holding the span's text or a variant.

    ``kind`` is one of the module's kinds (``same text``, ``surname``, ``a.k.a.``...);
    ``form`` the string that was looked for (the span's text, the surname, the alias);
    ``title`` the title standing before a surname, if any."""

    start: int
    end: int
    kind: str
    form: str
    title: str = ""


def _bare(word: str) -> str:
    return word.rstrip(".").casefold()


def name_words(value: str) -> list[str] | None:
    """The words of ``value`` without a leading title, if ``value`` reads as a person's
    name (see the module docstring), else None."""
    words = _WORD_RE.findall(" ".join(value.split()))
    if not words or len(" ".join(words)) < len(" ".join(value.split())) - 2:
        return None  # digits, punctuation, brackets: not a name
    while words and _bare(words[0]) in TITLES and len(words) > 1:
        words = words[1:]
    if not 1 <= len(words) <= 5:
        return None
    for index, word in enumerate(words):
        particle = _bare(word) in PARTICLES or word.split("-")[0].lower() in PARTICLES
        if particle:
            if index == len(words) - 1:
                return None
            continue
        if not word[0].isupper() or word.isupper() and len(word) > 1 and len(words) == 1:
            # An all-capitals single word is an acronym more often than a name.
            return None
    return words


def _title_before(text: str, start: int) -> str:
    """The title word standing right before ``start`` (``Minister``, ``Mr.``), or ""."""
    before = text[max(0, start - 30) : start]
    match = re.search(r"([^\W\d_]+\.?)[ \t]*\r?\n?[ \t]*$", before)
    if match and _bare(match.group(1)) in TITLES:
        return match.group(1)
    return ""


def _kind_of_same(text: str, found: tuple[int, int], wanted: str) -> str:
    printed = text[found[0] : found[1]]
    if printed == wanted:
        return SAME
    if "-" in printed and "\n" in printed and "-" not in wanted:
        return HYPHENATION
    if " ".join(printed.split()) == " ".join(wanted.split()):
        return LINE_BREAK
    return CASE


def aliases(text: str, places: Iterable[tuple[int, int]]) -> list[str]:
    """The a.k.a. forms written right after any of ``places`` (``(a.k.a. Hameed)``)."""
    found: list[str] = []
    for _start, end in places:
        match = _AKA_RE.match(text, end)
        if match is None:
            window = text[end : end + AKA_DISTANCE]
            if "(" not in window and "," not in window:
                continue
            match = _AKA_RE.search(text, end, end + AKA_DISTANCE + 40)
            if match is None or match.start() - end > AKA_DISTANCE:
                continue
        alias = match.group("alias").strip()
        if alias and alias not in found:
            found.append(alias)
    return found


def other_occurrences(
    text: str, start: int, end: int, *, exclude: Sequence[tuple[int, int] | Span] = ()
) -> list[Found]:
    """The other places of ``text`` that hold ``text[start:end]`` or an evident variant of it
    (see the module docstring), in text order. Places wholly inside ``[start, end)`` or
    inside ``exclude`` are left out."""
    wanted = text[start:end]
    if not wanted.strip():
        return []
    own = [(start, end), *((s.start, s.end) if isinstance(s, Span) else s for s in exclude)]
    words = name_words(wanted)
    results: list[Found] = [
        Found(
            o.start, o.end, _kind_of_same(text, (o.start, o.end), wanted), wanted,
            _title_before(text, o.start) if words else "",
        )
        for o in printed_occurrences(text, wanted, own)
    ]
    forms: list[tuple[str, str]] = []
    if words and len(words) > 1 and worth_looking_for(normalised_form(words[-1])):
        forms.append((SURNAME, words[-1].rstrip(".")))
    # The a.k.a. forms next to the name, wherever the name (or its surname) is written.
    places = [(start, end)] + [(f.start, f.end) for f in results]
    for _, form in forms:
        places += [(o.start, o.end) for o in printed_occurrences(text, form, [])]
    for alias in aliases(text, places):
        if normalised_form(alias) != normalised_form(wanted) and worth_looking_for(
            normalised_form(alias)
        ):
            forms.append((AKA, alias))
    for kind, form in forms:
        for o in printed_occurrences(text, form, own):
            title = _title_before(text, o.start) if kind == SURNAME else ""
            results.append(Found(o.start, o.end, TITLE if title else kind, form, title))
    return _longest_first(results)


def _longest_first(results: list[Found]) -> list[Found]:
    """Drop each finding that overlaps a longer one; text order."""
    kept: list[Found] = []
    for item in sorted(results, key=lambda f: (-(f.end - f.start), f.start)):
        if all(item.end <= k.start or item.start >= k.end for k in kept):
            kept.append(item)
    return sorted(kept, key=lambda f: (f.start, f.end))
