"""Parse the text of a diplomatic cable into a frozen :class:`Cable`.

The parser itself is the package :mod:`redactor.cables.parsing` (its docstring says how a
cable is read, and which part does what); this module is its public face, and every name
callers import stays here.
"""

from __future__ import annotations

from redactor.cables.parsing.decode import decode_cable_bytes, normalize_newlines
from redactor.cables.parsing.markings import block_marking, make_marking
from redactor.cables.parsing.model import (
    Cable,
    CableParseError,
    ClassifiedBy,
    Decl,
    Header,
    Marking,
    Paragraph,
    ParseWarning,
    Reference,
    TextField,
)
from redactor.cables.parsing.structure import parse_cable
from redactor.cables.stations import canonical_id, canonical_reference_id, section_copy

__all__ = [
    "Cable",
    "CableParseError",
    "ClassifiedBy",
    "Decl",
    "Header",
    "Marking",
    "Paragraph",
    "ParseWarning",
    "Reference",
    "TextField",
    "block_marking",
    "canonical_id",
    "canonical_reference_id",
    "decode_cable_bytes",
    "make_marking",
    "normalize_newlines",
    "parse_cable",
    "section_copy",
]
