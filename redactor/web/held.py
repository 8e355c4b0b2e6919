"""Held imports in the browser: the list, one file against the cable's text, apply, discard.

Reviewers and administrators only (403 for anyone else, whatever the id); which held files
a person sees, and may act on, is decided by :mod:`redactor.cables.held` from their
clearance: a file above it is a 404, exactly like an id never used. Each action carries the
row's ``row_version`` (409 when stale or already decided), commits, and redirects to the
list with a message.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from redactor.cables import held as held_service
from redactor.errors import InvalidInput
from redactor.models import MAX_ID, User
from redactor.review.policy import Role
from redactor.web.auth import role_required
from redactor.web.extensions import db_session

held_bp = Blueprint("held", __name__)


def _actor() -> User:
    return current_user._get_current_object()


def form_int(name: str) -> int:
    """The whole number the form field ``name`` holds (``InvalidInput`` otherwise)."""
    raw = request.form.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID:
        raise InvalidInput(f"{name} must be a whole number")
    return int(raw)


@held_bp.get("/held-imports")
@role_required(Role.ADMIN, Role.REVIEWER)
def list_held() -> Any:
    """The held files the user is cleared for."""
    rows = held_service.list_held(db_session(), _actor())
    return render_template("held/list.html", rows=rows)


@held_bp.get("/held-imports/<int:held_id>")
@role_required(Role.ADMIN, Role.REVIEWER)
def show_held(held_id: int) -> Any:
    """One held file against the cable's current version, with apply and discard (the
    viewing of a classified cable's text is audited, ``cable.view``)."""
    session = db_session()
    view = held_service.held_view(session, _actor(), held_id)
    session.commit()  # the viewing of the cable's text is on record
    return render_template("held/show.html", view=view)


@held_bp.post("/held-imports/<int:held_id>/apply")
@role_required(Role.ADMIN, Role.REVIEWER)
def apply_held(held_id: int) -> Any:
    """Import the held file as the signed-in user (a new version, or nothing if the same)."""
    session = db_session()
    held = held_service.apply_held(
        session,
        _actor(),
        held_id,
        expected_row_version=form_int("row_version"),
        max_bytes=int(current_app.config["MAX_IMPORT_BYTES"]),
    )
    reference_id, version = held.reference_id, held.applied_version
    session.commit()
    flash(f"Applied: {reference_id} is now at version {version}.", "success")
    return redirect(url_for("held.list_held"))


@held_bp.post("/held-imports/<int:held_id>/discard")
@role_required(Role.ADMIN, Role.REVIEWER)
def discard_held(held_id: int) -> Any:
    """Discard the held file, with the reason given."""
    session = db_session()
    held_service.discard_held(
        session,
        _actor(),
        held_id,
        expected_row_version=form_int("row_version"),
        reason=request.form.get("reason", ""),
    )
    session.commit()
    flash("Discarded the held import.", "success")
    return redirect(url_for("held.list_held"))
