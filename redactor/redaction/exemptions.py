"""The catalogue of exemption codes a reviewer picks from, and their canonical spelling.

Pure: standard library only. Codes are written as on State Department release stamps (see
the release conventions): FOIA ``B1``..``B9`` without parentheses, ``B3`` followed by the
short tag of its statute (``B3 FS ACT``), law-enforcement subsections ``B7(A)``..``B7(F)``,
E.O. 13526 section 1.4 categories ``1.4(A)``..``1.4(H)``, the 25-year exemptions
``25X1``..``25X9`` and the 50-year ``50X1-HUM`` and ``50X2-WMD``.

Rules held by :func:`parse_codes`:

* every excision is labelled, so an empty list of codes is an error;
* ``B1`` always carries at least one 1.4 category; ``B3`` always names its statute;
* plain ``B7`` is refused: the subsection says why the record is withheld;
* 1.5 categories (E.O. 12958 before 2003) are refused with a hint to write 1.4: the letters
  mean the same, and a release under E.O. 13526 cites 1.4.

Canonical order: FOIA codes (B1..B9), then 1.4 categories, then 25X/50X codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


class CodeError(ValueError):
    """An exemption code is unknown, or a required companion (1.4 category, statute) is
    missing. The message names the offending code and says what is expected."""


#: Short statute tags for ``B3`` and the statute each names.
B3_STATUTES: dict[str, str] = {
    "FS ACT": "Foreign Service Act of 1980, 22 U.S.C. 4004 (personnel, inspection records)",
    "INA": "Immigration and Nationality Act, 8 U.S.C. 1202(f) (visa records)",
    "ARMSEXP": "Arms Export Control Act, 22 U.S.C. 2778(e) (export licensing information)",
    "CIA PERS/ORG": "Central Intelligence Agency Act, 50 U.S.C. 3507 (CIA personnel, "
    "organisation)",
}

_FOIA: dict[str, str] = {
    "B1": "properly classified national security information (with a 1.4 category)",
    "B2": "internal personnel rules and practices",
    "B3": "exempted from disclosure by another statute (named by its tag)",
    "B4": "trade secrets, confidential commercial or financial information",
    "B5": "inter- or intra-agency deliberative process, privileged",
    "B6": "personal privacy (names, personal details of private persons and junior officials)",
    "B7(A)": "law enforcement: could interfere with enforcement proceedings",
    "B7(B)": "law enforcement: would deprive a person of a fair trial",
    "B7(C)": "law enforcement: unwarranted invasion of personal privacy",
    "B7(D)": "law enforcement: could disclose a confidential source",
    "B7(E)": "law enforcement: techniques, procedures or guidelines",
    "B7(F)": "law enforcement: could endanger the life or safety of a person",
    "B8": "reports about financial institutions",
    "B9": "geological and geophysical information concerning wells",
}

_SECTION_1_4: dict[str, str] = {
    "1.4(A)": "military plans, weapons systems, or operations",
    "1.4(B)": "foreign government information",
    "1.4(C)": "intelligence activities, sources or methods, or cryptology",
    "1.4(D)": "foreign relations or foreign activities of the US, incl. confidential sources",
    "1.4(E)": "scientific, technological or economic matters relating to national security",
    "1.4(F)": "US programs for safeguarding nuclear materials or facilities",
    "1.4(G)": "vulnerabilities or capabilities of systems, installations, infrastructures, "
    "projects, plans or protection services",
    "1.4(H)": "development, production or use of weapons of mass destruction",
}

_AUTOMATIC: dict[str, str] = {
    "25X1": "25 years: reveal the identity of a human source or intelligence methods",
    "25X2": "25 years: assist the development or use of weapons of mass destruction",
    "25X3": "25 years: impair US cryptologic systems or activities",
    "25X4": "25 years: impair the application of state-of-the-art weapons technology",
    "25X5": "25 years: reveal formally named or numbered US military war plans",
    "25X6": "25 years: seriously harm relations with a foreign government",
    "25X7": "25 years: impair the ability to protect the President and other protectees",
    "25X8": "25 years: impair emergency preparedness plans",
    "25X9": "25 years: violate a statute, treaty or international agreement",
    "50X1-HUM": "50 years: reveal the identity of a confidential human source",
    "50X2-WMD": "50 years: reveal key design concepts of weapons of mass destruction",
}


def _build_catalogue() -> dict[str, str]:
    catalogue: dict[str, str] = {}
    for code, meaning in _FOIA.items():
        if code == "B3":
            for tag, statute in B3_STATUTES.items():
                catalogue[f"B3 {tag}"] = f"exempted by statute: {statute}"
        else:
            catalogue[code] = meaning
    catalogue.update(_SECTION_1_4)
    catalogue.update(_AUTOMATIC)
    return catalogue


#: Every code a redaction may carry, in canonical order, with its meaning.
CATALOGUE: dict[str, str] = _build_catalogue()

_ORDER: dict[str, int] = {code: rank for rank, code in enumerate(CATALOGUE)}

_SEPARATOR = re.compile(r"[\s,;]+")
_END = r"(?=[\s,;]|\Z)"
_STATUTE = "|".join(
    r"\s+".join(re.escape(word) for word in tag.split())
    for tag in sorted(B3_STATUTES, key=len, reverse=True)
)
# One pattern per family, tried in turn at the current position (case-insensitive).
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("b3", re.compile(rf"B\s*3(?:\s+(?P<statute>{_STATUTE}))?{_END}", re.IGNORECASE)),
    ("b7", re.compile(rf"B\s*7(?:\s*\(\s*(?P<letter>[A-Z])\s*\))?{_END}", re.IGNORECASE)),
    ("b", re.compile(rf"B\s*(?P<digit>[0-9]+){_END}", re.IGNORECASE)),
    ("eo", re.compile(rf"1\.(?P<section>[0-9])\s*\(\s*(?P<letter>[A-Z])\s*\){_END}", re.I)),
    ("x", re.compile(rf"(?P<years>25|50)\s*X\s*(?P<rest>[0-9]+(?:\s*-?\s*[A-Z]+)?){_END}", re.I)),
)


def _unknown(token: str) -> CodeError:
    return CodeError(
        f"unknown exemption code {token!r}: expected B1-B9 (B3 with a statute, B7(A)-B7(F)), "
        "1.4(A)-1.4(H), 25X1-25X9, 50X1-HUM or 50X2-WMD"
    )


def _codes_in(item: str) -> list[str]:
    """The canonical codes written in one string such as ``"b1 1.4 (d), B6"``."""
    found: list[str] = []
    pos = 0
    while pos < len(item):
        skip = _SEPARATOR.match(item, pos)
        if skip:
            pos = skip.end()
            continue
        for family, pattern in _PATTERNS:
            match = pattern.match(item, pos)
            if match:
                found.append(_canonical(family, match))
                pos = match.end()
                break
        else:
            token = _SEPARATOR.split(item[pos:], maxsplit=1)[0]
            raise _unknown(token)
    return found


def _canonical(family: str, match: re.Match[str]) -> str:
    text = match.group(0)
    if family == "b3":
        statute = match.group("statute")
        if statute is None:
            tags = ", ".join(f"B3 {tag}" for tag in B3_STATUTES)
            raise CodeError(f"B3 must name its statute, e.g. {tags}")
        return "B3 " + " ".join(statute.upper().split())
    if family == "b7":
        letter = match.group("letter")
        if letter is None:
            raise CodeError("B7 needs its subsection: B7(A) to B7(F)")
        code = f"B7({letter.upper()})"
    elif family == "b":
        code = f"B{match.group('digit')}"
    elif family == "eo":
        if match.group("section") == "5":
            raise CodeError(
                f"{text!r}: section 1.5 of E.O. 12958 is section 1.4 of E.O. 13526 "
                "(same letters); write 1.4(...)"
            )
        code = f"1.{match.group('section')}({match.group('letter').upper()})"
    else:
        rest = re.sub(r"[\s-]+", "", match.group("rest").upper())
        digits = rest.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        suffix = rest[len(digits) :]
        code = f"{match.group('years')}X{digits}" + (f"-{suffix}" if suffix else "")
    if code not in CATALOGUE:
        raise _unknown(text.strip())
    return code


def parse_codes(items: Iterable[str] | str) -> tuple[str, ...]:
    """The canonical, de-duplicated, ordered codes written in ``items``.

    Each item may hold several codes separated by spaces, commas or semicolons
    (``"B1 1.4(D)"``); spelling is normalised (``b1`` -> ``B1``, ``1.4 (d)`` -> ``1.4(D)``,
    ``b3 fs act`` -> ``B3 FS ACT``, ``50x1 hum`` -> ``50X1-HUM``). A single string is read as
    one item. Raises :class:`CodeError` for an unknown code, for no code at all, for ``B1``
    without a 1.4 category and for ``B3`` without a statute.
    """
    if isinstance(items, str):
        items = [items]
    codes: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise CodeError(f"an exemption code must be text, not {type(item).__name__}")
        codes.update(_codes_in(item))
    if not codes:
        raise CodeError("at least one exemption code is required: every excision is labelled")
    if "B1" in codes and not any(code.startswith("1.4(") for code in codes):
        raise CodeError("B1 requires an E.O. 13526 1.4 category, e.g. B1 1.4(D)")
    return tuple(sorted(codes, key=_ORDER.__getitem__))


def label(codes: Iterable[str] | str) -> str:
    """The label of an excision, its canonical codes joined by spaces: ``B1 1.4(D)``, ``B6``.

    Raises :class:`CodeError` as :func:`parse_codes` does.
    """
    return " ".join(parse_codes(codes))


def meaning(code: str) -> str:
    """What ``code`` (in any accepted spelling) stands for. Raises :class:`CodeError`."""
    found = _codes_in(code)
    if len(found) != 1:
        raise CodeError(f"expected exactly one exemption code, got {code!r}")
    return CATALOGUE[found[0]]
