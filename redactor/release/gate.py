"""The release gate: a last, independent look for hidden text in what is about to leave.

Services layer (pypdf, zlib; no database, no Flask). The writers never receive hidden text,
so a finding here means a bug (or a new writer) broke that rule: the release is refused.

What is compared
----------------
Every string is *normalised* before comparing: NFKC, casefold, then whitespace, hyphens,
soft hyphens and other invisible format characters removed (``"Ž-Q X"`` -> ``"žqx"``), so
a leak survives neither re-spacing, hyphenation nor case changes.

A hidden string is looked for as its 6-character pieces (every window of 6 characters of its
normal form): a leak of any part of a name or sentence shows. Pieces that also occur in the
normalised *visible* text are skipped: if the released text itself legitimately says
"MINISTER", a hidden "Minister Smith" does not leak through the word "minister". A hidden
string shorter than 6 characters is looked for whole, and only if it does not occur in the
visible text either. Short strings are looked for only where text is expected (extracted PDF
text, metadata, PDF strings, the text and JSON artifacts, file names), not in compressed or
binary data, where a 3- or 4-letter sequence occurs by chance.

The page line repeated at the top and bottom of every page is removed from the extracted PDF
text before comparing, so that the text of consecutive pages joins exactly as the lines of the
visible text do: no chance windows across a page boundary.

Checks, each named in a finding (``artifact``, ``check``):

* ``file name``: the variable part of the artifact's name (:func:`variable_part`; the
  extension is the code's own);
* ``text`` / ``json``: the text artifact; the JSON artifact's string values (its keys are
  fixed by the code);
* ``pdf text``: the text pypdf extracts from every page;
* ``pdf metadata``: the document information dictionary and the XMP packet; also refuses an
  author, subject or keywords, and a title that is not visible text;
* ``pdf strings``: every string object reachable from the trailer (struct tree alt texts,
  annotations, outlines, form fields...);
* ``pdf raw bytes`` / ``pdf streams``: every literal ``(...)`` and hex ``<...>`` string in
  the file's syntax and in every stream body (inflated if it is zlib data; referenced by an
  object or not), read as PDFDocEncoding/Latin-1 and UTF-16BE, and every XMP packet. PDF
  names, operators and CMap programs are not compared: they are the format's own vocabulary
  (``/Resources``, ``Identity``, ``stream``) and match ordinary words of hidden text. Binary
  stream bodies (font programs, images, ICC profiles) are skipped: text in them cannot be
  read as text, and a font's glyphs are checked through its ToUnicode map instead;
* ``pdf font map``: every character a font's ToUnicode map can produce must be visible text
  unless no hidden string holds it;
* ``pdf structure``: exactly one ``%%EOF``; no ``/Annots``, ``/EmbeddedFiles``,
  ``/JavaScript``, ``/JS``, ``/OpenAction``, ``/AA``, ``/AcroForm``, ``/OCProperties`` or
  ``/Outlines`` anywhere; not encrypted.

A finding names the artifact, the check and the *numbers* of the hidden strings that matched,
never their text, so it can be logged and audited.
"""

from __future__ import annotations

import functools
import io
import json
import re
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PIECE = 6
FORBIDDEN_KEYS = (
    "/Annots",
    "/EmbeddedFiles",
    "/JavaScript",
    "/JS",
    "/OpenAction",
    "/AA",
    "/AcroForm",
    "/OCProperties",
    "/Outlines",
)
_ALLOWED_INFO = {"/Title", "/Creator", "/Producer", "/CreationDate", "/ModDate", "/Trapped"}

_HYPHENS = "-\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u1806\u2e3a\u2e3b"
_STREAM_RE = re.compile(rb"(?<!end)stream\r?\n")
_WINDOW_SET_THRESHOLD = 64


@dataclass(frozen=True)
class GateFinding:
    """One reason to refuse a release: which artifact, which check, and what (no text)."""

    artifact: str
    check: str
    detail: str

    def __str__(self) -> str:
        return f"{self.artifact}: {self.check}: {self.detail}"


@functools.cache
def _invisible() -> re.Pattern[str]:
    # Whitespace, control and format characters and hyphens, as one character class built
    # once per process from the Unicode database of this Python.
    ranges: list[list[int]] = []
    for code in range(0x110000):
        char = chr(code)
        if char.isspace() or char in _HYPHENS or unicodedata.category(char) in ("Cf", "Cc"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    parts = (
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )
    return re.compile("[" + "".join(parts) + "]+")


def normalize(text: str) -> str:
    """NFKC, casefold, and whitespace, hyphens, soft hyphens and format characters removed."""
    return _invisible().sub("", unicodedata.normalize("NFKC", text).casefold())


@dataclass(frozen=True)
class _Needle:
    number: int  # 1-based number of the hidden string
    text: str
    short: bool


def _windows(text: str) -> set[str]:
    return {text[i : i + PIECE] for i in range(len(text) - PIECE + 1)}


def _needles(hidden_strings: Sequence[str], visible: str) -> list[_Needle]:
    forms = [(number, normalize(hidden)) for number, hidden in enumerate(hidden_strings, 1)]
    pieces = {piece for _, form in forms for piece in _windows(form)}
    if len(pieces) * PIECE < len(visible) // 16:
        # Few pieces against a long visible text: a substring search per piece is cheaper
        # than the set of every window of the visible text (same answer).
        visible_pieces = {piece for piece in pieces if piece in visible}
    else:
        visible_pieces = pieces & _windows(visible)
    needles: dict[tuple[int, str], _Needle] = {}
    for number, form in forms:
        if not form:
            continue
        if len(form) < PIECE:
            if form not in visible:
                needles[(number, form)] = _Needle(number, form, True)
            continue
        for piece in _windows(form) - visible_pieces:
            needles[(number, piece)] = _Needle(number, piece, False)
    return list(needles.values())


class _Scanner:
    """Looks for the needles in normalised haystacks and collects findings."""

    def __init__(self, needles: list[_Needle], page_lines: Sequence[str]) -> None:
        self.needles = needles
        self.long = [n for n in needles if not n.short]
        self.by_piece: dict[str, set[int]] = {}
        for needle in self.long:
            self.by_piece.setdefault(needle.text, set()).add(needle.number)
        self.page_lines = [normalize(line) for line in page_lines if normalize(line)]
        self.findings: list[GateFinding] = []

    def matches(self, texts: Iterable[str], *, binary: bool) -> set[int]:
        found: set[int] = set()
        for raw in texts:
            hay = normalize(raw)
            if not hay:
                continue
            found |= self._match_normalised(hay, binary=binary)
        return found

    def _match_normalised(self, hay: str, *, binary: bool) -> set[int]:
        found: set[int] = set()
        if len(self.by_piece) > _WINDOW_SET_THRESHOLD:
            for piece in _windows(hay) & self.by_piece.keys():
                found |= self.by_piece[piece]
        else:
            for piece, numbers in self.by_piece.items():
                if piece in hay:
                    found |= numbers
        if not binary:
            found |= {n.number for n in self.needles if n.short and n.text in hay}
        return found

    def strip_page_lines(self, text: str) -> str:
        hay = normalize(text)
        for line in self.page_lines:
            hay = hay.replace(line, "")
        return hay

    def check(self, artifact: str, check: str, texts: Iterable[str], *, binary: bool) -> None:
        found = self.matches(texts, binary=binary)
        self.report(artifact, check, found)

    def check_normalised(self, artifact: str, check: str, hay: str) -> None:
        self.report(artifact, check, self._match_normalised(hay, binary=False))

    def report(self, artifact: str, check: str, found: set[int]) -> None:
        if found:
            numbers = ", ".join(f"#{n}" for n in sorted(found))
            self.findings.append(
                GateFinding(artifact, check, f"holds text of hidden string(s) {numbers}")
            )

    def problem(self, artifact: str, check: str, detail: str) -> None:
        self.findings.append(GateFinding(artifact, check, detail))


# --------------------------------------------------------------------------- byte helpers

_LITERAL_RE = re.compile(rb"\((?:[^()\\]|\\.)*\)", re.S)
_HEX_STRING_RE = re.compile(rb"(?<!<)<([0-9A-Fa-f\s]{2,})>(?!>)")
_ESCAPE_RE = re.compile(rb"\\([0-7]{1,3}|\r\n|.)", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
#: Values the XMP format itself writes; not text of the document.
_XMP_FORMAT_VALUES = frozenset({"application/pdf", "x-default", "proof", "default"})
#: XMP properties a writer fills in by itself, and the RDF containers around values.
_XMP_FORMAT_TAGS = frozenset(
    {
        "CreatorTool",
        "CreateDate",
        "ModifyDate",
        "MetadataDate",
        "InstanceID",
        "DocumentID",
        "OriginalDocumentID",
        "RenditionClass",
        "PDFVersion",
        "Producer",
        "NPages",
        "format",
        "language",
        "part",
        "conformance",
        "xmpmeta",
        "RDF",
    }
)
_XMP_CONTAINERS = frozenset({"Alt", "Bag", "Seq", "li", "Description"})
#: Document information keys a writer fills in by itself (and the file identifier).
_FORMAT_KEYS = frozenset({"/Creator", "/Producer", "/CreationDate", "/ModDate", "/Trapped", "/ID"})


def _escape_value(token: bytes) -> bytes:
    """What the escape ``\\`` + ``token`` stands for in a literal string."""
    if token and token[0] in b"01234567":
        return bytes([int(token, 8) & 0xFF])
    if token in (b"\n", b"\r", b"\r\n"):
        return b""  # a line continuation
    return _ESCAPES.get(token, token)


#: Every token :data:`_ESCAPE_RE` can capture, with its value: computed once, so that
#: unescaping a string is one split and dictionary lookups instead of a call per escape
#: (content streams hold one octal escape per glyph byte).
_ESCAPE_VALUES = {
    token: _escape_value(token)
    for token in (
        *(bytes([byte]) for byte in range(256)),
        *(f"{n:o}".zfill(width).encode() for width in (2, 3) for n in range(8**width)),
        b"\r\n",
    )
}


def _unescape(body: bytes) -> bytes:
    """The bytes a literal string's body stands for (escapes and line continuations)."""
    if b"\\" not in body:
        return body
    parts = _ESCAPE_RE.split(body)  # text, token, text, token, ..., text
    parts[1::2] = [_ESCAPE_VALUES[token] for token in parts[1::2]]
    return b"".join(parts)


def _byte_texts(data: bytes) -> Iterator[str]:
    """A PDF string's bytes read as text: by its byte order mark, else as PDFDocEncoding
    (close to Latin-1) and as UTF-16BE."""
    if data.startswith(b"\xfe\xff"):
        yield data[2:].decode("utf-16-be", errors="ignore")
    elif data.startswith(b"\xef\xbb\xbf"):
        yield data[3:].decode("utf-8", errors="ignore")
    else:
        yield data.decode("latin-1")
        yield data.decode("utf-16-be", errors="ignore")


#: Whole strings the format itself writes (a CID font's ``/CIDSystemInfo``: registry
#: ``Adobe``, ordering ``Identity``): vocabulary like the PDF names, and ordinary words of
#: hidden text ("identity") would otherwise block every release that withholds them.
FORMAT_STRINGS = frozenset({"Adobe", "Identity", "UCS"})


def _content_strings(strings: Iterable[str]) -> Iterator[str]:
    return (s for s in strings if s not in FORMAT_STRINGS)


def pdf_strings(data: bytes) -> Iterator[str]:
    """The text of every literal ``(...)`` and hex ``<...>`` string in ``data`` (the bytes
    of a PDF or of an inflated stream), referenced by an object or not."""
    for match in _LITERAL_RE.finditer(data):
        yield from _byte_texts(_unescape(match.group(0)[1:-1]))
    for match in _HEX_STRING_RE.finditer(data):
        digits = re.sub(rb"\s", b"", match.group(1))
        if len(digits) % 2:
            digits += b"0"
        yield from _byte_texts(bytes.fromhex(digits.decode("ascii")))


def xmp_values(data: bytes, *, documentary: bool = True) -> Iterator[str]:
    """Text and attribute values of the XMP packets in ``data`` (tag and namespace names,
    which are the format's own vocabulary, left out).

    ``documentary`` True gives the values that may carry document text (titles,
    descriptions, keywords, unknown properties); False gives those the writer fills in by
    itself (tool names, dates, ids, page counts), which are compared with whole 6-character
    pieces only: a short hidden word such as ``typ`` or ``1231`` occurs in them by chance.
    """
    from xml.etree import ElementTree

    for marker in (b"<x:xmpmeta", b"<rdf:RDF"):
        start = data.find(marker)
        if start < 0:
            continue
        closing = b"</" + marker[1:]
        end = data.find(closing, start)
        if end < 0:
            if documentary:
                yield data[start:].decode("utf-8", errors="replace")
            return
        packet = data[start : end + len(closing) + 1]
        try:
            root = ElementTree.fromstring(packet)
        except ElementTree.ParseError:
            if documentary:
                yield packet.decode("utf-8", errors="replace")
            return
        owners = {child: parent for parent in root.iter() for child in parent}
        for element in root.iter():
            owner, tag = element, element.tag
            while owner is not None and owner.tag.rsplit("}", 1)[-1] in _XMP_CONTAINERS:
                owner = owners.get(owner)
            if owner is not None:
                tag = owner.tag
            formatted = tag.rsplit("}", 1)[-1] in _XMP_FORMAT_TAGS
            for value in (element.text, element.tail, *element.attrib.values()):
                value = (value or "").strip()
                if not value or value in _XMP_FORMAT_VALUES:
                    continue
                if formatted != documentary:
                    yield value
        return


def split_streams(data: bytes) -> tuple[bytes, list[bytes]]:
    """A PDF's bytes as (the syntax outside stream bodies, every stream body inflated where
    it is zlib data), whether or not any object refers to the stream: an unreferenced stream
    is still in the file."""
    syntax: list[bytes] = []
    bodies: list[bytes] = []
    position = 0
    for match in _STREAM_RE.finditer(data):
        if match.start() < position:
            continue
        syntax.append(data[position : match.start()])
        end = data.find(b"endstream", match.end())
        end = len(data) if end < 0 else end
        body = data[match.end() : end]
        try:
            inflated = zlib.decompressobj().decompress(body)
        except zlib.error:
            inflated = b""
        bodies.append(inflated or body)
        position = end
    syntax.append(data[position:])
    return b"".join(syntax), bodies


def inflated_streams(data: bytes) -> list[bytes]:
    """Every stream body of a PDF, inflated where it is zlib data (see :func:`split_streams`)."""
    return split_streams(data)[1]


#: Printable ASCII and the whitespace of text streams (what :func:`_is_binary` counts as text).
_TEXT_BYTES = bytes(range(32, 127)) + b"\t\n\r\f"


def _is_binary(stream: bytes) -> bool:
    """True for font programs, images and other data that is not PDF syntax or text: more
    than a tenth of its first 4 KB outside printable ASCII and whitespace."""
    sample = stream[:4096]
    if not sample:
        return False
    odd = len(sample.translate(None, _TEXT_BYTES))  # the bytes that are not text
    return odd * 10 > len(sample)


def _is_cmap(stream: bytes) -> bool:
    return b"begincmap" in stream[:4096]


# --------------------------------------------------------------------------- PDF


def _walk(root: Any) -> Iterator[tuple[str | None, Any]]:
    """Every (key, object) reachable from ``root``, indirect objects resolved once."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack: list[tuple[str | None, Any]] = [(None, root)]
    while stack:
        key, item = stack.pop()
        if isinstance(item, IndirectObject):
            ident = (item.idnum, item.generation)
            if ident in seen:
                continue
            seen.add(ident)
            try:
                item = item.get_object()
            except Exception:  # noqa: BLE001 - a dangling reference is not our concern here
                continue
        yield key, item
        if isinstance(item, DictionaryObject):
            for child_key, child in item.items():
                stack.append((str(child_key), child))
        elif isinstance(item, ArrayObject):
            for child in item:
                stack.append((key, child))


def _cmap_chars(data: bytes) -> set[str]:
    """The characters a ToUnicode CMap maps to (bfchar and bfrange entries)."""
    text = data.decode("latin-1")
    chars: set[str] = set()

    def add(hexstring: str) -> None:
        try:
            chars.update(bytes.fromhex(hexstring).decode("utf-16-be", errors="ignore"))
        except ValueError:
            return

    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for _src, dst in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]*)>", block):
            add(dst)
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for lo, hi, rest in re.findall(
            r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*(<[0-9A-Fa-f]*>|\[[^\]]*\])", block
        ):
            if rest.startswith("["):
                for dst in re.findall(r"<([0-9A-Fa-f]*)>", rest):
                    add(dst)
                continue
            start = int(rest[1:-1] or "0", 16)
            count = min(int(hi, 16) - int(lo, 16), 0xFFFF)
            width = len(rest) - 2
            for offset in range(max(count, 0) + 1):
                add(f"{start + offset:0{width}X}")
    return chars


def _check_pdf(
    scanner: _Scanner, name: str, data: bytes, hidden_chars: set[str], visible: str
) -> None:
    from pypdf import PdfReader
    from pypdf.generic import ByteStringObject, StreamObject, TextStringObject

    eofs = data.count(b"%%EOF")
    if eofs != 1:
        scanner.problem(name, "pdf structure", f"{eofs} end-of-file markers (one revision: 1)")
    syntax, bodies = split_streams(data)
    scanner.check(name, "pdf raw bytes", _content_strings(pdf_strings(syntax)), binary=True)
    streams = [s for s in bodies if not _is_cmap(s) and not _is_binary(s)]
    scanner.check(
        name,
        "pdf streams",
        _content_strings(t for stream in streams for t in pdf_strings(stream)),
        binary=True,
    )
    scanner.check(
        name,
        "pdf metadata",
        (value for blob in (syntax, *streams) for value in xmp_values(blob)),
        binary=False,
    )
    scanner.check(
        name,
        "pdf metadata",
        (v for blob in (syntax, *streams) for v in xmp_values(blob, documentary=False)),
        binary=True,
    )
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            scanner.problem(name, "pdf structure", "the PDF is encrypted")
            return
        pages_text = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # noqa: BLE001 - an unreadable PDF must not pass
        scanner.problem(name, "pdf structure", f"unreadable by pypdf ({type(exc).__name__})")
        return
    scanner.check_normalised(
        name, "pdf text", "".join(scanner.strip_page_lines(text) for text in pages_text)
    )

    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else {}
    info_texts = [str(info[key]) for key in info if key not in _FORMAT_KEYS]
    format_texts = [str(info[key]) for key in info if key in _FORMAT_KEYS]
    for key in info:
        if key not in _ALLOWED_INFO:
            scanner.problem(name, "pdf metadata", f"document information holds {key}")
    title = info.get("/Title")
    if title is not None and str(title).strip() and normalize(str(title)) not in visible:
        scanner.problem(name, "pdf metadata", "the title is not visible text of the release")
    metadata = reader.trailer["/Root"].get("/Metadata")
    if metadata is not None:
        try:
            packet = metadata.get_object().get_data()
            info_texts.extend(xmp_values(packet))
            format_texts.extend(xmp_values(packet, documentary=False))
        except Exception:  # noqa: BLE001
            scanner.problem(name, "pdf metadata", "the XMP packet cannot be decoded")
    scanner.check(name, "pdf metadata", info_texts, binary=False)
    scanner.check(name, "pdf metadata", format_texts, binary=True)

    strings: list[str] = []
    byte_strings: list[str] = []
    font_chars: set[str] = set()
    forbidden: set[str] = set()
    for key, item in _walk(reader.trailer):
        if key in FORBIDDEN_KEYS:
            forbidden.add(key)
        if isinstance(item, TextStringObject) and str(item) in FORMAT_STRINGS:
            continue
        if isinstance(item, TextStringObject):
            (byte_strings if key in _FORMAT_KEYS else strings).append(str(item))
        elif isinstance(item, ByteStringObject):
            byte_strings.extend(_byte_texts(bytes(item)))
        elif isinstance(item, StreamObject) and key == "/ToUnicode":
            try:
                font_chars |= _cmap_chars(item.get_data())
            except Exception:  # noqa: BLE001
                scanner.problem(name, "pdf font map", "a ToUnicode map cannot be decoded")
    for key in sorted(forbidden):
        scanner.problem(name, "pdf structure", f"the PDF holds {key}")
    scanner.check(name, "pdf strings", strings, binary=False)
    scanner.check(name, "pdf strings", byte_strings, binary=True)
    leaked_chars = {c for c in font_chars if c in hidden_chars}
    if leaked_chars:
        scanner.problem(
            name,
            "pdf font map",
            f"{len(leaked_chars)} character(s) that occur only in hidden text",
        )


# --------------------------------------------------------------------------- entry point


def _json_values(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _json_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_values(item)
    elif value is not None:
        yield str(value)


#: The extensions the release writes; fixed by the code, never from the cable.
FIXED_EXTENSIONS = (".pdf", ".txt", ".json")


def variable_part(name: str) -> str:
    """The part of a file name that is not fixed by the code: ``C05771875`` of
    ``C05771875.json``. Only this is compared with hidden text, so that a short hidden word
    (``son``, ``pdf``) does not match the extension; an unknown name is compared whole."""
    lower = name.lower()
    for extension in FIXED_EXTENSIONS:
        if lower.endswith(extension):
            return name[: -len(extension)]
    return name


def check_artifacts(
    artifacts: Mapping[str, bytes],
    hidden_strings: Sequence[str],
    visible_text: str,
    *,
    page_lines: Sequence[str] = (),
) -> list[GateFinding]:
    """Look for any of ``hidden_strings`` in ``artifacts`` (file name -> bytes).

    ``visible_text`` is everything the release shows (page line, stamp, body with
    placeholders); ``page_lines`` the lines repeated on every PDF page. The kind of an
    artifact follows its name: ``.pdf``, ``.txt``, ``.json``; anything else is scanned as
    bytes and text. Returns the findings, empty when the artifacts are clean; never raises
    for a malformed artifact (that is itself a finding).
    """
    visible = normalize(visible_text)
    visible_chars = set(unicodedata.normalize("NFC", visible_text)) | set(visible_text)
    hidden_chars = {
        c
        for hidden in hidden_strings
        for c in set(hidden) | set(unicodedata.normalize("NFC", hidden))
        if not c.isspace() and c not in visible_chars
    }
    scanner = _Scanner(_needles(hidden_strings, visible), page_lines)
    for name, data in artifacts.items():
        scanner.check(name, "file name", [variable_part(name)], binary=False)
        lower = name.lower()
        if lower.endswith(".pdf"):
            _check_pdf(scanner, name, data, hidden_chars, visible)
        elif lower.endswith(".json"):
            try:
                values = list(_json_values(json.loads(data.decode("utf-8"))))
            except ValueError:
                scanner.problem(name, "json", "not valid UTF-8 JSON")
                values = [data.decode("utf-8", errors="replace")]
            scanner.check(name, "json", values, binary=False)
        elif lower.endswith(".txt"):
            scanner.check(name, "text", [data.decode("utf-8", errors="replace")], binary=False)
        else:
            scanner.check(name, "bytes", [data.decode("utf-8", errors="replace")], binary=False)
            scanner.check(name, "bytes", _byte_texts(data), binary=True)
    return scanner.findings
