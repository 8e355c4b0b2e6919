"""Differences between texts of a cable, portion by portion, as plain data for pages and API.

Services layer: it uses ``Levenshtein`` (python-Levenshtein, a declared dependency), so it is
not part of the pure core; it touches no database. Two comparisons:

* :func:`diff_released` -- each portion of a version against its released form (what a
  reviewer will publish; each excision is one replacement by its placeholder). This shows
  hidden text: it is for the screens of people cleared for the cable, never for publication.
* :func:`diff_versions` -- the portions of one version against those of another.

Within a pair of texts (:func:`diff_text`) the comparison is word-level: the texts are split
into word, punctuation and whitespace tokens and compared with ``difflib.SequenceMatcher``
(junk heuristics off), so each hunk's texts join back exactly into the two inputs. Inside a
``replace`` hunk whose sides are similar (``Levenshtein.ratio`` at least
:data:`REFINE_THRESHOLD`), a character-level refinement from ``Levenshtein.opcodes`` shows
which letters changed (``recieve`` -> ``receive``); dissimilar sides stay whole words.

Portions of two versions are paired in order: identical portions by a sequence match of their
texts, the rest of each unmatched run pairwise when similar enough
(:data:`PAIR_THRESHOLD`), otherwise as removed and added.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher

import Levenshtein

# _merged_with_codes: the release's own merging of spans and codes, so that the diff shows
# the very excisions the released document has.
from redactor.release.render import MIN_PLACEHOLDER_WIDTH, Excision, _merged_with_codes

REFINE_THRESHOLD = 0.5
PAIR_THRESHOLD = 0.5
#: Above this many tokens on a side, a changed portion is shown as one replacement: the
#: quadratic matcher would take seconds on a 5 MB paragraph.
MAX_TOKENS = 20_000

_TOKEN_RE = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class CharOp:
    """A character-level piece of a ``replace`` hunk: ``equal``, ``insert``, ``delete`` or
    ``replace``, with the old and new characters."""

    op: str
    old: str
    new: str


@dataclass(frozen=True)
class Hunk:
    """A run of tokens: ``equal``, ``insert``, ``delete`` or ``replace``."""

    op: str
    old: str
    new: str
    chars: tuple[CharOp, ...] = ()


@dataclass(frozen=True)
class PortionDiff:
    """The comparison of one portion: ``equal``, ``changed``, ``added`` or ``removed``.

    ``old_key``/``new_key`` identify the portion on each side (None where absent);
    ``similarity`` is ``Levenshtein.ratio`` of the two texts (1.0 when equal).
    """

    op: str
    old_key: str | None
    new_key: str | None
    similarity: float
    hunks: tuple[Hunk, ...]

    def as_dict(self) -> dict:
        """JSON-ready form (lists instead of tuples)."""
        return asdict(self)


def tokens(text: str) -> list[str]:
    """``text`` split into word, punctuation and whitespace tokens (joined, the text)."""
    return _TOKEN_RE.findall(text)


def _refine(old: str, new: str) -> tuple[CharOp, ...]:
    if not old or not new or Levenshtein.ratio(old, new) < REFINE_THRESHOLD:
        return ()
    return tuple(
        CharOp(tag, old[i1:i2], new[j1:j2])
        for tag, i1, i2, j1, j2 in Levenshtein.opcodes(old, new)
    )


def diff_text(old: str, new: str) -> tuple[Hunk, ...]:
    """Word-level hunks turning ``old`` into ``new`` (see the module notes)."""
    if old == new:
        return (Hunk("equal", old, new),) if old else ()
    a, b = tokens(old), tokens(new)
    if len(a) > MAX_TOKENS or len(b) > MAX_TOKENS:
        return (Hunk("replace", old, new),)
    hunks = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        left, right = "".join(a[i1:i2]), "".join(b[j1:j2])
        hunks.append(Hunk(tag, left, right, _refine(left, right) if tag == "replace" else ()))
    return tuple(hunks)


def _pair(old_key: str | None, old: str, new_key: str | None, new: str) -> PortionDiff:
    if old_key is None:
        return PortionDiff("added", None, new_key, 0.0, diff_text("", new))
    if new_key is None:
        return PortionDiff("removed", old_key, None, 0.0, diff_text(old, ""))
    if old == new:
        return PortionDiff("equal", old_key, new_key, 1.0, diff_text(old, new))
    return PortionDiff(
        "changed", old_key, new_key, Levenshtein.ratio(old, new), diff_text(old, new)
    )


Portion = tuple[str, int, int]  # (key, start, end) in code points of the version's text


def diff_versions(
    old_text: str,
    old_portions: Sequence[Portion],
    new_text: str,
    new_portions: Sequence[Portion],
) -> list[PortionDiff]:
    """The portions of an old and a new version compared, in reading order.

    ``*_portions`` are ``(key, start, end)`` (key: the portion number or index as text).
    """
    olds = [(key, old_text[s:e]) for key, s, e in old_portions]
    news = [(key, new_text[s:e]) for key, s, e in new_portions]
    matcher = SequenceMatcher(None, [t for _, t in olds], [t for _, t in news], autojunk=False)
    result: list[PortionDiff] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result.extend(
                _pair(olds[i][0], olds[i][1], news[j][0], news[j][1])
                for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            )
            continue
        left, right = olds[i1:i2], news[j1:j2]
        while left and right:
            (ok, ot), (nk, nt) = left[0], right[0]
            if Levenshtein.ratio(ot, nt) >= PAIR_THRESHOLD:
                result.append(_pair(ok, ot, nk, nt))
                left, right = left[1:], right[1:]
            elif len(left) >= len(right):
                result.append(_pair(ok, ot, None, ""))
                left = left[1:]
            else:
                result.append(_pair(None, "", nk, nt))
                right = right[1:]
        result.extend(_pair(k, t, None, "") for k, t in left)
        result.extend(_pair(None, "", k, t) for k, t in right)
    return result


def diff_released(
    text: str,
    redactions: Sequence[tuple[int, int, object]],
    portions: Sequence[Portion],
) -> list[PortionDiff]:
    """Each portion of ``text`` against its released form under ``redactions``
    (``(start, end, codes)``; the placeholders are those of the whole released document).

    Not a text comparison: the hunks are cut at the excisions themselves, so each excision
    (overlapping and adjacent spans merged, as the release merges them) is exactly one
    ``replace`` hunk, its hidden text against its placeholder, and the text between them is
    ``equal``. (A word-level diff cut one excision into several replacements, ``"An"`` ->
    ``"[B1"``, ``"Indian"`` -> ``"1.4(D)"``, pairing hidden words with pieces of the label.)
    """
    merged = _merged_with_codes(text, redactions)
    width = max([MIN_PLACEHOLDER_WIDTH] + [len(" ".join(codes)) + 2 for _, codes in merged])
    result = []
    for key, s, e in portions:
        hunks: list[Hunk] = []
        pos = s
        for span, codes in merged:
            if span.end <= s or span.start >= e:
                continue
            a, b = max(span.start, s), min(span.end, e)
            if a > pos:
                hunks.append(Hunk("equal", text[pos:a], text[pos:a]))
            hunks.append(Hunk("replace", text[a:b], Excision(codes, width).placeholder))
            pos = b
        if pos < e:
            hunks.append(Hunk("equal", text[pos:e], text[pos:e]))
        old, new = text[s:e], "".join(h.new for h in hunks)
        if old == new:
            result.append(PortionDiff("equal", key, key, 1.0, tuple(hunks)))
        else:
            result.append(
                PortionDiff("changed", key, key, Levenshtein.ratio(old, new), tuple(hunks))
            )
    return result
