"""Imports: ``POST /cables``, texts in the body, a report per text."""

from __future__ import annotations

from typing import Literal

from flask import current_app
from pydantic import Field, StrictStr

from redactor.cables.service import import_cable
from redactor.errors import NotPermitted
from redactor.review.policy import can_import
from redactor.web.api.common import ApiError, Body, Reply, actor, operation
from redactor.web.extensions import db_session

MAX_IMPORT_FILES = 1000
Outcome = Literal["imported", "unchanged", "new_version", "failed"]


class ImportFile(Body):
    # Not Text: a NUL or an unpaired surrogate is refused per file, with its line, by the
    # import service, as in a file on disk.
    name: StrictStr
    text: StrictStr


class ImportRequest(Body):
    cables: list[ImportFile] = Field(min_length=1, json_schema_extra={
        "maxItems": MAX_IMPORT_FILES})


class ImportSummary(Reply):
    imported: int
    unchanged: int
    new_version: int
    failed: int


class ImportOutcome(Reply):
    name: str
    status: Outcome
    reference_id: str | None
    version: int | None
    error: str | None


class ImportReport(Reply):
    """What happened to each text."""

    ok: bool
    summary: ImportSummary
    files: list[ImportOutcome]


def _require_importer() -> None:
    if not can_import(actor().roles):
        raise NotPermitted("only administrators and reviewers import cables")


@operation("POST", "/cables", "Import cable texts (administrators and reviewers)",
           body=ImportRequest, reply=ImportReport, errors=(403, 413), commits=True,
           guard=_require_importer)
def import_cables(body: ImportRequest) -> ImportReport:
    """Import cable texts: ``{"cables": [{"name": ..., "text": ...}]}``; a report per file.
    More than 1000 texts in one request is 413 ``too_many_files``."""
    if len(body.cables) > MAX_IMPORT_FILES:
        raise ApiError(413, "too_many_files", f"at most {MAX_IMPORT_FILES} cables a request")
    session, user = db_session(), actor()
    max_bytes = int(current_app.config["MAX_IMPORT_BYTES"])
    # Unpaired surrogates pass through as bytes that are not UTF-8: refused per file, with
    # the reason, exactly as a file on disk with the same bytes would be.
    outcomes = [
        import_cable(
            session, user, item.name, item.text.encode("utf-8", "surrogatepass"),
            max_bytes=max_bytes,
        )
        for item in body.cables
    ]
    summary = {"imported": 0, "unchanged": 0, "new_version": 0, "failed": 0}
    for outcome in outcomes:
        summary[str(outcome.status)] += 1
    return ImportReport(
        ok=summary["failed"] == 0,
        summary=ImportSummary(**summary),
        files=[
            ImportOutcome(name=o.name, status=str(o.status), reference_id=o.reference_id,
                          version=o.version, error=o.error)
            for o in outcomes
        ],
    )
