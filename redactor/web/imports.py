"""Import cables from the browser: several files or a zip archive in one upload.

Admins and reviewers only. The upload goes through the same batch importer as the command
line (:func:`~redactor.cables.service.import_batch`), which commits in chunks of its own
sessions; that is why the view ends the request session's read transaction first (on SQLite
it holds the write lock the batch needs) instead of committing once at the end.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from sqlalchemy.orm import Session

from redactor.cables.service import ZipLimits, import_batch, iter_upload_sources
from redactor.review.policy import Role
from redactor.web.auth import role_required
from redactor.web.extensions import db_session

imports_bp = Blueprint("imports", __name__)


def _limits() -> dict[str, Any]:
    return {
        "max_bytes": int(current_app.config["MAX_IMPORT_BYTES"]),
        "max_upload": int(current_app.config["MAX_CONTENT_LENGTH"]),
    }


@imports_bp.get("/import")
@role_required(Role.ADMIN, Role.REVIEWER)
def upload_form() -> Any:
    """The upload form."""
    return render_template("imports/upload.html", **_limits())


@imports_bp.post("/import")
@role_required(Role.ADMIN, Role.REVIEWER)
def upload() -> Any:
    """Import the uploaded files (a ``.zip`` is read member by member); show the summary."""
    files = [item for item in request.files.getlist("files") if item.filename]
    if not files:
        message = "Choose one or more cable files (.txt) or a .zip archive to import."
        return render_template("imports/upload.html", error=message, **_limits()), 400
    actor_id = current_user.id
    db_session().commit()  # end the read transaction the login check opened
    factory = current_app.extensions["redactor.sessions"]
    client_addr = request.remote_addr or ""

    def open_session() -> Session:
        session = factory()
        session.info["client_addr"] = client_addr
        return session

    summary = import_batch(
        open_session,
        actor_id,
        iter_upload_sources(
            ((item.filename, item.stream) for item in files),
            zip_limits=ZipLimits.from_settings(current_app.config),
        ),
        max_bytes=_limits()["max_bytes"],
    )
    status = 200 if summary.ok else 422
    return render_template("imports/result.html", summary=summary), status
