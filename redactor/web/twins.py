"""Twins in the browser: "propose the same redactions here" on a portion of the cable page.

One route, a POST with CSRF (Flask-WTF, app-wide): a reviewer proposes on a portion the
approved redactions of one of its twins, re-anchored to this text
(:func:`redactor.consistency.twin_views.apply_twin_decisions`); each is a new pending
proposal that a second person must approve. A cable above the user's clearance, a portion
that does not exist and a twin the user may not see (or that is no twin of the portion) are
all the same 404 as an unknown reference id. What the cable page shows of twins (per
portion, and the duplicate cables) is read by :mod:`redactor.consistency.twin_views` in the
cable views.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from redactor.cables.access import get_visible_cable
from redactor.consistency.twin_views import apply_twin_decisions
from redactor.errors import InvalidInput
from redactor.models import MAX_ID, User
from redactor.web.extensions import db_session

twins_bp = Blueprint("twins", __name__)


def _form_int(name: str) -> int:
    raw = request.form.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10) or int(raw) > MAX_ID:
        raise InvalidInput(f"{name} must be a whole number")
    return int(raw)


@twins_bp.post("/cables/<reference_id>/portions/<int:index>/twins/apply")
@login_required
def apply(reference_id: str, index: int) -> Any:
    """Propose here the approved redactions of the twin portion named by the form
    (``twin``, ``twin_portion``, ``version``, optional ``rationale``)."""
    if index > MAX_ID:
        abort(404)
    session = db_session()
    actor: User = current_user._get_current_object()
    cable = get_visible_cable(session, actor, reference_id)
    twin = request.form.get("twin", "").strip()[:64]
    result = apply_twin_decisions(
        session, actor, cable, index,
        twin_reference_id=twin,
        twin_portion_index=_form_int("twin_portion"),
        version_number=_form_int("version"),
        rationale=request.form.get("rationale", ""),
    )
    session.commit()
    parts = [f"{len(result.proposed)} redaction{'s' if len(result.proposed) != 1 else ''} "
             "proposed here; each needs a second person's approval."]
    if result.already:
        parts.append(f"{result.already} already proposed here.")
    if result.not_placed:
        parts.append(f"{result.not_placed} could not be placed in this text.")
    flash(" ".join(parts), "success" if result.proposed else "info")
    return redirect(url_for("cables.show_cable", reference_id=reference_id,
                            _anchor=f"portion-{index}"))
