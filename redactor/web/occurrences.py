"""Every occurrence in the cable, in the browser: see them, propose them all, release one.

Routes only; every rule (clearance, roles, two persons, versions) is
:mod:`redactor.redaction.occurrences`'. A cable, redaction or decision the user may not see is
a 404 exactly like an id never used; a stale or repeated action a 409; bad input a 422 page.
Each action commits and redirects back to the page it came from (``next``: ``cable`` or
``occurrences``, never a URL).

``GET /cables/<ref>/occurrences[?start=&end=]``: the cable's consistency page: the places the
release gate would refuse, each proposal's other occurrences, the open requests, and (with a
selection) the occurrences of a text not yet proposed.
``POST /redactions/<id>/occurrences``: propose all (or the ticked ``place`` values).
``POST /cables/<ref>/occurrences/release``: ask to release one occurrence, with a reason.
``POST /occurrence-decisions/<id>/approve|reject|withdraw``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from redactor.cables.access import get_visible_cable
from redactor.errors import InvalidInput
from redactor.models import MAX_ID, Cable, User
from redactor.redaction import occurrence_decisions as decisions
from redactor.redaction import occurrence_pages
from redactor.redaction import occurrences as service
from redactor.web.extensions import db_session

occurrences_bp = Blueprint("occurrences", __name__)


def _actor() -> User:
    return current_user._get_current_object()


def _approvals_required() -> int:
    return int(current_app.config.get("APPROVALS_REQUIRED") or 1)


def _offset(source: Any, name: str) -> int:
    raw = source.get(name, "")
    if not (isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= 10):
        raise InvalidInput(f"{name} must be a whole number")
    return int(raw)


def _optional_int(name: str) -> int | None:
    raw = request.form.get(name, "")
    if raw == "":
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10):
        raise InvalidInput(f"{name} must be a whole number")
    return int(raw)


def _back(cable: Cable, anchor: str = "occurrences") -> Any:
    if request.form.get("next") == "cable":
        return redirect(
            url_for("cables.show_cable", reference_id=cable.reference_id, _anchor=anchor)
        )
    return redirect(
        url_for("occurrences.show", reference_id=cable.reference_id, _anchor=anchor)
    )


@occurrences_bp.get("/cables/<reference_id>/occurrences")
@login_required
def show(reference_id: str) -> Any:
    """The cable's consistency page (see the module docstring)."""
    session, actor = db_session(), _actor()
    cable = get_visible_cable(session, actor, reference_id)
    selection = None
    if "start" in request.args or "end" in request.args:
        selection = (_offset(request.args, "start"), _offset(request.args, "end"))
    model = occurrence_pages.panel(
        session, actor, cable, approvals_required=_approvals_required(), selection=selection
    )
    session.commit()
    return render_template("review/occurrences.html", consistency=model)


@occurrences_bp.post("/redactions/<int:redaction_id>/occurrences")
@login_required
def propose_all(redaction_id: int) -> Any:
    """Propose every open occurrence of the redaction (or the ticked ones), linked to it."""
    if redaction_id > MAX_ID:
        abort(404)
    session, actor = db_session(), _actor()
    redaction = service.get_redaction(session, actor, redaction_id)
    places = request.form.getlist("place") or None
    made = service.propose_linked(
        session, actor, redaction, places=places, expected_row_version=_optional_int("row_version")
    )
    cable = session.get(Cable, redaction.cable_id)
    count = len(made)
    session.commit()
    flash(
        f"Proposed {count} linked redaction{'' if count == 1 else 's'}: each needs a second "
        "person's approval.",
        "success",
    )
    return _back(cable, f"redaction-{redaction_id}" if request.form.get("next") == "cable"
                 else "occurrences")


@occurrences_bp.post("/cables/<reference_id>/occurrences/release")
@login_required
def request_release(reference_id: str) -> Any:
    """Ask that one occurrence be released although the same text is withheld elsewhere."""
    session, actor = db_session(), _actor()
    cable = get_visible_cable(session, actor, reference_id)
    made = decisions.request_release(
        session,
        actor,
        cable,
        start=_offset(request.form, "start"),
        end=_offset(request.form, "end"),
        reason=request.form.get("reason", ""),
        version_number=_optional_int("version"),
    )
    made_id = made.id
    session.commit()
    flash(f"Release of the occurrence requested (#{made_id}): an approver decides on it.",
          "success")
    return _back(cable, "releases")


def _decide(decision_id: int, action: str) -> Any:
    if decision_id > MAX_ID:
        abort(404)
    session, actor = db_session(), _actor()
    row = decisions.decide_release(
        session,
        actor,
        decision_id,
        action=action,
        expected_row_version=_optional_int("row_version"),
        reason=request.form.get("reason", ""),
    )
    cable = session.get(Cable, row.cable_id)
    status = row.status
    session.commit()
    flash(f"Release of the occurrence {status}.", "success")
    return _back(cable, "releases")


@occurrences_bp.post("/occurrence-decisions/<int:decision_id>/approve")
@login_required
def approve(decision_id: int) -> Any:
    """Approve a request to release an occurrence (an approver who did not ask)."""
    return _decide(decision_id, "approve")


@occurrences_bp.post("/occurrence-decisions/<int:decision_id>/reject")
@login_required
def reject(decision_id: int) -> Any:
    """Reject a request to release an occurrence, with a reason."""
    return _decide(decision_id, "reject")


@occurrences_bp.post("/occurrence-decisions/<int:decision_id>/withdraw")
@login_required
def withdraw(decision_id: int) -> Any:
    """Withdraw one's own pending request."""
    return _decide(decision_id, "withdraw")
