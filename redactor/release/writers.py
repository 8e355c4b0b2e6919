"""Write a :class:`~redactor.release.render.ReleasableDocument` as PDF, plain text and JSON.

Services layer: file system and the Typst compiler, no database, no Flask. Every writer takes
the releasable document (or a record built from it), in which hidden text does not exist.

PDF
---
Typeset by Typst (PyPI ``typst``, whose wheel carries its fonts) from
``templates/release/cable.typ``. The data travels as one JSON string in ``sys.inputs`` that
the template parses and uses as strings only, so cable text is never read as Typst markup
(a cable line such as ``#panic()`` or ``*bold*`` is printed as written). Lines are wrapped
here, in :func:`redactor.release.render.wrap_lines`, at :data:`COLUMNS` characters of a
monospace face, so the template's own line breaker never has to act on cable text.

Properties held (and checked by the release gate and the tests):

* deterministic bytes: system fonts are ignored (only the fonts inside the wheel are used),
  the document date is the release date and the PDF's ids are derived from the content, so
  the same document gives the same bytes on any machine;
* neutral metadata: title = the document number, no author, no keywords, no subject;
* no annotations, outlines, attachments, forms or scripts; one revision (one ``%%EOF``);
* a tagged PDF (reading order and language for screen readers).

Typst was chosen over ReportLab because it meets all of the above with the fonts it ships
(DejaVu Sans Mono covers Latin, Greek and Cyrillic) and typesets an 11 KB cable in 12-30 ms
with a reused compiler (see ``bench/pdf.py``): ReportLab was not needed as a fallback.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from redactor.release.render import (
    Excision,
    Line,
    ReleasableDocument,
    TextSegment,
    wrap_lines,
)
from redactor.resources import resource_path

#: Characters per printed row (US Letter, 0.75 in margins, 9 pt DejaVu Sans Mono).
COLUMNS = 90
TEMPLATE = ("templates", "release", "cable.typ")

PDF_MEDIA_TYPE = "application/pdf"
TEXT_MEDIA_TYPE = "text/plain; charset=utf-8"
JSON_MEDIA_TYPE = "application/json"

_lock = threading.Lock()
_compiler: Any = None
_last_rows: tuple[ReleasableDocument, tuple[Line, ...]] | None = None


class ReleaseWriteError(RuntimeError):
    """The PDF could not be typeset (a broken template or Typst installation)."""


def _template() -> Path:
    return resource_path(*TEMPLATE)


def _typst_compiler() -> Any:
    # One compiler per process keeps its font book loaded (about 40 ms saved per PDF).
    global _compiler
    if _compiler is None:
        import typst  # imported late: only the PDF writer needs it

        _compiler = typst.Compiler(root=str(_template().parent), ignore_system_fonts=True)
    return _compiler


def printed_rows(doc: ReleasableDocument) -> tuple[Line, ...]:
    """The rows of the printed pages of ``doc``: :func:`wrap_lines` at :data:`COLUMNS`.

    The PDF writer and the release gate's visible text both need them for the same document
    in a row; the last answer is kept (the document is immutable, so the rows cannot go
    stale) and given again for that very object.
    """
    global _last_rows
    last = _last_rows
    if last is not None and last[0] is doc:
        return last[1]
    rows = wrap_lines(doc, COLUMNS)
    _last_rows = (doc, rows)
    return rows


def pdf_input(doc: ReleasableDocument) -> dict[str, Any]:
    """The JSON data the PDF template reads: stamp lines, placeholder width and rows.

    A row is a list of items: a string (released text) or a one-element list ``[label]``
    (an excision).
    """
    rows = [
        [s.text if isinstance(s, TextSegment) else [s.label] for s in row if _keep(s)]
        for row in printed_rows(doc)
    ]
    return {
        "doc_number": doc.doc_number,
        "page_line": doc.page_line,
        "stamp": doc.stamp,
        "date": [doc.release_date.year, doc.release_date.month, doc.release_date.day],
        "width": doc.placeholder_width,
        "rows": rows,
    }


def _keep(segment: TextSegment | Excision) -> bool:
    return isinstance(segment, Excision) or bool(segment.text)


def write_pdf(doc: ReleasableDocument) -> bytes:
    """The released document as PDF bytes (deterministic for a given ``doc``).

    Raises :class:`ReleaseWriteError` if Typst fails.
    """
    data = json.dumps(pdf_input(doc), ensure_ascii=False, separators=(",", ":"))
    with _lock:
        try:
            compiler = _typst_compiler()
            pdf = compiler.compile(
                input=str(_template()),
                sys_inputs={"release": data},
                format="pdf",
                pdf_tags=True,
            )
        except Exception as exc:  # typst.TypstError and friends
            raise ReleaseWriteError(f"typesetting the release failed: {exc}") from exc
    if not isinstance(pdf, bytes | bytearray):  # pragma: no cover - a Typst API change
        raise ReleaseWriteError("typst returned no PDF bytes")
    return bytes(pdf)


def write_text(doc: ReleasableDocument) -> bytes:
    """The released document as UTF-8 text: page line, stamp, a blank line, the body, a
    blank line, the page line again."""
    return (
        f"{doc.page_line}\n{doc.stamp}\n\n{doc.body_text}\n\n{doc.page_line}\n".encode()
    )


def canonical_json(record: Any) -> str:
    """``record`` as canonical JSON: sorted keys, no insignificant whitespace, UTF-8."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def write_json(record: Any) -> bytes:
    """``record`` as canonical JSON bytes (UTF-8, sorted keys, one trailing newline)."""
    return (canonical_json(record) + "\n").encode()
