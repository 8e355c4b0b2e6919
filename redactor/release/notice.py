"""The withdrawal notice: what a requester receives for a document ``DENIED IN FULL``.

Pure: standard library and :mod:`redactor.release.render` only.

A document withheld entirely is not published (``docs/release-conventions.md``): none of
its text leaves the building, not even the lines outside its portions (routing, subject,
"Classified By", signature). What the requester gets instead is a notice naming the
document and why it is withheld: the reference (only when the release would have printed
it), the document's date, the number of pages withheld, the exemption codes, and the case
and document numbers. The notice is built as a :class:`ReleasableDocument` of its own, so
the same writers (PDF, text) and the same release gate serve it; its lines hold no character
of the cable text.
"""

from __future__ import annotations

from datetime import date

from redactor.release.render import Disposition, ReleasableDocument, TextSegment

NOTICE_TITLE = "WITHDRAWAL NOTICE"


def notice_lines(
    *,
    reference: str | None,
    document_date: date | None,
    pages: int,
    codes: tuple[str, ...],
    case_number: str,
    doc_number: str,
) -> tuple[str, ...]:
    """The lines of the notice, in reading order (plain strings)."""
    return (
        NOTICE_TITLE,
        "",
        "The document described below is withheld in full and is not published.",
        "",
        f"Document: {reference or 'telegram (reference withheld)'}",
        f"Document date: {document_date.strftime('%m/%d/%Y') if document_date else 'withheld'}",
        f"Pages withheld: {pages}",
        f"Exemptions: {', '.join(codes) if codes else 'none'}",
        f"Case No.: {case_number}",
        f"Doc No.: {doc_number}",
    )


def denial_notice(
    document: ReleasableDocument,
    *,
    reference: str | None,
    document_date: date | None,
    pages: int,
) -> ReleasableDocument:
    """The notice that replaces ``document`` (which must be ``DENIED IN FULL``): same
    numbers, date, disposition and codes; its lines are those of :func:`notice_lines`.

    Raises ``ValueError`` for a document that is not denied.
    """
    if document.disposition is not Disposition.DENIED:
        raise ValueError("only a document denied in full is replaced by a notice")
    lines = notice_lines(
        reference=reference,
        document_date=document_date,
        pages=pages,
        codes=document.codes,
        case_number=document.case_number,
        doc_number=document.doc_number,
    )
    return ReleasableDocument(
        case_number=document.case_number,
        doc_number=document.doc_number,
        release_date=document.release_date,
        disposition=Disposition.DENIED,
        codes=document.codes,
        lines=tuple((TextSegment(line),) if line else () for line in lines),
        placeholder_width=document.placeholder_width,
    )


def notice_record(
    notice: ReleasableDocument,
    *,
    reference: str | None,
    document_date: date | None,
    pages: int,
) -> dict:
    """The JSON published for a denial: the notice's facts, no line or excision of the
    withheld document."""
    return {
        "notice": "withdrawal",
        "page_line": notice.page_line,
        "case_number": notice.case_number,
        "doc_number": notice.doc_number,
        "release_date": notice.release_date.isoformat(),
        "disposition": notice.disposition.value,
        "stamp": notice.stamp,
        "codes": list(notice.codes),
        "reference_id": reference,
        # As printed on the notice: every string of the JSON is text the notice shows.
        "document_date": document_date.strftime("%m/%d/%Y") if document_date else None,
        "pages_withheld": pages,
    }
