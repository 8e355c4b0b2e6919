"""decode_cable_bytes: strict UTF-8 in, newline-normalised text out, clear errors otherwise."""

from __future__ import annotations

import gzip

import pytest

from redactor.cables.parser import CableParseError, decode_cable_bytes, normalize_newlines

CABLE = "09STATE52368\n2009-05-21 19:07\nCONFIDENTIAL\nThe UK’s “case”\n"


def test_utf8_text_is_returned_unchanged():
    assert decode_cable_bytes(CABLE.encode("utf-8")) == CABLE


def test_no_unicode_normalisation_is_applied():
    decomposed = "Cafe\u0301 \u2028 \uff21"  # e + combining accent, LINE SEPARATOR, fullwidth A
    assert decode_cable_bytes(decomposed.encode("utf-8")) == decomposed


def test_crlf_becomes_lf():
    assert decode_cable_bytes(b"a\r\nb\r\n") == "a\nb\n"


def test_lone_cr_becomes_lf():
    assert decode_cable_bytes(b"a\rb\r") == "a\nb\n"


def test_mixed_line_endings_become_lf_without_doubling():
    assert decode_cable_bytes(b"a\r\nb\rc\nd\r\r\ne") == "a\nb\nc\nd\n\ne"


def test_normalize_newlines_changes_nothing_else():
    assert normalize_newlines(" x \t\u2028\x0c\r\n") == " x \t\u2028\x0c\n"


def test_utf8_bom_is_dropped():
    assert decode_cable_bytes(b"\xef\xbb\xbf" + CABLE.encode()) == CABLE


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        ("09STATE1\nCafé".encode("latin-1"), 12),
        ("09STATE1\n“quoted”".encode("cp1252"), 9),
        (b"abc\xe2\x80", 3),  # truncated multibyte sequence at the end
        (b"abc\xe2\x80xyz", 3),  # truncated in the middle
        (b"\xed\xa0\x80", 0),  # an encoded surrogate is not UTF-8
        (b"\xc0\xaf", 0),  # overlong encoding
        (b"\xef\xbb\xbfab\xff", 5),  # the offset counts the BOM
    ],
)
def test_non_utf8_bytes_raise_with_the_byte_offset(data, offset):
    with pytest.raises(CableParseError) as info:
        decode_cable_bytes(data)
    assert info.value.byte_offset == offset
    assert str(offset) in str(info.value)


@pytest.mark.parametrize("bom", [b"\xff\xfe", b"\xfe\xff"])
def test_utf16_with_bom_is_rejected(bom):
    data = bom + CABLE.encode("utf-16-le" if bom == b"\xff\xfe" else "utf-16-be")
    with pytest.raises(CableParseError, match="UTF-16") as info:
        decode_cable_bytes(data)
    assert info.value.byte_offset == 0


def test_utf16_without_bom_is_rejected_for_its_nul_bytes():
    with pytest.raises(CableParseError, match="NUL") as info:
        decode_cable_bytes(CABLE.encode("utf-16-le"))
    assert info.value.byte_offset == 1


def test_nul_byte_in_otherwise_valid_text_is_rejected():
    with pytest.raises(CableParseError) as info:
        decode_cable_bytes(b"09STATE1\nabc\x00def")
    assert info.value.byte_offset == 12


@pytest.mark.parametrize(
    ("data", "offset"),
    [
        (gzip.compress(CABLE.encode(), mtime=0), 1),  # 1f 8b: 0x8b cannot start a character
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", 7),  # NUL inside the ELF header
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj", 10),  # binary marker line
    ],
)
def test_binary_files_are_rejected(data, offset):
    with pytest.raises(CableParseError) as info:
        decode_cable_bytes(data)
    assert info.value.byte_offset == offset


def test_cable_parse_error_is_a_value_error():
    assert issubclass(CableParseError, ValueError)
