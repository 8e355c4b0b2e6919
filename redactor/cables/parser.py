"""Parse the text of a diplomatic cable into a frozen :class:`Cable`.

Pure: standard library only, no I/O. Every element carries ``[start, end)`` offsets in code
points into the stored cable text (see :func:`decode_cable_bytes`, the only way text enters
the system). The parser never raises on text that decodes: what it cannot place becomes a
:class:`ParseWarning` with an offset.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


class CableParseError(ValueError):
    """The bytes are not a cable text we can store (not strict UTF-8, UTF-16, ...).

    ``byte_offset`` is the offset of the first offending byte, where there is one.
    """

    def __init__(self, message: str, byte_offset: int | None = None) -> None:
        super().__init__(message)
        self.byte_offset = byte_offset


@dataclass(frozen=True)
class TextField:
    """A piece of the cable: its (possibly joined/cleaned) value and where it stands."""

    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Marking:
    """A portion marking as written (``(S//NF)``) and normalised (level ``S``, caveats)."""

    raw: str
    level: str | None  # "U", "C", "S", "TS" (SBU and FOUO normalise to "U"); None if unknown
    caveats: tuple[str, ...]  # normalised: "NF", "SBU", "FOUO", "FGI", "REL TO NATO", ...
    start: int
    end: int


@dataclass(frozen=True)
class Paragraph:
    """A portion (numbered, lettered or bare-marked paragraph) or a heading.

    ``text[start:end]`` of a numbered portion begins with its number; a portion extends over
    its continuation blocks up to the next portion or heading (trailing blank lines excluded).
    """

    index: int  # position in Cable.paragraphs, from 0
    kind: str  # "portion" or "heading"
    number: str | None  # "1", "4.1", "A", "a" as written, without the dot; None if unnumbered
    marking: Marking | None
    start: int
    end: int


@dataclass(frozen=True)
class Header:
    """The telegram envelope between the metadata lines and the body."""

    precedence: str | None  # "R", "P", "O", "O R", ...
    dtg: str | None  # "211912Z MAY 09"
    sender: TextField | None  # FM
    to: tuple[TextField, ...]
    info: tuple[TextField, ...]
    partial_extract: bool
    start: int
    end: int


@dataclass(frozen=True)
class Decl:
    """The E.O. line: the order cited and the declassification instruction."""

    order: str | None  # "12958", "12356", ... as written
    text: str  # the instruction as written: "05/19/2019", "OADR", "25X1", "N/A"
    date: date | None  # the instruction as an ISO date, where it is a date
    start: int
    end: int


@dataclass(frozen=True)
class Reference:
    """One REF item: label ("A"), its text, and the canonical id of the cable it names."""

    label: str | None
    text: str
    cable_id: str | None  # "08LONDON3082"
    start: int
    end: int


@dataclass(frozen=True)
class ClassifiedBy:
    """The "Classified By" statement, possibly wrapped over several lines."""

    text: str
    by: str | None
    reasons: tuple[str, ...]  # "1.4(B)", "1.4(D)"; 1.5 reasons kept as cited: "1.5(B)"
    start: int
    end: int


@dataclass(frozen=True)
class ParseWarning:
    """Something the parser could not place; ``code`` is stable, e.g. ``unmarked-portion``."""

    code: str
    message: str
    start: int


@dataclass(frozen=True)
class Cable:
    """A parsed cable. ``text`` is the stored text all offsets point into."""

    text: str
    reference_id: TextField | None
    created: datetime | None
    released: datetime | None
    classification: TextField | None  # metadata line 4, the authority on the level
    origin: TextField | None
    header: Header | None
    banner: TextField | None
    caveats: tuple[TextField, ...]  # NOFORN, SIPDIS, SENSITIVE, EXDIS, ... lines
    decl: Decl | None
    tags: tuple[str, ...]
    tags_span: TextField | None
    subject: TextField | None  # value: wrapped lines joined, leading marking removed
    subject_marking: Marking | None
    references: tuple[Reference, ...]
    references_span: TextField | None
    classified_by: ClassifiedBy | None
    paragraphs: tuple[Paragraph, ...]
    page_breaks: tuple[TextField, ...]  # lines display drops: "BRASILIA 00001300 002.3 OF 003"
    signature: TextField | None
    withheld: tuple[TextField, ...]  # WikiLeaks' own XXXXXXXXXXXX runs (also Cyrillic Х)
    warnings: tuple[ParseWarning, ...] = field(default=())


def normalize_newlines(text: str) -> str:
    """Turn ``\\r\\n`` and lone ``\\r`` into ``\\n``; change nothing else."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_cable_bytes(data: bytes) -> str:
    """Decode a cable file as strict UTF-8 and normalise its line endings.

    Raises :class:`CableParseError` (with the byte offset) for anything that is not UTF-8.
    """
    raise NotImplementedError


def parse_cable(text: str) -> Cable:
    """Parse normalised cable text. Never raises on a ``str``."""
    raise NotImplementedError
