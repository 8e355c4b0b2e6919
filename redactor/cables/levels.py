"""The level of one cable version: the highest marking it carries, not line 4 alone.

Pure: standard library and the parser's dataclasses only. A cable says its classification
in several places: metadata line 4, the banner line (``S E C R E T``, ``UNCLAS``), the
subject's marking (``SUBJECT: (S) ...``) and each portion's marking (``1. (S/NF)``). Line 4
is often wrong in real cables (a ``CONFIDENTIAL`` cable with a ``(S)`` paragraph). Showing a
SECRET paragraph to a CONFIDENTIAL reader because line 4 says less would fail open, so the
version's level is the **highest** of all of them; every marking above line 4 is reported as
a warning, and raises the level.

An unknown or unreadable marking (a banner that names no level, a portion marking whose
level the parser could not tell) adds nothing: line 4 is always known (an import without a
known line 4 is refused), so the level is never below it.
"""

from __future__ import annotations

from dataclasses import dataclass

from redactor.cables.parser import Cable as ParsedCable
from redactor.review.policy import Level

#: A marking's level letter, as the parser normalises it.
MARK_LEVELS = {"U": Level.UNCLASSIFIED, "C": Level.CONFIDENTIAL, "S": Level.SECRET,
               "TS": Level.TOP_SECRET}


@dataclass(frozen=True)
class VersionLevel:
    """A version's level, and one warning per marking that put it above line 4."""

    level: Level
    warnings: tuple[str, ...] = ()


def banner_level(banner: str) -> Level | None:
    """The level a banner line names, or None when it names none.

    Banners are spaced out and often damaged (``C O N F I D E N T I A L``,
    ``O N F I D E N T I A L``, ``C C O N F ...``, ``S e c r e t``): spaces are dropped and the
    level word looked for at the start.
    """
    squeezed = "".join(banner.upper().split())
    if squeezed.startswith("TOPSECRET"):
        return Level.TOP_SECRET
    if squeezed.startswith("SECRET"):
        return Level.SECRET
    if "ONFIDENTIAL" in squeezed[:14]:
        return Level.CONFIDENTIAL
    if squeezed.startswith("UNCLAS"):
        return Level.UNCLASSIFIED
    return None


def version_level(parsed: ParsedCable, line4: Level) -> VersionLevel:
    """The level of the version ``parsed``, whose line 4 says ``line4``: the highest of line
    4, the banner, the subject marking and every portion marking (see the module docstring).
    """
    level = Level(line4)
    warnings: list[str] = []

    def consider(found: Level | None, where: str) -> None:
        nonlocal level
        if found is None or found <= line4:
            return
        warnings.append(f"{where} is marked {found.label}, above line 4 ({line4.label})")
        level = max(level, found)

    if parsed.banner is not None:
        consider(banner_level(parsed.banner.value), "the banner")
    if parsed.subject_marking is not None:
        consider(MARK_LEVELS.get(parsed.subject_marking.level or ""), "the subject")
    for paragraph in parsed.paragraphs:
        if paragraph.marking is not None:
            name = f"paragraph {paragraph.number or paragraph.index + 1}"
            consider(MARK_LEVELS.get(paragraph.marking.level or ""), name)
    return VersionLevel(level=level, warnings=tuple(warnings))
