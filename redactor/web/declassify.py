"""Declassification in the browser: ask on the cable page, decide on the request's page.

The request form is on the cable page (reviewers cleared for the cable); an approver finds
pending requests on the dashboard and decides on the request's page. Every rule (clearance,
roles, two persons, void requests, ``row_version``) is :mod:`redactor.cables.declassify`'s:
a request or cable above the user's clearance is a 404 like an unknown id, a stale or
repeated decision a 409. Each action commits and redirects.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from redactor.cables import declassify
from redactor.cables.access import get_visible_cable
from redactor.models import User
from redactor.web.extensions import db_session
from redactor.web.held import form_int

declassify_bp = Blueprint("declassify", __name__)


def _actor() -> User:
    return current_user._get_current_object()


@declassify_bp.post("/cables/<reference_id>/declassification")
@login_required
def request_declassification(reference_id: str) -> Any:
    """Ask that the cable fall to the level chosen, with a reason."""
    session, actor = db_session(), _actor()
    cable = get_visible_cable(session, actor, reference_id)
    made = declassify.request_declassification(
        session,
        actor,
        cable,
        to_level=request.form.get("to_level", ""),
        reason=request.form.get("reason", ""),
    )
    request_id = made.id
    session.commit()
    flash("Declassification requested: an approver decides on it.", "success")
    return redirect(url_for("declassify.show_request", request_id=request_id))


@declassify_bp.get("/declassifications/<int:request_id>")
@login_required
def show_request(request_id: int) -> Any:
    """The request, with approve and reject for an approver who did not make it."""
    view = declassify.request_view(db_session(), _actor(), request_id)
    return render_template("declassify/request.html", view=view)


def _decide(request_id: int, *, approve: bool) -> Any:
    session = db_session()
    decided = declassify.decide(
        session,
        _actor(),
        request_id,
        approve=approve,
        expected_row_version=form_int("row_version"),
        reason=request.form.get("reason", ""),
    )
    status = decided.status.value
    session.commit()
    flash(f"Declassification {status}.", "success")
    return redirect(url_for("declassify.show_request", request_id=request_id))


@declassify_bp.post("/declassifications/<int:request_id>/approve")
@login_required
def approve(request_id: int) -> Any:
    """Approve: the cable and its current version fall to the requested level."""
    return _decide(request_id, approve=True)


@declassify_bp.post("/declassifications/<int:request_id>/reject")
@login_required
def reject(request_id: int) -> Any:
    """Reject, with a reason."""
    return _decide(request_id, approve=False)
