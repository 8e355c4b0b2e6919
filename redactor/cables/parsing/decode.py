"""Bytes into cable text: strict UTF-8, line endings normalised, nothing replaced silently.

Pure: standard library only. :func:`decode_cable_bytes` is the only way text enters the
system; every offset the parser gives counts code points in its result.
"""

from __future__ import annotations

from redactor.cables.parsing.model import CableParseError

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
