"""Releases: release a cable, read a release, download its files."""

from __future__ import annotations

from datetime import date

from flask import Response
from pydantic import Field

from redactor.errors import InvalidInput
from redactor.models import Cable
from redactor.release import service as releases
from redactor.web.api.common import (
    Body,
    ReleaseReply,
    Text,
    actor,
    approvals_required,
    operation,
    release_reply,
    visible_cable,
)
from redactor.web.extensions import db_session
from redactor.web.releases import artifact_download


class ReleaseRequest(Body):
    case_number: Text | None = Field(None, description="F-YYYY-NNNNN; a new one when absent.")
    release_date: Text | None = Field(
        None, json_schema_extra={"format": "date"},
        description="YYYY-MM-DD (default today), between the cable's own date (or 1900) and "
        "tomorrow; another date is 422.",
    )


@operation("POST", "/cables/<reference_id>/releases",
           "Release a ready cable (release authorities)", body=ReleaseRequest,
           body_required=False, reply=ReleaseReply, status=201,
           errors=(403, 404, 409, 413, 422))
def release_cable(reference_id: str, body: ReleaseRequest) -> ReleaseReply:
    """Release the current version with its approved redactions (release authorities)."""
    release_date = None
    if body.release_date:
        try:
            release_date = date.fromisoformat(body.release_date)
        except ValueError:
            raise InvalidInput("the release date must be written YYYY-MM-DD") from None
    session = db_session()
    cable = visible_cable(reference_id)
    try:
        made = releases.release_cable(
            session,
            actor(),
            cable,
            case_number=(body.case_number or "").strip() or None,
            release_date=release_date,
            approvals_required=approvals_required(),
        )
    except releases.ReleaseBlocked:
        session.commit()  # the gate's refusal stays on record; nothing was released
        raise
    reply = release_reply(made, cable.reference_id)
    session.commit()
    return reply


@operation("GET", "/releases/<int:release_id>", "A release and its files",
           reply=ReleaseReply, errors=(404,))
def get_release(release_id: int) -> ReleaseReply:
    """A release: numbers, disposition, its record and its files."""
    session = db_session()
    made = releases.get_release(session, actor(), release_id)
    cable = session.get(Cable, made.cable_id)
    assert cable is not None  # held by the foreign key
    return release_reply(made, cable.reference_id)


#: The media types of the files, for the document.
FILE_CONTENT = {
    "application/pdf": {"schema": {"type": "string", "format": "binary"}},
    "text/plain": {"schema": {"type": "string"}},
    "application/json": {"schema": {"type": "object", "additionalProperties": True}},
}


@operation("GET", "/releases/<int:release_id>/artifacts/<any(pdf, txt, json):name>",
           "Download one file of a release (audited)", reply=None, errors=(404,),
           operation_id="getReleaseArtifact", content=FILE_CONTENT)
def release_artifact(release_id: int, name: str) -> Response:
    """One file of a release, named after the document number; the download is audited."""
    return artifact_download(actor(), release_id, name)
