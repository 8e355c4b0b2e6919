"""Building a release: the releasable document of a cable version, its files, and the gate.

Services layer (SQLAlchemy reads, no Flask, nothing written). :mod:`redactor.release.service`
plans and stores releases with these; the preview builds its document with
:func:`preview_document`, the same builder, so the two cannot disagree on the stamp.
Nothing here checks clearance: the callers have.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from redactor.models import Cable, CableVersion, Portion
from redactor.redaction.spans import Span
from redactor.release import render, writers
from redactor.release.gate import GateFinding, check_artifacts
from redactor.release.occurrences import visible_occurrences
from redactor.release.render import ReleasableDocument
from redactor.review.service import approved_spans

#: The kinds of file a release has, in package order: (name, media type).
ARTIFACT_KINDS: tuple[tuple[str, str], ...] = (
    ("pdf", writers.PDF_MEDIA_TYPE),
    ("txt", writers.TEXT_MEDIA_TYPE),
    ("json", writers.JSON_MEDIA_TYPE),
)

def file_name(doc_number: str, kind: str) -> str:
    """The name of a release file: the document number and the kind (``C05771875.pdf``);
    never anything taken from the cable."""
    return f"{doc_number}.{kind}"



def portion_contents(session: Session, version: CableVersion) -> list[tuple[int, int]]:
    """The content of each portion (after its number and marking, as written in the
    ``Portion`` row): what must all be withheld for ``DENIED IN FULL``."""
    portions = session.scalars(
        select(Portion).where(Portion.version_id == version.id).order_by(Portion.index)
    ).all()
    chosen = [p for p in portions if p.kind == "portion"] or list(portions)
    text = version.text
    if not chosen:
        # No portion at all (a truncated cable): denied in full only if nothing of the
        # whole text stays visible.
        return [(0, len(text))] if text.strip() else []
    spans = []
    for portion in chosen:
        start = portion.start
        if portion.marking:
            found = text.find(portion.marking, portion.start, min(portion.end, start + 64))
            if found >= 0:
                start = found + len(portion.marking)
        while start < portion.end and text[start].isspace():
            start += 1
        if start < portion.end:
            spans.append((start, portion.end))
    return spans


def _page_breaks(version: CableVersion) -> list[tuple[int, int]]:
    """The parser's page-break lines from the stored view (``[start, end]`` pairs or
    objects with ``start`` and ``end``)."""
    spans = []
    for item in (version.parsed or {}).get("page_breaks") or []:
        if isinstance(item, dict):
            item = [item.get("start"), item.get("end")]
        if isinstance(item, list | tuple) and len(item) == 2:
            start, end = item
            if type(start) is int and type(end) is int and 0 <= start < end:
                spans.append((start, end))
    return spans


def build_document(
    session: Session,
    cable: Cable,
    version: CableVersion,
    *,
    case_number: str,
    doc_number: str,
    release_date: date,
    approvals_required: int = 1,
) -> tuple[ReleasableDocument, list[str]]:
    """The releasable document of ``version`` and the hidden strings (for the gate only).

    Not clearance-checked (the caller has done that).
    """
    approved = approved_spans(session, cable, version, approvals_required=approvals_required)
    return document_of(session, version, approved, case_number, doc_number, release_date)


def document_of(
    session: Session,
    version: CableVersion,
    approved: Sequence[tuple[Span, tuple[str, ...]]],
    case_number: str,
    doc_number: str,
    release_date: date,
) -> tuple[ReleasableDocument, list[str]]:
    """:func:`build_document` from the approved spans already loaded."""
    redactions = [(span.start, span.end, codes) for span, codes in approved]
    doc = render.render_release(
        version.text,
        redactions,
        case_number=case_number,
        doc_number=doc_number,
        release_date=release_date,
        page_break_spans=_page_breaks(version),
        portion_spans=portion_contents(session, version),
    )
    hidden = [version.text[start:end] for start, end, _ in redactions]
    return doc, hidden


#: Numbers printed by a preview: never a real case or document number.
PREVIEW_CASE_NUMBER = "F-0000-00000"
PREVIEW_DOC_NUMBER = "C00000000"


def preview_document(
    session: Session,
    version: CableVersion,
    approved: Sequence[tuple[Span, tuple[str, ...]]],
    *,
    release_date: date | None = None,
) -> ReleasableDocument:
    """The document a release of ``version`` with the ``approved`` spans would make, with
    placeholder numbers: built by the same :func:`document_of` as the release, so that
    the preview's disposition and stamp are the release's (the portions' contents decide
    ``DENIED IN FULL`` in both). Not clearance-checked (the caller has done that)."""
    doc, _hidden = document_of(
        session,
        version,
        approved,
        PREVIEW_CASE_NUMBER,
        PREVIEW_DOC_NUMBER,
        release_date or date(2000, 1, 1),
    )
    return doc


def write_artifacts(doc: ReleasableDocument) -> dict[str, bytes]:
    """The files of a release, by kind (``pdf``, ``txt``, ``json``)."""
    return {
        "pdf": writers.write_pdf(doc),
        "txt": writers.write_text(doc),
        "json": writers.write_json(doc.public_record()),
    }


def gate(
    doc: ReleasableDocument, artifacts: dict[str, bytes], hidden: Sequence[str]
) -> list[GateFinding]:
    """Run the release gate on ``artifacts`` (by kind), named as they will be published."""
    named = {file_name(doc.doc_number, kind): data for kind, data in artifacts.items()}
    return check_artifacts(named, hidden, visible_forms(doc), page_lines=[doc.page_line])


def occurrence_findings(text: str, spans: Sequence[Span]) -> list[GateFinding]:
    """A finding for each place where ``text`` prints the withheld text of one of the
    approved ``spans`` elsewhere (:func:`redactor.release.occurrences.visible_occurrences`):
    the gate refuses rather than release a name withheld in one place and printed in
    another. Findings give line and column, never the text."""
    return [
        GateFinding("cable text", "visible occurrence", occurrence.describe())
        for occurrence in visible_occurrences(text, spans)
    ]


def visible_forms(doc: ReleasableDocument) -> str:
    """Every form in which the release shows its text: the text file's (placeholders in
    brackets), and the printed rows of the PDF (invisible characters spelled out, each box
    showing its label)."""
    rows = writers.printed_rows(doc)
    printed = "\n".join(
        "".join(s.text if isinstance(s, render.TextSegment) else s.label for s in row)
        for row in rows
    )
    return f"{doc.visible_text}\n{printed}\n"


def printed_reference(doc: ReleasableDocument, cable: Cable) -> str | None:
    """The cable's reference id if the released text prints it, else None.

    Decided from the released text alone: whether the id also occurs inside a withheld span
    must not show in the record, which travels with the release.
    """
    reference = cable.reference_id
    return reference if reference and reference in doc.body_text else None



def pdf_pages(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)
