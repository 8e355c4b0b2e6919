"""Releases: release a cable, read a release, download its files."""
from __future__ import annotations

from datetime import date

from flask import Response, jsonify

from redactor.errors import (
    InvalidInput,
    NotFound,
)
from redactor.models import (
    MAX_ID,
    Cable,
)
from redactor.release import service as releases
from redactor.web.api.common import (
    _approvals_required,
    actor,
    api_bp,
    body,
    only,
    release_json,
    str_field,
    visible_cable,
)
from redactor.web.extensions import db_session

# --------------------------------------------------------------------------- releases


@api_bp.post("/cables/<reference_id>/releases")
def release_cable(reference_id: str):
    """Release the current version with its approved redactions (release authorities)."""
    data = body()
    only(data, "case_number", "release_date")
    case_number = str_field(data, "case_number", required=False)
    raw_date = str_field(data, "release_date", required=False)
    release_date = None
    if raw_date:
        try:
            release_date = date.fromisoformat(raw_date)
        except ValueError:
            raise InvalidInput("the release date must be written YYYY-MM-DD") from None
    session = db_session()
    cable = visible_cable(reference_id)
    try:
        made = releases.release_cable(
            session,
            actor(),
            cable,
            case_number=case_number.strip() if case_number else None,
            release_date=release_date,
            approvals_required=_approvals_required(),
        )
    except releases.ReleaseBlocked:
        session.commit()  # the gate's refusal stays on record; nothing was released
        raise
    reply = release_json(made, cable.reference_id)
    session.commit()
    return jsonify(reply), 201


@api_bp.get("/releases/<int:release_id>")
def get_release(release_id: int):
    """A release: numbers, disposition, its record and its files."""
    session = db_session()
    if release_id > MAX_ID:
        raise NotFound("no such release")
    made = releases.get_release(session, actor(), release_id)
    cable = session.get(Cable, made.cable_id)
    assert cable is not None  # held by the foreign key
    return jsonify(release_json(made, cable.reference_id))


@api_bp.get("/releases/<int:release_id>/artifacts/<any(pdf, txt, json):name>")
def release_artifact(release_id: int, name: str):
    """One file of a release, named after the document number; the download is audited."""
    session = db_session()
    if release_id > MAX_ID:
        raise NotFound("no such release")
    artifact, file_name = releases.get_artifact(session, actor(), release_id, name)
    data, media_type = artifact.data, artifact.media_type
    session.commit()
    response = Response(data, content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response

