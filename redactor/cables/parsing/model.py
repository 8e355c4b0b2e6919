"""The parser's results: frozen dataclasses, and the fast constructors the parser uses.

Pure: standard library only.
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
    """A piece of the cable: its (possibly joined/cleaned) value and where it stands.

    ``text[start:end]`` is the written form; ``value`` may differ from it where lines were
    joined or a label or marking was removed.
    """

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
    Text of the body that is neither a heading nor under a numbered or marked start (for
    instance an unnumbered summary after a heading) is a portion with ``number`` and
    ``marking`` None, so the portions and headings together cover the body between the
    preamble and the signature.
    """

    index: int  # position in Cable.paragraphs, from 0
    kind: str  # "portion" or "heading"
    number: str | None  # "1", "4.1", "A", "a" as written, without the dot; None if unnumbered
    marking: Marking | None
    start: int
    end: int


@dataclass(frozen=True)
class Header:
    """The telegram envelope between the metadata lines and the body.

    Recipients keep their route indicator and precedence as written
    (``RUEHC/SECSTATE WASHDC PRIORITY 9522``).
    """

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
    """The E.O. line: the order cited and the declassification instruction.

    ``start``/``end`` cover the whole statement, label included (``E.O. 12958: DECL: ...``).
    """

    order: str | None  # "12958", "12356", ... as written
    text: str  # the instruction as written: "05/19/2019", "OADR", "25X1", "N/A"
    date: date | None  # the instruction as an ISO date, where it is a date
    start: int
    end: int


@dataclass(frozen=True)
class Reference:
    """One REF item: label ("A"), its text, and the canonical id of the cable it names.

    ``start``/``end`` cover the label and the item text.
    """

    label: str | None
    text: str
    # The reference id of the cited cable, canonical: the station as reference ids spell it
    # ("SECSTATE 76108" -> "STATE", "SAO PAULO" -> "SAOPAULO", misspellings repaired; see
    # redactor.cables.stations), the year as two digits, the serial without leading zeros.
    cable_id: str | None  # "08LONDON3082"
    start: int
    end: int
    station_known: bool = False  # whether cable_id's station is in the learned table


@dataclass(frozen=True)
class ClassifiedBy:
    """The "Classified By" statement, possibly wrapped over several lines.

    ``text`` is the statement with its lines joined by single spaces; ``start``/``end``
    cover the statement as written, label included.
    """

    text: str
    by: str | None
    reasons: tuple[str, ...]  # "1.4(B)", "1.4(D)"; 1.5 reasons kept as cited: "1.5(B)"
    start: int
    end: int


@dataclass(frozen=True)
class ParseWarning:
    """Something the parser could not place; ``code`` is stable, e.g. ``unmarked-portion``.

    Codes: ``no-metadata``, ``bad-reference-id``, ``bad-date``, ``unknown-classification``,
    ``no-header``, ``no-banner``, ``duplicate-preamble``, ``no-subject``, ``unknown-marking``,
    ``nonstandard-marking``, ``unmarked-portion``, ``marking-above-classification``,
    ``parser-error`` (an internal failure; the cable then carries only its metadata).
    """

    code: str
    message: str
    start: int


@dataclass(frozen=True)
class Cable:
    """A parsed cable. ``text`` is the stored text all offsets point into.

    ``tags`` are upper-cased (some media copies are in lower case); ``tags_span`` covers the
    tags as written, after the label. ``subject`` covers the subject text after its label and
    any leading marking. ``references_span`` covers the whole REF statement, label included.
    """

    text: str
    reference_id: TextField | None
    created: datetime | None
    released: datetime | None
    classification: TextField | None  # metadata line 4, the authority on the level
    origin: TextField | None
    header: Header | None
    banner: TextField | None
    caveats: tuple[TextField, ...]  # NOFORN, SIPDIS, SENSITIVE, EXDIS, ... (value normalised)
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
    # The reference id of the cable this text is, canonical: the id itself, or for a section
    # copy filed under an id of its own ("08ECTION01OF02MANAMA492") the cable's id
    # ("08MANAMA492"). None without a reference id.
    canonical_id: str | None = None
    # (section, of) from the banner's "SECTION 01 OF 02" (or a section copy's id); None for a
    # cable in one section.
    section: tuple[int, int] | None = None


# Fast construction. A frozen dataclass's __init__ sets each field through
# object.__setattr__ (about 0.7 us for a Paragraph); the parser builds some forty of these
# objects per cable, so it fills the instance dict of a bare instance instead (about 0.3 us).
# The result is the same object as the constructor's, and just as frozen. Only for classes
# without slots, defaults or __post_init__; fields in declaration order.

_new = object.__new__


def _text_field(value: str, start: int, end: int) -> TextField:
    obj = _new(TextField)
    d = obj.__dict__
    d["value"] = value
    d["start"] = start
    d["end"] = end
    return obj


def _marking(
    raw: str, level: str | None, caveats: tuple[str, ...], start: int, end: int
) -> Marking:
    obj = _new(Marking)
    d = obj.__dict__
    d["raw"] = raw
    d["level"] = level
    d["caveats"] = caveats
    d["start"] = start
    d["end"] = end
    return obj


def _paragraph(
    index: int, kind: str, number: str | None, marking: Marking | None, start: int, end: int
) -> Paragraph:
    obj = _new(Paragraph)
    d = obj.__dict__
    d["index"] = index
    d["kind"] = kind
    d["number"] = number
    d["marking"] = marking
    d["start"] = start
    d["end"] = end
    return obj
