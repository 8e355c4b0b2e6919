"""Release downloads and the release form (the review screens come separately).

``GET /releases/<id>.pdf|.txt|.json``: any user cleared for the cable downloads the file
(404 otherwise, as for an unknown release); each download is audited. The file name in
``Content-Disposition`` is the document number, never anything from the cable.

``GET/POST /cables/<reference_id>/release``: a release authority releases a ready cable. A
gate refusal is committed (its audit entry) and answered 409.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import select

from redactor.cables.access import get_visible_cable
from redactor.errors import InvalidInput
from redactor.models import Release, User
from redactor.release import service as releases
from redactor.review.policy import Role
from redactor.web.auth import role_required
from redactor.web.extensions import db_session

releases_bp = Blueprint("releases", __name__)


def _actor() -> User:
    return current_user._get_current_object()


@releases_bp.route("/releases/<int:release_id>.pdf", defaults={"kind": "pdf"})
@releases_bp.route("/releases/<int:release_id>.txt", defaults={"kind": "txt"})
@releases_bp.route("/releases/<int:release_id>.json", defaults={"kind": "json"})
@login_required
def download(release_id: int, kind: str) -> Any:
    """One file of a release, as an attachment named after the document number."""
    session = db_session()
    artifact, name = releases.get_artifact(session, _actor(), release_id, kind)
    data, media_type = artifact.data, artifact.media_type
    session.commit()
    response = Response(data, content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _release_rows(cable_id: int) -> list[dict[str, Any]]:
    rows = db_session().scalars(
        select(Release).where(Release.cable_id == cable_id).order_by(Release.id.desc())
    )
    return [
        {
            "id": r.id,
            "doc_number": r.doc_number,
            "case_number": r.case_number,
            "disposition": r.disposition,
            "released_at": r.released_at,
        }
        for r in rows
    ]


def _parse_date(value: str) -> date | None:
    value = value.strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("the release date must be written YYYY-MM-DD") from None


@releases_bp.route("/cables/<reference_id>/release", methods=["GET", "POST"])
@role_required(Role.RELEASE_AUTHORITY)
def release(reference_id: str) -> Any:
    """The release form (GET) and the release itself (POST)."""
    session = db_session()
    cable = get_visible_cable(session, current_user, reference_id)
    error, status = None, 200
    if request.method == "POST":
        try:
            made = releases.release_cable(
                session,
                _actor(),
                cable,
                case_number=request.form.get("case_number", "").strip() or None,
                release_date=_parse_date(request.form.get("release_date", "")),
                approvals_required=int(current_app.config.get("APPROVALS_REQUIRED") or 1),
            )
        except releases.ReleaseBlocked as exc:
            session.commit()  # the gate's refusal stays on record; nothing was released
            error, status = str(exc), 409
        else:
            session.commit()
            flash(f"Released as Doc No. {made.doc_number}, Case No. {made.case_number}.")
            return redirect(url_for("releases.release", reference_id=cable.reference_id))
    return (
        render_template(
            "release/form.html",
            reference_id=cable.reference_id,
            status=str(cable.status),
            releases=_release_rows(cable.id),
            error=error,
        ),
        status,
    )
