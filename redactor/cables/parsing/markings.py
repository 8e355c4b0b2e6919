"""Portion markings: ``(S//NF)`` read into a level and normalised caveats.

Pure: standard library only.
"""

from __future__ import annotations

from redactor.cables.parsing.model import Marking, _marking
from redactor.cables.parsing.patterns import _MARK_LEVEL_RE, _MARK_WORD_RE, _REL_SPLIT_RE

_MARKING_MEMO: dict[str, tuple[str | None, tuple[str, ...], str | None]] = {}


def make_marking(raw: str, start: int, end: int) -> tuple[Marking, str | None]:
    """Normalise a marking written as ``raw`` (parentheses included).

    Returns the :class:`Marking` and, when the mark is not a standard one, a note saying how
    it was read (the caller turns it into a warning). ``(SE)`` -- a typo seen in real cables
    -- is read as ``S``: the higher of the levels it could stand for, so that nothing is
    under-protected.
    """
    memo = _MARKING_MEMO.get(raw)
    if memo is None:
        memo = _normalise_marking(raw)
        if len(_MARKING_MEMO) < 4096:
            _MARKING_MEMO[raw] = memo
    level, caveats, note = memo
    return _marking(raw, level, caveats, start, end), note


def block_marking(line: str, start: int, end: int) -> Marking:
    """The marking of a classification block line ("SECRET//FGI//NOFORN//MR")."""
    words = line.split("//")
    level = {"TOP SECRET": "TS", "SECRET": "S", "CONFIDENTIAL": "C", "UNCLASSIFIED": "U"}.get(
        words[0].strip()
    )
    caveats = tuple(dict.fromkeys("NF" if w.strip() == "NOFORN" else w.strip() for w in words[1:]))
    return _marking(line, level, caveats, start, end)


def _normalise_marking(raw: str) -> tuple[str | None, tuple[str, ...], str | None]:
    inner = raw[1:-1].strip().upper()
    m = _MARK_LEVEL_RE.match(inner)
    if not m:
        return None, (), "not a known marking"
    lvl = m.group(1)
    note = None
    caveats: list[str] = []
    if lvl == "SBU":
        level = "U"
        caveats.append("SBU")
    elif lvl == "FOUO":
        level = "U"
        caveats.append("FOUO")
    elif lvl == "SE":
        level = "S"
        note = "read as S (SE is not a marking; S is the higher level it may stand for)"
    else:
        level = lvl
    if note is None and not raw[1:-1].strip()[: m.end(1)].isupper():
        # "(c)", "(sbu)": real cables write these, but a reviewer should see that the mark
        # was read, not written, as a level.
        note = f"written in lower case, read as {lvl}"
    rest = inner[m.end() :]
    while rest:
        rest = rest.lstrip(" /-\t")
        if not rest:
            break
        if rest.startswith("REL"):
            cut = rest.find("//")
            clause = rest if cut < 0 else rest[:cut]
            rest = "" if cut < 0 else rest[cut:]
            words = [w for w in _REL_SPLIT_RE.split(clause[3:]) if w and w != "TO"]
            caveats.append("REL TO " + ", ".join(words))
            continue
        word = _MARK_WORD_RE.match(rest)
        if not word:
            break
        token = word.group(0)
        rest = rest[word.end() :]
        caveats.append("NF" if token == "NOFORN" else token)
    return level, tuple(dict.fromkeys(caveats)), note
