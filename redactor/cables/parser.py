"""Parse the text of a diplomatic cable into a frozen :class:`Cable`.

Pure: standard library only, no I/O. Every element carries ``[start, end)`` offsets in code
points into the stored cable text (see :func:`decode_cable_bytes`, the only way text enters
the system). The parser never raises on text that decodes: what it cannot place becomes a
:class:`ParseWarning` with an offset.

How a cable is read (the measured format is described in the project's cable-format notes):

1. The five metadata lines (reference id, created, released, classification, origin).
2. The telegram envelope ("header"): from after the metadata to the first blank line that is
   followed by a banner-looking line (splitting at the first blank line is wrong for a third
   of real cables, whose envelope holds blank lines itself).
3. The body preamble: anything a media partner put before the banner, the banner, caveat
   lines, then the labelled fields (E.O., TAGS, SUBJECT, REF, Classified By). The fields are
   found by their labels rather than by line position, because in real cables they are
   sometimes glued together on one line (``...003352SIPDISSIPDISNOFORNE.O. 12958: ...``).
4. The portions: numbered/lettered/bare-marked paragraphs and headings. A portion runs over
   its continuation blocks up to the next portion or heading.
5. The signature (the last non-blank line that is a name) and WikiLeaks' own withheld runs.

The work is done mostly by whole-text regular expression scans (in C) rather than by Python
loops over every line: parsing has to stay within ~10x the cost of merely reading and
splitting the text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain
from operator import attrgetter, itemgetter

from redactor.cables.stations import canonical_id, canonical_reference_id, section_copy


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


# --------------------------------------------------------------------------- decoding

_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


def normalize_newlines(text: str) -> str:
    """Turn ``\\r\\n`` and lone ``\\r`` into ``\\n``; change nothing else."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_cable_bytes(data: bytes) -> str:
    """Decode a cable file as strict UTF-8 and normalise its line endings.

    A leading UTF-8 byte order mark is dropped: it is an encoding signature, not text, and
    no offset can point into it. Nothing else is changed (no NFC, no stripping). Raises
    :class:`CableParseError` (with the byte offset) for anything that is not UTF-8 text:
    UTF-16/UTF-32 (byte order mark or NUL bytes), NUL bytes (binary files), and invalid or
    truncated UTF-8 sequences (Latin-1, Windows-1252, gzip, PDF streams, ...).
    """
    if data.startswith(_UTF16_BOMS):
        raise CableParseError(
            "file starts with a UTF-16/UTF-32 byte order mark; cables must be UTF-8",
            byte_offset=0,
        )
    if data.startswith(_UTF8_BOM):
        data = data[len(_UTF8_BOM) :]
        shift = len(_UTF8_BOM)
    else:
        shift = 0
    # Report whichever comes first: a NUL byte or a byte that is not UTF-8.
    nul = data.find(b"\x00")
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        if nul < 0 or exc.start < nul:
            offset = exc.start + shift
            bad = data[exc.start : exc.start + 1].hex()
            raise CableParseError(
                f"not valid UTF-8 at byte offset {offset} (byte 0x{bad}: {exc.reason}); "
                "the file may be Latin-1/Windows-1252 or binary",
                byte_offset=offset,
            ) from None
    if nul >= 0:
        raise CableParseError(
            f"NUL byte at byte offset {nul + shift}: binary data or UTF-16, not UTF-8 text",
            byte_offset=nul + shift,
        )
    return normalize_newlines(text)


# --------------------------------------------------------------------------- patterns

_W = r"[^\S\n]"  # whitespace other than a newline

# Portion markings: a grammar, not "any parenthesised token" -- (U.S.), (Afghanistan) and
# (Mideast) also follow paragraph numbers in real cables.
_LEVEL_U = r"(?:TS|SBU|SE|FOUO|S|C|U)"
_LEVEL_I = r"(?i:TS|SBU|SE|FOUO|S|C|U)"
_CAVEAT = (
    r"(?i:NF|NOFORN|FOUO|FGI|SBU|ORCON|OC|PROPIN|EXDIS|NODIS|LIMDIS|MR"
    rf"|REL(?:{_W}+TO)?{_W}+[A-Z]{{2,20}}(?:{_W}*[,/]{_W}*[A-Z]{{2,20}}){{0,12}})"
)
_SEP = rf"(?:{_W}*(?:/{{1,2}}|-){_W}*|{_W}+)"
_MARK_U = rf"\({_W}*{_LEVEL_U}(?:{_SEP}{_CAVEAT}){{0,4}}{_W}*\)"
_MARK_I = rf"\({_W}*{_LEVEL_I}(?:{_SEP}{_CAVEAT}){{0,4}}{_W}*\)"
# Looks like a marking but is not one we know: "(C - ENTIRE TEXT)", "(SECRET REL INDIA)".
# A single capital that is no level and no list letter ("(Q)") is an unknown mark too.
_MARKISH = (
    rf"\({_W}*(?:(?:TS|SBU|SECRET|CONFIDENTIAL|S|C|U)\b[A-Z/ ,\-]{{0,30}}"
    rf"|[JKLMNOPQRWYZ]{_W}*)\)"
)

_MARK_I_RE = re.compile(_MARK_I)

_NUMBER = r"(?P<num>\d{1,5}(?:\.\d{1,2}){0,2}|#)"
# A numbered line: "1. (C)", "1.(C)", "1)", "  12.  (S/NF)", "1. Summary: (SBU)", and a
# number glued to a dashed rule ("-------1.(U)").
# The possessive quantifiers (*+, {3,}+) only rule out backtracking that cannot succeed:
# what follows each of them starts with a character it does not take. A dashed rule line
# would otherwise be given back one dash at a time, looking for a number after each.
_NUM_BODY = (
    rf"(?P<nrule>[-=]{{3,}}+{_W}*+)?{_NUMBER}{_W}*+(?P<punct>[.)])(?=[\s(])(?!\.){_W}*+"
    rf"(?:(?:(?i:summary|comment){_W}*:?{_W}*)?(?P<mark>{_MARK_I})|(?P<markish>{_MARKISH}))?"
)
# A dashed rule: three or more of "-=_*", at most one space between two of them, and one
# space taken after the last. That is (?:[-=_*]{_W}?){3,}, written so that a run of dashes
# is taken at once rather than one repetition of a group per character.
_RULE_CHARS = rf"[-=_*](?:{_W}?[-=_*]){{2}}(?:[-=_*]++|{_W}(?=[-=_*]))*+{_W}?"
_LINE_BODY = (
    rf"{_W}*+(?:{_NUM_BODY}"
    rf"|(?P<let>[A-Za-z])[.)]{_W}*(?P<lmark>{_MARK_U})(?=\s|$)"
    rf"|(?P<bmark>{_MARK_U})(?=\s|$)"
    rf"|(?P<rule>{_RULE_CHARS})(?={_W}*(?:\n|$)))"
)
# Scans look for line starts through the newline before them: a pattern that begins with a
# literal lets the regex engine skip ahead in C instead of trying every position.
# With a "blank" group that never takes part, so that its groups are those of
# _PORTION_SCAN_RE, in the same order.
_LINE_HEAD_RE = re.compile(rf"{_LINE_BODY}(?P<blank>(?!))?")
_NUM_LINE_RE = re.compile(rf"^{_W}*{_NUM_BODY}", re.M)
# The look-ahead (what a numbered line can start with) turns most lines away before the
# optional rule group of _NUM_BODY is entered, which is costly to try at every line.
_NUM_SCAN_RE = re.compile(rf"\n{_W}*+(?=[-=\d#]){_NUM_BODY}")
# Paragraphs run together on one line (collapsed cables): "... End Summary. 2. (C) On ..."
# Found by the dot (a literal lets the engine skip ahead); the number is read backwards.
# The look-behind drops the dot of a number that starts its line ("\n2. (C)"), the usual
# hit, which cannot be a number in running text; it comes after the dot so that the scan
# still skips ahead to each dot in C. Before it, the look-ahead for the opening parenthesis
# of the marking turns away the dots of running text at once.
_NUM_MIDLINE_RE = re.compile(
    rf"\.(?={_W}*\()(?<!\n\d\.)(?<!\n\d\d\.){_W}*(?P<mark>{_MARK_U})"
)
_MIDLINE_AFTER = frozenset('.!?"”’)]:-')
_LETTER_LINE_RE = re.compile(
    rf"^{_W}*(?P<num>[A-Za-z])[.)]{_W}*(?P<mark>{_MARK_U})(?=\s|$)", re.M
)

_RULE_RE = re.compile(rf"^{_W}*(?P<rule>(?:[-=_*]{_W}?){{3,}})(?={_W}*(?:\n|$)|\d)", re.M)
# "SUMMARY -------" and "IBP DISCUSSES ... --------- ------": a title and its rule on one line.
# Possessive: giving back a dash or a space can never reach the end of the line, so a long
# rule that does not end its line fails at once instead of backtracking over every dash.
_DASHES_AT_EOL_RE = re.compile(rf"---++(?:{_W}+-+)*+{_W}*+(?=\n|$)")
# A short line that may be a heading standing alone ("SUMMARY", "Introduction and Comment").
_SHORT_LINE_BODY = rf"{_W}*(?P<line>[A-Z][^\n]{{0,78}}[^\s.,;:\\]){_W}*"
_SHORT_LINE_RE = re.compile(rf"{_SHORT_LINE_BODY}(?=\n{_W}*(?:\n|$)|$)")
# The portion scan: one pass over the lines of a region (each pass costs about as much as
# splitting the text into lines) finds two things at a newline:
# * a line head (_LINE_BODY). The look-ahead is a cheap screen (the first character a line
#   head can start with) that rejects most lines, which start with a word, before the full
#   grammar is tried; it only ever admits more lines than the grammar does. Before it, a
#   negative look-ahead turns away at once the most common line of all, one that starts
#   with a letter not followed by "." or ")": no line head or blank line starts so.
# * a blank line ("blank" ends it) followed by a line that starts with a capital and is
#   itself followed by a blank line (or the end): a possible standalone heading, checked
#   with _SHORT_LINE_RE. That line is skipped with a possessive [^\n]*+, because the
#   backtracking of _SHORT_LINE_BODY over every line that is not a heading (most of them)
#   costs more than the whole scan. The blank line is looked at, not consumed, so that its
#   newline is still tried for a line head.
_PORTION_SCAN_RE = re.compile(
    rf"\n(?![A-Za-z][^.)])(?:(?={_W}*+(?:[-=\d#(_*]|[A-Za-z][.)])){_LINE_BODY}"
    rf"|(?=(?P<blank>{_W}*\n){_W}*[A-Z][^\n]*+(?:\n{_W}*(?:\n|$)|$)))"
)
# The groups of a portion-scan match, in the order m.groups() gives them (the scan loop
# unpacks them by position), and the numbers of those whose start it needs.
_SCAN_GROUPS = (
    "nrule", "num", "punct", "mark", "markish", "let", "lmark", "bmark", "rule", "blank"
)
if _SCAN_GROUPS != tuple(_PORTION_SCAN_RE.groupindex) or _SCAN_GROUPS != tuple(
    _LINE_HEAD_RE.groupindex
):
    raise AssertionError("the portion-scan patterns no longer have the expected groups")
_G_NRULE, _G_NUM, _G_LET, _G_BMARK, _G_RULE, _G_BLANK = (
    _PORTION_SCAN_RE.groupindex[g] for g in ("nrule", "num", "let", "bmark", "rule", "blank")
)
_TITLE_WORDS = frozenset(
    "a an and the of to in on for with at by from or vs versus into over under about".split()
)

# "BRASILIA 00001300  002.3 OF 003": found by its digits, then the post name before them.
# The page number is now and then pushed onto a line of its own.
# Found through the two leading zeros of the 8-digit serial: a pattern that begins with a
# literal lets the engine skip ahead in C, and "00" is far rarer than the space before it
# (which the look-behind then checks).
_PAGE_NUMBERS_RE = re.compile(
    rf"00(?<= 00)\d{{6}}\s{{1,8}}\d{{3}}(?:\.\d)?{_W}+OF{_W}+\d{{3}}(?!\d)"
)
_PAGE_POST_RE = re.compile(rf"(?<![A-Za-z0-9])[A-Z]+(?:{_W}[A-Z'\-]+){{0,3}}{_W}+$")
_OLD_PAGE_RE = re.compile(rf"PAGE{_W}+\d{{2,3}}{_W}[^\n]*?\d{{6}}Z[^\n]*")
_PAGE_BREAK_RE = re.compile(
    rf"(?<![A-Za-z0-9])[A-Z]+(?:{_W}[A-Z'\-]+){{0,3}}{_W}+\d{{8}}\s{{1,8}}\d{{3}}"
    rf"(?:\.\d)?{_W}+OF{_W}+\d{{3}}(?!\d)|PAGE{_W}+\d{{2,3}}{_W}[^\n]*?\d{{6}}Z"
)
_CLASS_ONLY_LINE_RE = re.compile(
    rf"{_W}*(?:CONFIDENTIAL|SECRET|UNCLASSIFIED|LIMITED OFFICIAL USE){_W}*$"
)

# One pattern per letter, each starting with a single literal (see _LINE_HEAD_RE); the
# Cyrillic ones only for text that is not ASCII. (Probing with `"XXXX" in text` first costs
# more than the scan it would save.)
_WITHHELD_RES = tuple(re.compile(rf"{c}(?={c}{{3}}){c}*") for c in "Xx")
_WITHHELD_CYRILLIC_RES = tuple(re.compile(rf"{c}(?={c}{{3}}){c}*") for c in "Хх")

# The banner: classification word (letter-spaced, plain or garbled), optional SECTION, post
# and serial. Letter-spaced forms are matched case-insensitively ("S e c r e t"), plain words
# only in capitals (so that "Secretary" or "Confidential" at the start of a sentence are not
# banners).
_SP = rf"{_W}?"
_SPACED_CONF = rf"(?i:(?:C{_SP}){{0,2}}O{_W}N{_W}F{_W}I{_W}D{_W}E{_W}N{_W}T{_W}I{_W}A{_W}L)"
_SPACED_SECRET = rf"(?i:(?:T{_W}O{_W}P{_W}+)?(?:S{_SP}){{1,2}}E{_W}C{_W}R{_W}E{_W}T)"
_SPACED_UNCLAS = rf"(?i:(?:U{_SP}){{1,2}}N{_W}C{_W}L{_W}A{_W}S)"
_PLAIN_CLASS = r"(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|U?UNCLAS)"
_BANNER_CORE = (
    rf"{_W}*(?:\"+|\",\"|\.\.\.|Cable dated:\S*?)?{_W}*"
    rf"(?P<cls>{_SPACED_CONF}|{_SPACED_SECRET}|{_SPACED_UNCLAS}|{_PLAIN_CLASS}(?= +\S))"
    rf"(?![A-Za-z])"
    rf"(?P<rest>{_W}*(?:E{_SP}F{_SP}T{_SP}O{_W}+)?"
    rf"(?:(?i:S?ECTION){_W}+\d{{1,2}}{_W}+(?i:[OG]F){_W}+\d{{1,2}}{_W}+)?"
    rf"(?:[A-Za-z][A-Za-z.'\-]*{_W}+){{1,4}}\d{{3,6}}(?!\d))?"
)
# A tab-separated media row may run straight into the banner.
_BANNER_BODY = rf"(?:[^\n]*\t)?{_BANNER_CORE}"
_BANNER_RE = re.compile(rf"^{_BANNER_BODY}", re.M)
_BANNER_SCAN_RE = re.compile(rf"\n{_BANNER_BODY}")
# Without the tab-separated prefix, for the usual line or region with no tab in it (much
# faster: the prefix is otherwise looked for by backtracking over the whole line). The
# look-ahead is a cheap screen: the first character a banner can start with (any case, as
# the letter-spaced forms are read in any case); most preamble lines fail it.
_BANNER_SCREEN = rf"(?={_W}*(?:[\".]|(?i:[costu])))"
_BANNER_NOTAB_RE = re.compile(rf"^{_BANNER_SCREEN}{_BANNER_CORE}", re.M)
_BANNER_SCAN_NOTAB_RE = re.compile(rf"\n{_BANNER_SCREEN}{_BANNER_CORE}")
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,"
# What the first line of a body looks like (cable-format notes, section 2).
_BANNERLOOK = (
    rf"{_W}*(?:\"|\",\")?{_W}*(?:\.\.\.)?{_W}*(?:"
    rf"{_SPACED_CONF}|{_SPACED_SECRET}|{_SPACED_UNCLAS}|{_PLAIN_CLASS} +\S"
    rf"|{_WEEKDAY}|id:{_W}*\d|Cable dated:|<<\d+>>|\d+{_W}*(?:\n|$)"
    rf"|\d{{4}}-\d\d-\d\d \d\d:\d\d(?::\d\d)?\t|\"\d+\",|Class:\t)"
)
_HEADER_SPLIT_RE = re.compile(rf"\n{_W}*\n(?={_BANNERLOOK})")
_BLANK_LINE_RE = re.compile(rf"\n{_W}*\n")

_DTG_RE = re.compile(
    rf"(?:(?P<prec>[ZOPR](?:{_W}+[ZOPR])?){_W}+)?(?P<dtg>\d{{6}}Z{_W}+[A-Za-z]{{3}}{_W}+\d{{2}})\b"
)
_TO_RE = re.compile(rf"TO(?:{_W}+|(?=[A-Z0-9]{{4,}}/))")
_HEADER_PAGE_RE = re.compile(rf"PAGE{_W}+\d{{2,3}}\b")

# Preamble labels. Each alternative is one field type; a field runs to the next label of
# another type or to the end of its block.
_LABEL_RE = re.compile(
    rf"(?P<eo>(?:E\.{_SP}O\.|E\.o\.|(?<![A-Za-z])EO)(?=:?{_W}*:?{_W}*(?:\d{{4,5}}|DECL|N/A)))"
    rf"|(?P<decl>^{_W}*DECL{_W}*:)"
    rf"|(?P<tags>(?<![A-Za-z])(?:TAGS|Tags|TAG|AGS(?={_W}*:))(?:{_W}*:|{_W}+(?=[A-Za-z])))"
    rf"|(?P<subject>(?<![A-Za-z])(?:SUBJECT|Subject|SUBJ){_W}*:)"
    rf"|(?P<ref>(?<![A-Za-z])(?:REF\(S\)|Ref\(s\)|PROGRAM REF|REFTELS?|Reftels?|REFS?|Refs?)"
    rf"{_W}*:|^{_W}*REF{_W}+(?=[A-Z0-9(])|^{_W}*[A-Z]{{1,3}}:(?={_W}+(?:\(?A\)|A\.))"
    # Glued to the subject's last word ("...VISIT TO BAHRAINREF: MANAMA 510"): only where a
    # cable reference follows, so that a word ending in REF is not taken for the label.
    rf"|(?<=[A-Z’'\"])(?:REFS?|REFTELS?):(?={_W}*(?:\(?[A-Z][.)]{_W}*)?(?:\d{{2,4}}{_W}+)?"
    rf"[A-Z]{{3,}}(?:{_W}[A-Z]+)*{_W}+\d))"
    rf"|(?P<cby>(?<![A-Za-z])(?:CLASSIFIED|Classified|Classiied){_W}+(?:BY|By|by)\b"
    rf"|(?<=[A-Z’'\".])(?:Classified|Classiied){_W}+(?:By|by)\b)",
    re.M,
)
# Labels are found through these substrings (str.find is far faster than a regex with many
# alternatives), then confirmed by _LABEL_RE at the offset given.
_LABEL_KEYS = (
    ("E.", 0), ("EO", 0), ("DECL", 0), ("TAG", 0), ("Tag", 0), ("AGS", 0), ("SUBJ", 0),
    ("Subj", 0), ("REF", 0), ("Ref", 0), ("PROGRAM REF", 0), ("LASSIFIED", 1),
    ("lassified", 1), ("lassiied", 1),
)
_U_BEFORE_RE = re.compile(rf"\(U\){_W}*$")
# The E.O. statement itself, not an order named in running text.
_EO_LINE_RE = re.compile(
    rf"(?:E\.{_SP}O\.|E\.o\.|EO){_W}*:?{_W}*(?:\d{{4,5}}{_W}*:?{_W}*)?(?i:DECL|N/A|DNG)"
)
_BACKSLASH_LINE_RE = re.compile(rf"{_W}*\\{_W}*")
# A line that can continue a TAGS list: tag codes, person tags in parentheses, commas; not
# body text (lower case), metadata lines ("id: 67870", "DATE:") or a marked paragraph.
_TAGS_LINE_RE = re.compile(
    rf"{_W}*+(?:[A-Z][A-Z0-9&/\-]*+(?:{_W}*+\([^()\n]*+\))?+{_W}*+[,;]?+{_W}*+)++\\?{_W}*"
)
# The same for a list written in lower case: short codes only, so that body text (in lower
# case too) does not pass.
_TAGS_LINE_LOWER_RE = re.compile(
    rf"{_W}*+(?:[a-z][a-z0-9&/\-]{{0,5}}+(?:{_W}*+\([^()\n]*+\))?+{_W}*+[,;]?+{_W}*+)++\\?{_W}*"
)
# A line that cannot continue a SUBJECT: the body's handling notice, a heading over a rule.
_SUBJECT_STOP_RE = re.compile(
    rf"{_W}*(?:(?:ENTIRE{_W}+TEXT{_W}+)?(?i:SENSITIVE{_W}+BUT{_W}+UNCLASSIFIED)"
    rf"|(?:SUMMARY|Summary)(?:{_W}*(?:-{{3,}}|:)|{_W}*$))"
)
# Where a SUBJECT on one (collapsed) line runs on: a page-break line, the handling notice,
# "SUMMARY" over a rule or with a colon, a tab, a marked first paragraph.
_SUBJECT_TAIL_RE = re.compile(
    rf"{_W}+(?:[A-Z][A-Z ]{{1,30}}{_W}+\d{{6,8}}{_W}+\d{{3}}(?:\.\d)?{_W}+OF{_W}+\d{{3}}"
    rf"|(?:ENTIRE{_W}+TEXT{_W}+)?(?i:SENSITIVE{_W}+BUT{_W}+UNCLASSIFIED)\b"
    rf"|(?:SUMMARY|Summary){_W}*(?:-{{3,}}|:)"
    rf"|\d{{1,2}}{_W}*\.{_W}*\({_W}*(?:U|SBU|C|S|TS)(?:/[A-Z/ ]+)?\))"
    rf"|\t"
)
# The look-ahead is a cheap screen (the first letter of a caveat word, in any case) that
# rejects most lines before the case-insensitive alternatives are tried one by one.
_CAVEAT_LINE_RE = re.compile(
    r"(?=[^\S\n]*(?i:[celns]))"
    r"(?i:[^\S\n]*(?:(?:SIPDIS|NOFORN|SENSITIVE|EXDIS|NODIS|LIMDIS|STADIS|E F T O|EFTO"
    r"|SECRET|CONFIDENTIAL)[^\S\n]*)+)$"
)
_CAVEAT_WORD_RE = re.compile(r"(?i:SIPDIS|NOFORN|SENSITIVE|EXDIS|NODIS|LIMDIS|STADIS|E F T O|EFTO)")
_EFTO_RE = re.compile(r"E[^\S\n]?F[^\S\n]?T[^\S\n]?O")
_LETTER_START_RE = re.compile(rf"{_W}*(?:\(?[A-Za-z]\)|[A-Za-z]\.){_W}")
# A line that ends a wrapped TAGS/SUBJECT/Classified By field.
_STOP_LINE_RE = re.compile(
    rf"{_W}*(?:\.\.\.|\"|<<|[A-Z]{{1,3}}:{_W}+(?:\(?A\)|A\.)|{_SPACED_CONF}|{_SPACED_SECRET}|(?:\d{{1,3}}{_W}*[.)]{_W}*)?"
    rf"\({_W}*(?i:TS|SBU|S|C|U)\b[^)\n]{{0,30}}\)|(?:[-=]{_W}?){{3,}})"
)

_DECL_RE = re.compile(
    rf"(?:(?:E\.{_SP}O\.|EO|E\.o\.){_W}*:?{_W}*(?P<order>\d{{4,5}})?{_W}*:?{_W}*)?"
    rf"(?:(?i:DECL|DNG){_W}*:?{_W}*)?"
)
_DATE_RES = (
    (re.compile(r"(?<!\d)(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?!\d)"), "ymd"),
    (re.compile(r"(?<!\d)(\d{1,2})[/-](\d{1,2})[/-](\d{4}|\d{2})(?!\d)"), "mdy"),
)

_CBY_LABEL_RE = re.compile(
    r"(?:\(U\)\s*)?(?:CLASSIFIED|Classified|Classiied)\s+(?:BY|By|by)\b\s*:?\s*"
    r"(?:(?:CLASSIFIED|Classified)\s+(?:BY|By|by)\b\s*:?\s*)?"
)
_REASON_KW_RE = re.compile(
    r"(?i)[,;.]?\s*(?:\b(?:for|per|under)\s+)?(?:\breasons?\b\s*:?|(?=\b1\s*\.\s*[456]\b))"
)
_BY_ORDER_RE = re.compile(r"[,;]?\s*(?:E\.\s?O\.|EO)\s*\d{4,5}\s*[,;:]?\s*$")
_SECTION_RE = re.compile(r"\b1\s*\.\s*([4-6])(?!\d)\s*\.?")
_SECTION_AGAIN_RE = re.compile(
    r"\s*(?:and\s+|&\s*)?1\s*\.\s*([4-6])(?!\d)\s*\.?(?=\s*\(?[a-h]\b)", re.I
)
# One token of a reasons list: "(b)", "b", "and" (also "a nd", split by a line wrap, tried
# before the letter "a"), "&", "+", ",", "/", "." between letters, "-" of a range ("(b)-(d)").
_REASON_TOKEN_RE = re.compile(
    r"\s*(?:(a\s?n\s?d)(?![a-z])|\(\s*([a-h])\s*\)|([a-h])(?![a-z0-9])|(-|through|thru)"
    r"|&|\+|,|/|\.(?=\s*\(?[a-h]\b)|\(|\))",
    re.I,
)

_REF_LETTER_RE = re.compile(
    r"(?<![A-Za-z0-9.])(?:\((?P<l1>[A-Za-z])\)|(?P<l2>[A-Za-z])[.)])(?=\s|$)"
)
_REF_DUP_LABEL_RE = re.compile(r"(?:\(?([A-Za-z])\)|([A-Za-z])[.:])\s*")
# Labels before the cable named in a REF item: "A.", "(B)", "REF:", "REF B", "REFTEL".
_REF_LEADING_RE = re.compile(
    r"^(?:(?:\(?[A-Z]\)|[A-Z][.:])\s*|REF(?:TELS?|S)?\b(?:\s+[A-Z]\b)?\s*:?\s*)+"
)
_CABLE_REF_RE = re.compile(
    r"(?:\(?(?P<y>\d{4}|\d{2})\)?\s+)?(?P<post>[A-Z][A-Z'\-]*(?:\s[A-Z][A-Z'\-]*){0,3})"
    r"\s+0*(?P<serial>\d{1,6})(?![\d/])"
)
_REF_REST_OK_RE = re.compile(r"\s*(?:$|[.,;:(\[]|AND\b|-|NOTAL|\.\.\.)")
_REF_NON_POST_WORDS = frozenset(
    "EMAIL E-MAIL MSG DTG IIR POINTS LETTER MEMO FAX TELCON MEETING NOTE PARA PARAGRAPH "
    "JAN FEB MAR APR MAY JUN JUL AUG SEP SEPT OCT NOV DEC JANUARY FEBRUARY MARCH APRIL JUNE "
    "JULY AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER AND OF PAGE SECTION DAILY REPORT EMAILS "
    "XXXXXXXXXXXX".split()
)
# Lines after the signature: the end marks, the mirror's trailers of older cables ("2001VATICA03507
# - Classification: CONFIDENTIAL", a lone classification, ">"), the partial-extract note.
_TRAILER_RE = re.compile(
    r"(?:=+\s*CABLE ENDS\s*=+|NNNN|End Cable Text|[\"\\.\s>,]*|\d{1,2}/\d{1,2}/\d{2,4}"
    r"|Declassified/Released.*|Systematic Review.*"
    r"|\d{4}[A-Z]+\d+\s*-\s*(?:Clas.*|(?:UNCLASSIFIED|CONFIDENTIAL|SECRET).*)"
    r"|(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED|UNCLAS)[\s\"/A-Z]*"
    r"|.*original cable is not available\.?)",
    re.I,
)
_NAME_RE = re.compile(
    r"(?:(?:van|von|de|del|da|di|le|la|du)\s)?[A-Z][A-Za-z'’.\-]*"
    r"(?:\s(?:(?:van|von|de|del|da|di|le|la|du)\s)?[A-Z][A-Za-z'’.\-]*){0,3}"
)
# A signature glued to the last sentence: "... as warranted. McMullen", "... END COMMENT. KENNY".
_GLUED_SIGNATURE_RE = re.compile(
    r"[.!?\"”)]\s+(?P<name>[A-Z]{3,}(?:\s[A-Z]{2,})?|(?:Mc|Mac)?[A-Z][a-z]{2,}(?:-[A-Z][a-z]+)?)$"
)
_NOT_NAMES = frozenset(
    "END COMMENT SUMMARY NOTE TEXT BEGIN NNNN SIPDIS NOFORN CLASSIFIED UNCLASSIFIED "
    "CONFIDENTIAL SECRET SENSITIVE UNCLAS REPORT CABLE".split()
)

# Words that end a last sentence without being a signature.
_NOT_GLUED_NAMES = frozenset(
    "ACCORDINGLY COMMENT SUMMARY END TEXT NOTE WASHINGTON DEPARTMENT EMBASSY POST STATE "
    "THANKS THANK YES NO OK DONE".split()
)
_REF_ID_RE = re.compile(r"\d{2}[A-Z]+\d+")
_HOME_RE = re.compile(r"\d{2}([A-Z]+?)\d+$")
_UNKNOWN_POST_RE = re.compile(r"[A-Z]{3,}(?: [A-Z]{3,})?")
_BANNER_SECTION_RE = re.compile(r"S\s?E\s?C\s?T\s?I\s?O\s?N\s+0*(\d{1,2})\s+OF\s+0*(\d{1,2})\b")
_META_DATE_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d)")
_KNOWN_CLASSIFICATIONS = frozenset(
    {
        "CONFIDENTIAL",
        "CONFIDENTIAL//NOFORN",
        "SECRET",
        "SECRET//NOFORN",
        "UNCLASSIFIED",
        "UNCLASSIFIED//FOR OFFICIAL USE ONLY",
        "TOP SECRET",
    }
)
_RANK = {"U": 0, "C": 1, "S": 2, "TS": 3}
_MARK_LEVEL_RE = re.compile(r"(TS|SBU|SE|FOUO|S|C|U)(?![A-Z])")
_MARK_WORD_RE = re.compile(r"[A-Z]+")
_REL_SPLIT_RE = re.compile(r"[\s,/]+")
_INFO_LOG_RE = re.compile(r"INFO\s+LOG-")
_PARENS_RE = re.compile(r"\([^()]*\)")
_TAG_TOKEN_RE = re.compile(r"\S+(?:\s+\([^()]*\))?")
_REF_SPLIT_RE = re.compile(r"[;\n]")
_SUBJECT_AGAIN_RE = re.compile(r"(?:SUBJECT|Subject)[^\S\n]*:")
_PARTIAL_EXTRACT = "This record is a partial extract"
_HEADER_KEYWORD_HEADS = frozenset({"TO", "IN", "XM", "PA", "FM", "Th"})
_CLASS_BLOCK_RE = re.compile(
    rf"^{_W}*(?P<line>(?:TOP SECRET|SECRET|CONFIDENTIAL|UNCLASSIFIED)(?://[A-Z0-9][A-Z0-9 \-]*)+)"
    rf"{_W}*(?=\n|$)",
    re.M,
)
_PASTED_RE = re.compile(
    r"^(?:\d+\t[\d/ :-]+\t(?P<rid>\d{2}[A-Z]+\d+)\t|VZCZC[A-Z0-9]{4,}[^\S\n]*\\?[^\S\n]*$)",
    re.M,
)
_DE_SERIAL_RE = re.compile(r"\nDE [A-Z]+ #(\d+)")
# Text with nothing to review: CSV escapes and rules between blank lines.
_NOTHING_RE = re.compile(r"[-=_*\\\s]+")
_RULE_ONLY_RE = re.compile(r"[-=_*\s]+")
_BLOCK = "block"  # the "unknown" flag of a portion start marked by a classification block
_FIRST = itemgetter(0)
_FIRST_TWO = itemgetter(0, 1)
_START = attrgetter("start")


# --------------------------------------------------------------------------- helpers


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink ``[start, end)`` past surrounding whitespace (U+2028 included)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _field(text: str, start: int, end: int) -> TextField | None:
    start, end = _strip_span(text, start, end)
    if start >= end:
        return None
    return _text_field(text[start:end], start, end)


def _line_end(text: str, pos: int, limit: int) -> int:
    nl = text.find("\n", pos, limit)
    return limit if nl < 0 else nl


def _is_blank(text: str, start: int, end: int) -> bool:
    return start >= end or text[start:end].isspace()


def _search_page_break(text: str, start: int, end: int) -> re.Match[str] | None:
    """``_PAGE_BREAK_RE.search`` in ``[start, end)``.

    That pattern starts with a look-behind and a class, so the engine tries it at every
    position; both of its forms contain "OF" or "PAGE", and str.find rules most lines out.
    """
    if text.find("OF", start, end) < 0 and text.find("PAGE", start, end) < 0:
        return None
    return _PAGE_BREAK_RE.search(text, start, end)


def _match_banner(text: str, pos: int, end: int) -> re.Match[str] | None:
    """``_BANNER_RE.match(text, pos, end)``, faster on a line without a tab."""
    nl = text.find("\n", pos, end)
    if text.find("\t", pos, end if nl < 0 else nl) < 0:
        return _BANNER_NOTAB_RE.match(text, pos, end)
    return _BANNER_RE.match(text, pos, end)


def _join_lines(chunk: str) -> str:
    """Join wrapped lines with single spaces (dropping CSV-escape backslashes at line ends)."""
    parts = []
    for line in chunk.split("\n"):
        line = line.strip()
        if line.endswith("\\"):
            line = line[:-1].rstrip()
        if line:
            parts.append(line)
    return " ".join(parts)


_PERSON_WORD_RE = re.compile(r"[A-Z][A-Z'\-]{3,}")


def _join_person_tags(tags: list[str]) -> tuple[str, ...]:
    """Keep a person tag written without parentheses whole: ``OVIP RICE CONDOLEEZZA``.

    After ``OVIP`` (a visit) the tag names the visitor: a surname and a given name, written
    ``OVIP (RICE, CONDOLEEZZA)`` or without the parentheses. Two words of four letters or
    more, the second of five or more (tag codes are shorter), are read as the person.
    """
    out: list[str] = []
    i = 0
    while i < len(tags):
        t = tags[i]
        if (
            t == "OVIP"
            and i + 2 < len(tags)
            and _PERSON_WORD_RE.fullmatch(tags[i + 1])
            and _PERSON_WORD_RE.fullmatch(tags[i + 2])
            and len(tags[i + 2]) >= 5
        ):
            out.append(f"OVIP {tags[i + 1]} {tags[i + 2]}")
            i += 3
            continue
        out.append(t)
        i += 1
    return tuple(out)


def _parse_date(s: str) -> date | None:
    """The first date written in ``s`` (m/d/yyyy, m/d/yy, yyyy/mm/dd, mm-dd-yy), or None."""
    for regex, order in _DATE_RES:
        m = regex.search(s)
        if not m:
            continue
        a, b, c = (int(g) for g in m.groups())
        if order == "ymd":
            y, mo, d = a, b, c
        else:
            mo, d, y = a, b, c
            if len(m.group(3)) == 2:
                # Two-digit years: the corpus runs 1966-2010 and instructions point ahead.
                y += 2000 if y < 50 else 1900
        try:
            return date(y, mo, d)
        except ValueError:
            return None
    return None


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


# --------------------------------------------------------------------------- the parser


@dataclass
class _Field:
    kind: str
    start: int  # label start
    label_end: int
    end: int


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.warnings: list[ParseWarning] = []
        self.page_breaks: list[TextField] = []
        self._pb_starts: list[int] = []
        self.home: str | None = None  # the station of this cable's canonical id

    def warn(self, code: str, message: str, start: int) -> None:
        self.warnings.append(ParseWarning(code, message, max(0, min(start, self.n))))

    # ---------------------------------------------------------------- metadata

    def metadata(self) -> tuple[list[TextField | None], int]:
        """The five metadata lines, and the offset of the newline ending line 5 (or n)."""
        text = self.text
        out: list[TextField | None] = []
        pos = 0
        last_nl = self.n
        for _ in range(5):
            if pos > self.n:
                out.append(None)
                continue
            nl = text.find("\n", pos)
            end = self.n if nl < 0 else nl
            out.append(_field(text, pos, end))
            last_nl = end
            pos = end + 1
        return out, last_nl

    def meta_datetime(self, f: TextField | None, what: str) -> datetime | None:
        if f is None:
            return None
        m = _META_DATE_RE.fullmatch(f.value)
        if m:
            try:
                return datetime(*map(int, m.groups()))
            except ValueError:
                pass
        self.warn("bad-date", f"{what} date is not YYYY-MM-DD HH:MM: {f.value[:40]!r}", f.start)
        return None

    # ---------------------------------------------------------------- header

    def split_header(self, meta_end: int) -> tuple[int, int, int]:
        """Return (header_start, header_end, body_start)."""
        text, n = self.text, self.n
        if meta_end >= n:
            return n, n, n
        m = _HEADER_SPLIT_RE.search(text, meta_end)
        if m:
            return meta_end + 1, m.start(), m.end()
        # Fallback: first blank line after the first non-blank header line.
        pos = meta_end + 1
        while pos < n and text[pos].isspace():
            pos += 1
        b = _BLANK_LINE_RE.search(text, pos)
        if b:
            return meta_end + 1, b.start(), b.end()
        return meta_end + 1, meta_end + 1, meta_end + 1

    def header(self, start: int, end: int) -> Header | None:
        """The telegram envelope in ``[start, end)``; None (and a warning) if it is empty."""
        text = self.text
        prec = dtg = None
        sender = None
        to: list[TextField] = []
        info: list[TextField] = []
        partial = False
        state = None
        first = last = None
        pos = start
        for raw in text[start:end].split("\n"):
            line_pos = pos
            pos += len(raw) + 1
            line = raw.strip()
            if not line:
                state = None
                continue
            a = line_pos + len(raw) - len(raw.lstrip())
            b = a + len(line)
            if first is None:
                first = a
            last = b
            head = line[:2]
            # Recipient lists are most of the envelope: take them on the fast path.
            if state is not None and head not in _HEADER_KEYWORD_HEADS:
                (to if state == "to" else info).append(_text_field(line, a, b))
                continue
            if line.startswith(_PARTIAL_EXTRACT):
                partial = True
                state = None
                continue
            if head in ("PA", "TO") and (
                _HEADER_PAGE_RE.match(line) or _HEADER_PAGE_RE.search(line, 2, 12)
            ):
                pm = _HEADER_PAGE_RE.search(text, a, b)
                ps = pm.start() if pm else a
                self.page_breaks.append(_text_field(text[ps:b], ps, b))
                if head == "TO":
                    state = "to"
                continue
            if dtg is None:
                m = _DTG_RE.match(line)
                if m:
                    prec, dtg = m.group("prec"), m.group("dtg")
                    state = None
                    continue
            if line.startswith("FM "):
                sender = _field(text, a + 3, b)
                state = None
                continue
            m = _TO_RE.match(line)
            if m and state != "info":
                state = "to"
                f = _field(text, a + m.end(), b)
                if f:
                    to.append(f)
                continue
            if line.startswith("INFO"):
                if _INFO_LOG_RE.match(line):
                    state = None
                    continue
                state = "info"
                f = _field(text, a + 4, b)
                if f:
                    info.append(f)
                continue
            if line.startswith("XMT "):
                state = None
                continue
            if state == "to":
                to.append(_text_field(line, a, b))
            elif state == "info":
                info.append(_text_field(line, a, b))
        if first is None:
            self.warn("no-header", "no telegram header (no FM, TO or date-time group)", start)
            return None
        if dtg is None and sender is None and not to:
            self.warn("no-header", "the header holds no FM, TO or date-time group", first)
        return Header(prec, dtg, sender, tuple(to), tuple(info), partial, first, last)

    # ---------------------------------------------------------------- banner, preamble

    def find_first_numbered(self, start: int, end: int) -> int | None:
        """Offset of the first line that starts a marked numbered portion (or "1.")."""
        scan_from = start - 1 if start > 0 and self.text[start - 1] == "\n" else start
        for m in _NUM_SCAN_RE.finditer(self.text, scan_from, end):
            if m.group("mark") or m.group("num") == "1":
                return m.start("num")
        return None

    def banners(self, start: int, end: int) -> list[re.Match[str]]:
        text = self.text
        out = []
        if start == 0 or text[start - 1] == "\n":
            head = _match_banner(text, start, end)
            if head:
                out.append(head)
        scan = _BANNER_SCAN_RE if text.find("\t", start, end) >= 0 else _BANNER_SCAN_NOTAB_RE
        out.extend(scan.finditer(text, start, end))
        return out

    def labels(self, start: int, end: int) -> list[tuple[str, int, int]]:
        """Preamble labels in ``[start, end)``: (kind, label start, label end), in order."""
        text = self.text
        found: dict[int, tuple[str, int, int]] = {}
        for key, off in _LABEL_KEYS:
            pos = text.find(key, start, end)
            while pos >= 0:
                at = pos - off
                m = _LABEL_RE.match(text, at, end) if at >= start else None
                if m is None:
                    ls = text.rfind("\n", start, pos) + 1
                    if ls > start and _is_blank(text, ls, pos):
                        m = _LABEL_RE.match(text, ls, end)
                if m is not None:
                    kind = m.lastgroup or ""
                    s0 = m.start(kind)
                    if kind == "decl":
                        s0 = text.index("DECL", s0)
                    elif kind == "cby":
                        u = _U_BEFORE_RE.search(text, max(start, s0 - 8), s0)
                        if u:
                            s0 = u.start()
                    if s0 not in found:
                        found[s0] = (kind, s0, m.end())
                pos = text.find(key, pos + len(key), end)
        return [found[k] for k in sorted(found)]

    def block_end(self, kind: str, label_line_end: int, limit: int, lettered: bool) -> int:
        """Where a field whose label line ends at ``label_line_end`` ends (at most ``limit``).

        E.O. statements are one line. TAGS, SUBJECT and Classified By run over their wrapped
        lines up to a blank line or a line that cannot continue them. A lettered REF list also
        runs over blank lines and page breaks while the next line starts with a letter label.
        """
        text = self.text
        end = min(label_line_end, limit)
        if kind in ("eo", "decl"):
            return end
        tags_line = _TAGS_LINE_RE
        if kind == "tags":
            ls = text.rfind("\n", 0, label_line_end) + 1
            if text[ls:label_line_end].split(None, 1)[-1:] and (
                text[ls:label_line_end].split(None, 1)[-1].islower()
            ):
                tags_line = _TAGS_LINE_LOWER_RE  # "tags: ovip (steinberg, james b.) prel"
        pos = label_line_end + 1
        while pos < limit:
            le = _line_end(text, pos, limit)
            # A line holding only the CSV escape "\\" is a blank line of the original.
            if _is_blank(text, pos, le) or _BACKSLASH_LINE_RE.fullmatch(text, pos, le):
                if kind != "ref" or not lettered:
                    break
                nxt = pos
                while nxt < limit:
                    ne = _line_end(text, nxt, limit)
                    if not _is_blank(text, nxt, ne) and not self.is_page_break_line(nxt, ne):
                        break
                    nxt = ne + 1
                if (
                    nxt < limit
                    and _LETTER_START_RE.match(text, nxt)
                    and not _LETTER_LINE_RE.match(text, nxt)
                ):
                    pos = nxt
                    continue
                break
            if (
                _STOP_LINE_RE.match(text, pos)
                or (kind == "tags" and not tags_line.fullmatch(text, pos, le))
                or (kind == "subject" and _SUBJECT_STOP_RE.match(text, pos, le))
                or self.is_page_break_line(pos, le)
                or _match_banner(text, pos, self.n)
                or (kind != "ref" and _NUM_LINE_RE.match(text, pos))
            ):
                break
            end = le
            pos = le + 1
        return end

    def is_page_break_line(self, a: int, b: int) -> bool:
        m = _search_page_break(self.text, a, b)
        if not m:
            return False
        return _is_blank(self.text, a, m.start()) and _is_blank(self.text, m.end(), b)

    def preamble_fields(
        self,
        regions: list[tuple[int, int]],
        limit: int | None,
        all_labels: list[tuple[str, int, int]] | None = None,
    ) -> dict[str, _Field]:
        """The first field of each type, looking in ``regions`` in order of preference.

        A field ends at the end of its block (see :meth:`block_end`, never past ``limit``,
        the first numbered paragraph, except for Classified By which may be inside it) or at
        the next label of another type, whichever comes first. Labels of the same type do
        not end a field: ``SUBJECT: (C) SUBJECT: ...``, ``REF: A. REFTELS: (A) ...``.
        """
        text = self.text
        found: dict[str, _Field] = {}
        for rstart, rend in regions:
            if all_labels is None:
                labels = self.labels(rstart, rend)
            else:
                labels = [lb for lb in all_labels if rstart <= lb[1] and lb[2] <= rend]
            for i, (kind, s, le) in enumerate(labels):
                key = "eo" if kind == "decl" else kind
                if key in found and not (
                    # Where the preamble appears twice, a copy truncated by the mirror
                    # ("SUBJECT: SURVEILLANCE OF U.S...") gives way to a later one.
                    s >= found[key].end and self.truncated(found[key])
                ):
                    continue
                line_end = _line_end(text, le, self.n)
                if kind == "cby" or limit is None:
                    lim = self.n
                else:
                    lim = max(limit, line_end)
                lettered = kind == "ref" and bool(_LETTER_START_RE.match(text, le))
                if kind == "subject" and _is_blank(text, le, line_end):
                    # "SUBJECT:" alone, the subject after a blank line.
                    nxt = line_end + 1
                    for _ in range(2):
                        ne = _line_end(text, nxt, lim)
                        if nxt >= lim or not _is_blank(text, nxt, ne):
                            break
                        nxt = ne + 1
                    if nxt < lim and not (
                        _STOP_LINE_RE.match(text, nxt) or _NUM_LINE_RE.match(text, nxt)
                    ):
                        line_end = _line_end(text, nxt, lim)
                end = self.block_end(kind, line_end, lim, lettered)
                for kind2, s2, _ in labels[i + 1 :]:
                    if s2 >= end:
                        break
                    if (
                        kind in ("subject", "cby")
                        and kind2 == "eo"
                        and not _EO_LINE_RE.match(text, s2)
                    ):
                        # An order named in the field, not the E.O. statement: "SUBJECT:
                        # E.O. 13382 ENTITIES", "Classified by ...; E.O. 12958, reasons 1.4".
                        continue
                    if kind2 != kind and {kind, kind2} != {"eo", "decl"}:
                        end = s2
                        break
                end = _strip_span(text, s, end)[1]
                candidate = _Field(key, s, le, max(end, le))
                if key in found and self.truncated(candidate):
                    continue
                found[key] = candidate
        return found

    def truncated(self, f: _Field) -> bool:
        """Whether a field's text ends in the mirror's truncation mark ("...", "…")."""
        tail = self.text[max(f.label_end, f.end - 4) : f.end].rstrip(" \\")
        return tail.endswith(("...", "…")) or f.end <= f.label_end

    # ---------------------------------------------------------------- field parsers

    def decl(self, f: _Field) -> Decl:
        s = self.text[f.start : f.end]
        m = _DECL_RE.match(s)
        order = m.group("order") if m else None
        instr = _join_lines(s[m.end() :] if m else s)
        instr = instr.rstrip("\\ ").strip()
        return Decl(order, instr, _parse_date(instr), f.start, f.end)

    def tags(self, f: _Field) -> tuple[tuple[str, ...], TextField | None]:
        text = self.text
        span = _field(text, f.label_end, f.end)
        if span is None:
            return (), None
        out: list[str] = []
        for line in span.value.split("\n"):
            line = line.strip().rstrip("\\").strip()
            if not line:
                continue
            outside = _PARENS_RE.sub("", line) if "(" in line else line
            parts = line.split(",") if "," in outside else None
            if parts is not None:
                # Re-join commas that fell inside parentheses (person tags).
                merged: list[str] = []
                depth = 0
                for p in parts:
                    if depth > 0 and merged:
                        merged[-1] += "," + p
                    else:
                        merged.append(p)
                    depth += p.count("(") - p.count(")")
                tokens = [" ".join(p.split()) for p in merged]
            else:
                tokens = _TAG_TOKEN_RE.findall(line)
                fixed: list[str] = []
                for t in tokens:
                    if t.startswith("(") and fixed:
                        fixed[-1] += " " + t
                    else:
                        fixed.append(t)
                tokens = fixed
            out.extend(t.upper() for t in tokens if t and t not in ("\\",))
        return _join_person_tags(out), span

    def subject(self, f: _Field) -> tuple[TextField | None, Marking | None]:
        text = self.text
        a, b = _strip_span(text, f.label_end, f.end)
        marking = None
        m = _MARK_I_RE.match(text, a, b)
        if m:
            marking, note = make_marking(m.group(0), m.start(), m.end())
            if note:
                self.warn("nonstandard-marking", f"subject marking {m.group(0)}: {note}", a)
            a, b = _strip_span(text, m.end(), b)
            again = _SUBJECT_AGAIN_RE.match(text, a, b)
            if again:
                a, b = _strip_span(text, again.end(), b)
        tail = _SUBJECT_TAIL_RE.search(text, a, b)
        if tail is not None and tail.start() > a:
            b = _strip_span(text, a, tail.start())[1]
        if b > a and text[b - 1] == "\\":
            a, b = _strip_span(text, a, b - 1)
        if a >= b:
            return None, marking
        return _text_field(_join_lines(text[a:b]), a, b), marking

    def classified_by(self, f: _Field) -> ClassifiedBy:
        joined = _join_lines(self.text[f.start : f.end])
        m = _CBY_LABEL_RE.match(joined)
        body = joined[m.end() :] if m else joined
        kw = _REASON_KW_RE.search(body)
        by_text = body[: kw.start()] if kw else body
        # "CDA Robert Deutsch; E.O. 12958, reasons ...": the order is not part of the name.
        by_text = _BY_ORDER_RE.sub("", by_text)
        by = by_text.strip(" ,;.:") or None
        reasons: list[str] = []
        sec = _SECTION_RE.search(body, kw.start() if kw else 0)
        while sec:
            pos = sec.end()
            ranged = False
            while True:
                t = _REASON_TOKEN_RE.match(body, pos)
                if not t or t.end() == pos:
                    break
                letter = t.group(2) or t.group(3)
                if letter:
                    letter = letter.upper()
                    first = ord(reasons[-1][-2]) + 1 if ranged and reasons else ord(letter)
                    for code in range(first, ord(letter) + 1):
                        reasons.append(f"1.{sec.group(1)}({chr(code)})")
                ranged = bool(t.group(4)) and bool(reasons)
                pos = t.end()
            # "1.5 (b) and 1.5 (d)": the section written again.
            sec = _SECTION_AGAIN_RE.match(body, pos)
        return ClassifiedBy(joined, by, tuple(dict.fromkeys(reasons)), f.start, f.end)

    def references(self, f: _Field, year: str | None) -> tuple[Reference, ...]:
        text = self.text
        a, b = _strip_span(text, f.label_end, f.end)
        if a >= b:
            return ()
        items: list[tuple[str | None, int, int, int]] = []  # label, start, text start, end
        first = _REF_LETTER_RE.match(text, a, b)
        letter0 = (first.group("l1") or first.group("l2")) if first else None
        if letter0 and letter0 in "Aa":
            expected = ord("A")
            starts = []
            for m in _REF_LETTER_RE.finditer(text, a, b):
                letter = m.group("l1") or m.group("l2")
                if ord(letter.upper()) == expected:
                    starts.append((letter, m.start(), m.end()))
                    expected += 1
            for i, (letter, s, te) in enumerate(starts):
                e = starts[i + 1][1] if i + 1 < len(starts) else b
                items.append((letter, s, te, e))
        else:
            pos = a
            for m in _REF_SPLIT_RE.finditer(text, a, b):
                items.append((None, pos, pos, m.start()))
                pos = m.end()
            items.append((None, pos, pos, b))
        out: list[Reference] = []
        for label, s, ts, e in items:
            while e > ts and (text[e - 1].isspace() or text[e - 1] in ";,"):
                e -= 1
            ts2, e = _strip_span(text, ts, e)
            if ts2 >= e:
                continue
            if label is None:
                # Unlettered items separated by commas: split only when every part names
                # a cable ("MADRID 5426, MADRID 5425"), not "STATE CA-3400 NOV 2, 1966".
                chunk = text[ts2:e]
                parts = chunk.split(",")
                if len(parts) > 1 and all(self.cable_id(p, year, self.home) for p in parts):
                    off = ts2
                    for p in parts:
                        pa, pb = _strip_span(text, off, off + len(p))
                        off += len(p) + 1
                        if pa < pb:
                            cid, known = self.cable_ref(text[pa:pb], year, self.home)
                            out.append(Reference(None, text[pa:pb], cid, pa, pb, known))
                    continue
            item = " ".join(_join_lines(text[ts2:e]).split())
            if label is not None:
                # The label written again: "A. A. 07 BAGHDAD 03668", "A) (A) PARAMARIBO 501".
                dup = _REF_DUP_LABEL_RE.match(item)
                if dup and (dup.group(1) or dup.group(2)) == label:
                    item = item[dup.end() :]
            cid, known = self.cable_ref(item, year, self.home)
            out.append(Reference(label, item, cid, s, e, known))
        return tuple(out)

    @staticmethod
    def cable_id(item: str, year: str | None, home: str | None = None) -> str | None:
        """The canonical id of the cable an item names ("2008 LONDON 3082" -> "08LONDON3082")."""
        return _Parser.cable_ref(item, year, home)[0]

    @staticmethod
    def cable_ref(item: str, year: str | None, home: str | None = None) -> tuple[str | None, bool]:
        """``(canonical id or None, whether its station is known)`` for a REF item.

        The station is made canonical by :func:`redactor.cables.stations.canonical_station`;
        the year is the item's own ("2008", "08", "(08)") or else the citing cable's.
        """
        joined = " ".join(item.split())
        lead = _REF_LEADING_RE.match(joined.upper())
        written = joined[lead.end() :] if lead else joined
        s = written.upper()
        m = _CABLE_REF_RE.match(s)
        if not m or not _REF_REST_OK_RE.match(s, m.end()):
            return None, False
        y = m.group("y")
        yy = y[-2:] if y else year
        if yy is None:
            return None, False
        words = m.group("post").split()
        cid, known = canonical_id(yy, " ".join(words), m.group("serial"), home)
        if not known and (
            any(w in _REF_NON_POST_WORDS for w in words)
            or not _UNKNOWN_POST_RE.fullmatch(written[m.start("post") : m.end("post")])
        ):
            # A station no rule knows is kept only where it looks like one: one or two
            # words of letters, written in capitals ("NAGOYA 003", "NUEVO LAREDO 31"), not
            # "approximately 6", "EVANS-MAHER EMAILS 8" or a withheld "XXXXXXXXXXXX 167".
            return None, False
        return cid, known

    # ---------------------------------------------------------------- body scans

    def scan_page_breaks(self, start: int, end: int) -> None:
        """Record page-break lines (and mid-line page breaks of collapsed cables)."""
        text = self.text
        last_end = start
        for m in _PAGE_NUMBERS_RE.finditer(text, start, end):
            # The space before the serial must be in the region too.
            if m.start() > start and m.start() >= last_end:
                post = _PAGE_POST_RE.search(text, max(start, m.start() - 40), m.start())
                if post:
                    a, b = post.start(), m.end()
                    self.page_breaks.append(_text_field(text[a:b], a, b))
                    last_end = b
        # A match runs to the end of its line, so no other page header can start inside it.
        for m in _OLD_PAGE_RE.finditer(text, start, end):
            pos = m.start()
            ls = text.rfind("\n", start, pos) + 1
            if _is_blank(text, max(ls, start), pos):
                a, b = _strip_span(text, pos, m.end())
                value = text[a:b]
                # Old cables repeat the classification above each page header.
                prev_end = ls - 1
                for _ in range(3):
                    if prev_end <= start:
                        break
                    prev_start = max(text.rfind("\n", start, prev_end) + 1, start)
                    if _is_blank(text, prev_start, prev_end):
                        prev_end = prev_start - 1
                        continue
                    if _CLASS_ONLY_LINE_RE.fullmatch(text, prev_start, prev_end):
                        a = _strip_span(text, prev_start, prev_end)[0]
                    break
                self.page_breaks.append(_text_field(value, a, b))

    def scan_withheld(self, start: int, end: int) -> tuple[TextField, ...]:
        """WikiLeaks' redaction runs: 4+ X (Latin or Cyrillic, either case).

        Upper-case runs count wherever they are (they are often glued to a word:
        ``businessmanXXXXXXXXXXXX``); lower-case runs only as a word of their own.
        Runs mixing the two alphabets are not recognised.
        """
        text = self.text
        out: list[TextField] = []
        regexes = _WITHHELD_RES if text.isascii() else _WITHHELD_RES + _WITHHELD_CYRILLIC_RES
        for regex in regexes:
            for m in regex.finditer(text, start, end):
                a, b = m.span()
                if m.group(0).islower() and (
                    (a > 0 and text[a - 1].isalpha()) or (b < self.n and text[b].isalpha())
                ):
                    continue
                out.append(_text_field(m.group(0), a, b))
        out.sort(key=_START)
        return tuple(out)

    def signature(self, body_start: int, body_end: int) -> tuple[TextField | None, int]:
        """The signature and the end of the cable's content (before signature/trailers)."""
        text = self.text
        end = body_end
        for _ in range(12):
            if end <= body_start:
                return None, body_start
            ls = text.rfind("\n", body_start, end) + 1
            if ls < body_start:
                ls = body_start
            a, b = _strip_span(text, ls, end)
            if a >= b or _TRAILER_RE.fullmatch(text, a, b):
                end = max(body_start, ls - 1)
                continue
            line = text[a:b]
            name_end = b
            stripped = line.rstrip(" .\\\"")
            if len(stripped) < len(line) and stripped and not stripped.endswith(("JR", "Jr")):
                name_end = a + len(stripped)
                line = stripped
            if (
                len(line) <= 40
                and _NAME_RE.fullmatch(line)
                and not any(w.upper().strip(".") in _NOT_NAMES for w in line.split())
                and not line.endswith(":")
            ):
                return _text_field(line, a, name_end), a
            g = _GLUED_SIGNATURE_RE.search(text, max(a, b - 60), b)
            if g and g.group("name").split()[0].upper() not in _NOT_NAMES | _NOT_GLUED_NAMES:
                s, e = g.span("name")
                return _text_field(g.group("name"), s, e), s
            return None, b
        return None, end

    # ---------------------------------------------------------------- portions

    def portions(self, start: int, end: int, classification: str | None) -> tuple[Paragraph, ...]:
        text = self.text
        if start >= end:
            return ()
        # A marking always ends the match that found it (the patterns end with the marking or
        # with a look-ahead after it), so a start is kept as plain values: the raw marking and
        # the end of the match, from which its span follows.
        # Numbered starts: (position, number, raw marking or None, its end, whether it is an
        # unknown one (markish), the "." or ")" after the number; None for a number in
        # running text).
        nums: list[tuple[int, str, str | None, int, bool, str | None]] = []
        # (position, 0 for a heading and 1 for a portion, heading end or -1, number, raw
        # marking, its end, unknown): sorted on the first two, a heading comes first.
        events: list[tuple[int, int, int, str | None, str | None, int, bool]] = []
        rules: list[tuple[int, int]] = []
        scan_from = start - 1 if start > 0 and text[start - 1] == "\n" else start
        # Where a heading may stand alone between blank lines (see headings()).
        standalone = [start]
        heads: Iterable[re.Match[str]] = _PORTION_SCAN_RE.finditer(text, scan_from, end)
        if start == 0:
            first = _LINE_HEAD_RE.match(text, 0, end)
            if first is not None:
                heads = chain((first,), heads)
        # In a marked cable, an unmarked number written otherwise than the marked ones
        # ("4)" among "3. (S/NF)") is a list inside a paragraph, not a portion: the style
        # of each marked number is counted as the scan goes.
        puncts: dict[str | None, int] = {}
        for m in heads:
            # One call for all the groups, by position (see _SCAN_GROUPS): each Match method
            # call costs about as much as a small regex match, and m.group() with names
            # several times as much as m.groups().
            nrule, num, punct, mark, markish, let, lmark, bmark, rule, blank = m.groups()
            if blank is not None:
                if m.start() >= start:
                    standalone.append(m.end(_G_BLANK))
            elif num is not None:
                if mark:
                    nums.append((m.start(_G_NUM), num, mark, m.end(), False, punct))
                    puncts[punct] = puncts.get(punct, 0) + 1
                elif markish:
                    nums.append((m.start(_G_NUM), num, markish, m.end(), True, punct))
                else:
                    nums.append((m.start(_G_NUM), num, None, 0, False, punct))
                if nrule:
                    rs = m.start(_G_NRULE)
                    rules.append((rs, rs + len(nrule.rstrip())))
            elif let is not None:
                events.append((m.start(_G_LET), 1, -1, let, lmark, m.end(), False))
            elif bmark is not None:
                events.append((m.start(_G_BMARK), 1, -1, None, bmark, m.end(), False))
            else:
                rs = m.start(_G_RULE)
                rules.append((rs, rs + len(rule.rstrip())))
        # On a tie the first style written wins (dicts keep insertion order).
        main_punct = max(puncts, key=puncts.__getitem__) if puncts else None
        unsorted = False
        for m in _NUM_MIDLINE_RE.finditer(text, start, end):
            mid = self.midline_number(m.start(), start)
            if mid is not None:
                nums.append((mid[0], mid[1], m.group("mark"), m.end(), False, None))
                unsorted = True
        if unsorted:
            nums.sort(key=_FIRST)
        last_int: int | None = None
        for pos, num, raw, raw_end, unknown, punct in nums:
            if num.isdigit():
                if punct is None:
                    # A number in running text.
                    if last_int is None or int(num) != last_int + 1:
                        continue
                elif raw is None:
                    if last_int is not None and int(num) != last_int + 1:
                        continue
                    if main_punct is not None and punct != main_punct:
                        continue
                last_int = int(num)
            elif punct is None or raw is None:
                continue
            events.append((pos, 1, -1, num, raw, raw_end, unknown))
        for hs, he in self.headings(start, end, rules, standalone):
            events.append((hs, 0, he, None, None, 0, False))
        # A classification block ("SECRET//FGI//NOFORN//MR" over "Declassify on: ...") starts
        # a portion marked by it.
        for m in _CLASS_BLOCK_RE.finditer(text, scan_from, end):
            ls, le = m.span("line")
            events.append((ls, 1, -1, None, m.group("line"), le, _BLOCK))
        events.sort(key=_FIRST_TWO)

        pb_starts = self._pb_starts = [p.start for p in self.page_breaks]
        pb_ends = [p.end for p in self.page_breaks]

        def trim_end(s: int, e: int) -> int:
            """Pull ``e`` back over trailing whitespace and page-break lines."""
            while True:
                # rstrip() on a short tail (computed in C) rather than a loop over
                # characters; str.rstrip() strips exactly what str.isspace() accepts.
                tail = text[max(s, e - 16) : e]
                kept = len(tail.rstrip())
                e -= len(tail) - kept
                if not kept:
                    while e > s and text[e - 1].isspace():
                        e -= 1
                if not pb_starts:
                    return e
                i = bisect_right(pb_starts, e) - 1
                if i >= 0 and pb_ends[i] == e and pb_starts[i] > s:
                    e = pb_starts[i]
                    continue
                return e

        rank_limit = None
        if classification:
            c = classification.upper()
            rank_limit = (
                3 if c.startswith("TOP SECRET") else
                2 if c.startswith("SECRET") else
                1 if c.startswith("CONFIDENTIAL") else
                0 if c.startswith("UNCLASSIFIED") else None
            )
        classified = rank_limit is not None and rank_limit > 0

        out: list[Paragraph] = []
        # Warnings about the level of portions, given once every marking is known (whether
        # any portion is marked decides "unmarked-portion"): (code, start, marking or number).
        checks: list[tuple[str, int, str]] = []
        gap_start = start
        any_marked = False
        # Each start runs to the next one; starts that fall inside a heading's extent are
        # dropped.
        heading_end = -1
        pending: tuple[int, str | None, Marking | None] | None = None  # a portion's start
        for pos, is_portion, hend, num, raw, raw_end, unknown in events:
            if pos < heading_end:
                continue
            if pending is not None:
                ps, pnum, pmark = pending
                e = trim_end(ps, pos)
                out.append(_paragraph(len(out), "portion", pnum, pmark, ps, max(e, ps + 1)))
                pending = None
            elif gap_start < pos:
                # Text between the previous item and this one that belongs to no start.
                gs, ge = _strip_span(text, gap_start, trim_end(gap_start, pos))
                if ge > gs and not self.nothing_to_review(gs, ge):
                    out.append(_paragraph(len(out), "portion", None, None, gs, ge))
            if not is_portion:
                # A rule alone ("-------") separates portions but says nothing to review.
                if not _RULE_ONLY_RE.fullmatch(text, pos, hend):
                    out.append(_paragraph(len(out), "heading", None, None, pos, hend))
                gap_start = heading_end = hend
                continue
            marking = None
            if raw is None:
                if num is not None and classified and num.isdigit():
                    checks.append(("unmarked-portion", pos, num))
            elif unknown is _BLOCK:
                marking = block_marking(raw, raw_end - len(raw), raw_end)
                any_marked = True
            elif unknown:
                ms = raw_end - len(raw)
                marking = _marking(raw, None, (), ms, raw_end)
                self.warn("unknown-marking", f"unknown portion marking {raw}", ms)
            else:
                marking, note = make_marking(raw, raw_end - len(raw), raw_end)
                any_marked = True
                if note:
                    self.warn("nonstandard-marking", f"marking {raw}: {note}", pos)
                level = marking.level
                if level is not None and rank_limit is not None and _RANK[level] > rank_limit:
                    checks.append(("marking-above-classification", pos, raw))
            pending = (pos, num, marking)
        if pending is not None:
            ps, pnum, pmark = pending
            e = trim_end(ps, end)
            out.append(_paragraph(len(out), "portion", pnum, pmark, ps, max(e, ps + 1)))
        else:
            gs, ge = _strip_span(text, gap_start, trim_end(gap_start, end))
            if ge > gs and not self.nothing_to_review(gs, ge):
                out.append(_paragraph(len(out), "portion", None, None, gs, ge))

        for code, s, what in checks:
            if code == "marking-above-classification":
                self.warn(code, f"portion marked {what} in a {classification} cable", s)
            elif any_marked:
                self.warn(code, f"numbered portion {what} has no marking", s)
        return tuple(out)

    def midline_number(self, dot: int, floor: int) -> tuple[int, str] | None:
        """The paragraph number ending just before ``dot`` in running text, if any.

        Accepts "... End Summary. 2. (C)": one or two digits (spaces allowed before the
        dot), preceded by spaces, preceded by the end of a sentence or a rule.
        """
        text = self.text
        i = dot
        while i > floor and text[i - 1] in " \t":
            i -= 1
        j = i
        while j > floor and j > i - 2 and text[j - 1].isdigit() and text[j - 1].isascii():
            j -= 1
        if j == i or (j > floor and text[j - 1].isdigit()):
            return None
        k = j
        while k > floor and text[k - 1] in " \t":
            k -= 1
        if k == j or k <= floor or text[k - 1] not in _MIDLINE_AFTER:
            return None
        return j, text[j:i]

    def nothing_to_review(self, s: int, e: int) -> bool:
        """Whether ``[s, e)`` holds only page breaks, CSV escapes ("\\") and rules."""
        return self.only_page_breaks(s, e) or bool(_NOTHING_RE.fullmatch(self.text, s, e))

    def only_page_breaks(self, s: int, e: int) -> bool:
        """Whether ``[s, e)`` holds nothing but whitespace and page-break lines."""
        text = self.text
        starts = self._pb_starts
        pos = s
        i = max(bisect_right(starts, s) - 1, 0)
        while i < len(starts) and starts[i] < e:
            p = self.page_breaks[i]
            i += 1
            if p.end <= s:
                continue
            if not _is_blank(text, pos, p.start):
                return False
            pos = max(pos, p.end)
        return _is_blank(text, pos, e)

    def headings(
        self, start: int, end: int, rules: list[tuple[int, int]], standalone: list[int]
    ) -> list[tuple[int, int]]:
        """Heading extents in ``[start, end)``, ordered and non-overlapping.

        ``rules`` are the dashed rule lines of the region, ``standalone`` the line starts
        that may begin a line standing alone (the region start, and lines after a blank
        line; see _PORTION_SCAN_RE). Forms: a title of one to three
        lines between two rules; a title directly above a rule (``Summary\n-------``); a
        title and its rule on one line; a rule on its own; a short ALL-CAPS or Title Case
        line standing alone between blank lines.
        """
        text = self.text
        out: list[tuple[int, int]] = []

        def title_block(a: int, b: int) -> bool:
            """Whether the lines in [a, b) can be a title (1-3 short non-blank lines)."""
            a, b = _strip_span(text, a, b)
            if a >= b or b - a > 200 or text.count("\n", a, b) > 2:
                return False
            pos = a
            while pos < b:
                le = text.find("\n", pos, b)
                if le < 0:
                    le = b
                s2, e2 = _strip_span(text, pos, le)
                if s2 >= e2 or e2 - s2 > 100 or text[e2 - 1] in ".,;":
                    return False
                # Numbered lines and rules start with a digit or a sign, never a letter.
                if not text[s2].isalpha() and (
                    _NUM_LINE_RE.match(text, pos, le) or _RULE_RE.match(text, pos, le)
                ):
                    return False
                pos = le + 1
            return True

        def title_above(rule_start: int, floor: int) -> int | None:
            """Start of the 1-3 line title block directly above a rule, if there is one."""
            line_start = text.rfind("\n", start, rule_start) + 1
            if line_start <= max(start, floor):
                return None
            best = None
            top = line_start - 1  # the newline ending the line above
            for _ in range(3):
                if top <= max(start, floor):
                    break
                ls = max(text.rfind("\n", start, top) + 1, start)
                if _is_blank(text, ls, top):
                    break
                if not title_block(ls, line_start - 1):
                    break
                best = ls
                top = ls - 1
            if best is None:
                return None
            # The title must start a block: a blank line (or the region start) above it.
            above = best - 1
            if above > start:
                pls = max(text.rfind("\n", start, above) + 1, start)
                if not _is_blank(text, pls, above) and not _RULE_RE.match(text, pls, above):
                    return None
            return _strip_span(text, best, line_start)[0]

        i = 0
        floor = start
        while i < len(rules):
            rs, r_end = rules[i]
            if i + 1 < len(rules):
                ns, n_end = rules[i + 1]
                mid_a = _line_end(text, rs, end) + 1
                mid_b = text.rfind("\n", start, ns)
                if mid_a < mid_b and title_block(mid_a, mid_b):
                    out.append((rs, n_end))
                    floor = n_end
                    i += 2
                    continue
            t = title_above(rs, floor)
            out.append((t if t is not None else rs, r_end))
            floor = r_end
            i += 1
        # A title and its rule on one line.
        for m in _DASHES_AT_EOL_RE.finditer(text, start, end):
            pos = m.start()
            ls = text.rfind("\n", start, pos) + 1
            if ls < start:
                ls = start
            if ls == pos:
                continue  # a rule on its own line (the usual case)
            ts, te = _strip_span(text, ls, pos)
            if ts < te and te - ts <= 100 and not any(c.islower() for c in text[ts:te]):
                if not _NUM_LINE_RE.match(text, ls, pos):
                    out.append((ts, _strip_span(text, ts, m.end())[1]))
        # Short lines standing alone between blank lines.
        for ls in standalone:
            m = _SHORT_LINE_RE.match(text, ls, end)
            if m:
                self.standalone_heading(m, start, end, out)
        out.sort()
        merged: list[tuple[int, int]] = []
        for h in out:
            if merged and h[0] < merged[-1][1]:
                continue
            merged.append(h)
        return merged

    def standalone_heading(
        self, m: re.Match[str], start: int, end: int, out: list[tuple[int, int]]
    ) -> None:
        """Add the line matched by ``m`` (which starts a block) if it stands alone."""
        text = self.text
        s, e = m.span("line")
        line = m.group("line")
        words = line.split()
        if len(words) > 10 or sum(map(str.isalpha, line)) < 3:
            return
        # For ASCII (most lines) upper() changes the line exactly when it holds a lower-case
        # letter, and is computed in C.
        if line.upper() != line if line.isascii() else any(c.islower() for c in line):
            if len(line) > 60 or not all(
                w[0].isupper() or w in _TITLE_WORDS or not w[0].isalpha() for w in words
            ):
                return
        if _CAVEAT_LINE_RE.fullmatch(line) or _TRAILER_RE.fullmatch(line):
            return
        # The line starts with a capital: it cannot be a numbered or bare-marked portion,
        # only a lettered one ("A. (C)").
        if (
            text[s + 1 : s + 2] in (".", ")") and _LETTER_LINE_RE.match(text, m.start())
        ) or _search_page_break(text, s, e):
            return
        out.append((s, e))

    # ---------------------------------------------------------------- driver

    def run(self) -> Cable:
        text, n = self.text, self.n
        meta, meta_end = self.metadata()
        ref_id, created_f, released_f, cls_f, origin = meta
        if ref_id is None:
            self.warn("no-metadata", "the text has no metadata lines", 0)
        elif not _REF_ID_RE.fullmatch(ref_id.value) and section_copy(ref_id.value) is None:
            self.warn("bad-reference-id", f"malformed reference id {ref_id.value[:40]!r}",
                      ref_id.start)
        canonical = self.canonical(ref_id)
        hm = _HOME_RE.match(canonical or "")
        self.home = hm.group(1) if hm else None
        created = self.meta_datetime(created_f, "created")
        released = self.meta_datetime(released_f, "released")
        classification = cls_f.value if cls_f else None
        if cls_f and cls_f.value not in _KNOWN_CLASSIFICATIONS:
            self.warn("unknown-classification", f"classification {cls_f.value[:40]!r}",
                      cls_f.start)
        year = None
        if ref_id and ref_id.value[:2].isdigit():
            year = ref_id.value[:2]
        elif created:
            year = f"{created.year % 100:02d}"

        h_start, h_end, body_start = self.split_header(meta_end)
        header = self.header(h_start, h_end) if h_start < h_end else None
        if header is None and h_start >= h_end:
            self.warn("no-header", "no telegram header", min(h_start, n))

        # Page breaks first: fields and portions are trimmed around them.
        self.scan_page_breaks(body_start, n)
        self.page_breaks.sort(key=_START)

        first_num = self.find_first_numbered(body_start, n)
        pre_limit = first_num if first_num is not None else min(n, body_start + 8000)
        banner_limit = min(n, body_start + 8000)
        if first_num is not None:
            banner_limit = min(banner_limit, first_num)
        banners = self.banners(body_start, banner_limit)
        banner = None
        caveats: list[TextField] = []
        pre_start = body_start
        if banners:
            bm = banners[0]
            b_end = bm.end("rest") if bm.group("rest") else bm.end("cls")
            banner = _field(text, bm.start("cls"), b_end)
            pre_start = b_end
            # The E F T O of "UNCLAS E F T O LONDON ..." is a caveat too.
            em = _EFTO_RE.search(text, bm.start("cls"), b_end)
            if em:
                caveats.append(_text_field("EFTO", em.start(), em.end()))
        else:
            self.warn("no-banner", "no classification banner at the top of the body", body_start)

        body_labels = self.labels(body_start, pre_limit)
        fields = self.preamble_fields(
            [(pre_start, pre_limit), (body_start, pre_start)], first_num, body_labels
        )
        if "cby" not in fields and first_num is not None:
            # "1. (U) Classified by ..." is paragraph 1 in some cables.
            blk = _BLANK_LINE_RE.search(text, first_num)
            extra = self.preamble_fields([(first_num, blk.start() if blk else n)], None)
            if "cby" in extra:
                fields["cby"] = extra["cby"]

        # Caveat lines (and caveats glued to the banner line) before the first field.
        after_banner = [f.start for f in fields.values() if f.start >= pre_start]
        cav_end = min(after_banner) if after_banner else min(pre_limit, pre_start + 2000)
        if banner is not None:
            pos = pre_start
            while pos < cav_end:
                le = _line_end(text, pos, cav_end)
                line_is_banner_rest = pos == pre_start
                if line_is_banner_rest or _CAVEAT_LINE_RE.fullmatch(text, pos, le):
                    for cm in _CAVEAT_WORD_RE.finditer(text, pos, le):
                        value = cm.group(0).upper().replace(" ", "")
                        caveats.append(_text_field(value, cm.start(), cm.end()))
                pos = le + 1

        # Duplicate preambles: a second banner, or a second SUBJECT label, before the text.
        dup_at = None
        if len(banners) > 1:
            dup_at = banners[1].start("cls")
        else:
            subj = [s for k, s, _ in body_labels if k == "subject"]
            if len(subj) > 1 and subj[1] - subj[0] > 40:
                dup_at = subj[1]
        if dup_at is not None:
            self.warn("duplicate-preamble", "the banner/preamble appears more than once", dup_at)

        decl = self.decl(fields["eo"]) if "eo" in fields else None
        tags, tags_span = self.tags(fields["tags"]) if "tags" in fields else ((), None)
        subject, subject_marking = (
            self.subject(fields["subject"]) if "subject" in fields else (None, None)
        )
        if subject is None:
            self.warn("no-subject", "no SUBJECT line", pre_start)
        references: tuple[Reference, ...] = ()
        references_span = None
        if "ref" in fields:
            rf = fields["ref"]
            references = self.references(rf, year)
            references_span = _field(text, rf.start, rf.end)
        cby = self.classified_by(fields["cby"]) if "cby" in fields else None

        # The portions start after the last preamble field (but not past the first
        # numbered paragraph, which may itself hold the Classified By statement).
        pre_end = max([pre_start] + [f.end for f in fields.values() if f.start >= pre_start])
        if first_num is not None:
            pre_end = min(pre_end, first_num)
        for c in caveats:
            if c.end > pre_end and (first_num is None or c.end <= first_num):
                pre_end = c.end
        # A second (often collapsed) copy of the banner and preamble is preamble too.
        for bm in banners[1:]:
            le = _line_end(text, bm.end(), n)
            if le > pre_end and (first_num is None or le <= first_num):
                pre_end = le
        # Skip caveat-only lines between the fields and the first portion.
        pos = pre_end
        while pos < n:
            le = _line_end(text, pos, n)
            if _is_blank(text, pos, le) or _CAVEAT_LINE_RE.fullmatch(text, pos, le) and (
                first_num is None or le <= first_num
            ):
                if not _is_blank(text, pos, le):
                    pre_end = le
                pos = le + 1
                continue
            break

        # A second telegram pasted after this one's last paragraph (its own record or envelope
        # line): it ends this cable's content and is one portion of its own, not more
        # portions of this cable.
        body_end = n
        pasted = self.pasted_telegram(max(pre_end, first_num or pre_end), canonical)
        if pasted is not None:
            body_end = pasted
        signature, content_end = self.signature(body_start, body_end)
        if content_end < pre_end:
            # A body that is only a preamble (truncated cables): nothing after it is a
            # signature.
            signature = None
            content_end = pre_end
        paragraphs = self.portions(pre_end, content_end, classification)
        if pasted is not None:
            ps, pe = _strip_span(text, pasted, n)
            if ps < pe:
                paragraphs += (_paragraph(len(paragraphs), "portion", None, None, ps, pe),)
        withheld = self.scan_withheld(body_start, n)

        section = None
        if banner is not None:
            sm = _BANNER_SECTION_RE.search(banner.value)
            if sm:
                section = (int(sm.group(1)), int(sm.group(2)))
        if section is None and ref_id is not None:
            sec = section_copy(ref_id.value)
            if sec is not None:
                section = sec[1], sec[2]

        self.warnings.sort(key=_START)
        return Cable(
            text=text,
            reference_id=ref_id,
            created=created,
            released=released,
            classification=cls_f,
            origin=origin,
            header=header,
            banner=banner,
            caveats=tuple(caveats),
            decl=decl,
            tags=tags,
            tags_span=tags_span,
            subject=subject,
            subject_marking=subject_marking,
            references=references,
            references_span=references_span,
            classified_by=cby,
            paragraphs=paragraphs,
            page_breaks=tuple(sorted(self.page_breaks, key=_START)),
            signature=signature,
            withheld=withheld,
            warnings=tuple(self.warnings),
            canonical_id=canonical,
            section=section,
        )

    def pasted_telegram(self, start: int, own_id: str | None) -> int | None:
        """Where a second telegram pasted into the body begins (and a warning), or None.

        Recognised by the mirror's record line of another cable (``121752<TAB>2007-09-11
        12:50:00<TAB>07TBILISI2290<TAB>...``) or by a second envelope (``VZCZC...``) at the
        start of a line. A record line of this same cable is a duplicated preamble, not a
        second telegram.
        """
        for m in _PASTED_RE.finditer(self.text, start):
            rid = m.group("rid")
            if rid is not None and (rid == own_id or canonical_reference_id(rid) == own_id):
                continue
            if rid is None:
                # The envelope of this same telegram again ("DE RUEHPE #2017/01" in 06LIMA2017).
                de = _DE_SERIAL_RE.search(self.text, m.end(), m.end() + 200)
                own = _HOME_RE.match(own_id or "")
                if de and own and int(de.group(1)) == int(own_id[own.end(1) :]):
                    continue
            what = f"cable {rid}" if rid else "a second telegram envelope"
            self.warn("second-telegram", f"{what} is pasted after this cable's text", m.start())
            return m.start()
        return None

    def canonical(self, ref_id: TextField | None) -> str | None:
        """The canonical id of this cable (see ``Cable.canonical_id``), warning where it
        differs from the reference id written on line 1."""
        if ref_id is None:
            return None
        fixed = canonical_reference_id(ref_id.value)
        if fixed is None:
            return ref_id.value
        sec = section_copy(ref_id.value)
        what = f"section {sec[1]} of {sec[2]} of" if sec else "a garbled id of"
        self.warn(
            "section-copy" if sec else "garbled-reference-id",
            f"reference id {ref_id.value} is {what} cable {fixed}",
            ref_id.start,
        )
        return fixed


def parse_cable(text: str) -> Cable:
    """Parse normalised cable text (see :func:`decode_cable_bytes`). Never raises on a ``str``.

    Everything the parser cannot place becomes a :class:`ParseWarning`. Should the parser
    itself fail on some unforeseen input, the cable is returned with its metadata only and a
    ``parser-error`` warning, so that one odd cable cannot stop an import.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_cable() takes a str, not {type(text).__name__}")
    try:
        return _Parser(text).run()
    except Exception as exc:  # noqa: BLE001 - the contract is "never raises on a str"
        parser = _Parser(text)
        meta, _ = parser.metadata()
        return Cable(
            text=text,
            reference_id=meta[0],
            canonical_id=meta[0].value if meta[0] else None,
            created=None,
            released=None,
            classification=meta[3],
            origin=meta[4],
            header=None,
            banner=None,
            caveats=(),
            decl=None,
            tags=(),
            tags_span=None,
            subject=None,
            subject_marking=None,
            references=(),
            references_span=None,
            classified_by=None,
            paragraphs=(),
            page_breaks=(),
            signature=None,
            withheld=(),
            warnings=(ParseWarning("parser-error", f"{type(exc).__name__}: {exc}", 0),),
        )
