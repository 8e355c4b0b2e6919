"""The review actions of the cable page: propose, withhold, edit, withdraw, approve, reject,
comment, mark reviewed. POST only (CSRF-checked by Flask-WTF), each answered by a redirect
to the part of the cable page it changed.

Each view loads (404 for what the user may not see), calls one service, commits, and
redirects. Domain errors map as everywhere (403 not permitted, 404 not found, 409 illegal
transition), except two that get a page of their own because the person can act on them:
a stale ``row_version`` (someone changed the proposal since the page was loaded: 409, reload)
and invalid input such as a bad span or code (422, with a link back to the portion). Nothing
is committed when a service raises: the request's session is rolled back at teardown.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from redactor.cables.access import get_visible_cable
from redactor.errors import InvalidInput, NotFound, StaleVersion
from redactor.models import MAX_ID, Cable, Redaction, User
from redactor.redaction import service as redactions
from redactor.review import service as review
from redactor.web.extensions import db_session
from redactor.web.refusals import record_refusal

review_bp = Blueprint("review", __name__)


def _actor() -> User:
    return current_user._get_current_object()


def _int(name: str, *, required: bool = True) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw and not required:
        return None
    try:
        number = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {raw[:20]!r}") from None
    # Offsets, indexes and versions all live in INTEGER columns: a larger number can match
    # nothing, and SQLite's driver raises on it rather than answering "no such row".
    if abs(number) > MAX_ID:
        raise InvalidInput(f"{name} is out of range")
    return number


def _codes() -> list[str]:
    """The codes of a form: checked boxes (``codes``), a typed list (``codes_text``), and
    the B3 statute joined to ``B3`` (``b3_statute``)."""
    codes = [c for c in request.form.getlist("codes") if c != "B3"]
    statute = request.form.get("b3_statute", "").strip()
    if "B3" in request.form.getlist("codes"):
        codes.append(f"B3 {statute}" if statute else "B3")  # parse_codes explains the latter
    typed = request.form.get("codes_text", "").strip()
    if typed:
        codes.append(typed)
    return codes


def _back(reference_id: str, anchor: str | None) -> str:
    return url_for("cables.show_cable", reference_id=reference_id, _anchor=anchor)


def _anchor_of(redaction: Redaction) -> str:
    return f"redaction-{redaction.id}"


def _load_redaction(redaction_id: int) -> tuple[Redaction, Cable]:
    # The redaction's cable must be visible: otherwise it is a 404 like an unknown id.
    session = db_session()
    redaction = session.get(Redaction, redaction_id)
    if redaction is None:
        raise NotFound(f"no redaction {redaction_id}")
    cable = session.get(Cable, redaction.cable_id)
    review.require_visible(_actor(), cable)
    return redaction, cable


def review_action(view: Callable[..., Any]) -> Callable[..., Any]:
    """Login required; a stale version or invalid input is answered with a page saying
    what to do (409 / 422); the request's session is never committed in that case."""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        back = request.form.get("back", "")
        back = back if back.startswith("/cables/") and "//" not in back else None
        try:
            return view(*args, **kwargs)
        except StaleVersion as exc:
            record_refusal(409, exc.code, str(exc))  # rolls back, then records the refusal
            return render_template("review/stale.html", message=str(exc), back=back), 409
        except InvalidInput as exc:
            db_session().rollback()
            return render_template("review/invalid.html", message=str(exc), back=back), 422

    return wrapped


def _approvals_required() -> int:
    return int(current_app.config.get("APPROVALS_REQUIRED") or 1)


@review_bp.route("/cables/<reference_id>/redactions", methods=["POST"])
@review_action
def propose(reference_id: str) -> Any:
    """Propose redacting ``[start, end)`` (code points) of the cable's current version."""
    session = db_session()
    cable = get_visible_cable(session, _actor(), reference_id)
    made = redactions.propose(
        session,
        _actor(),
        cable,
        start=_int("start"),
        end=_int("end"),
        codes=_codes(),
        rationale=request.form.get("rationale", ""),
        version_number=_int("version", required=False),
    )
    anchor = _anchor_of(made)
    session.commit()
    flash("Redaction proposed.", "success")
    return redirect(_back(reference_id, anchor))


@review_bp.route("/cables/<reference_id>/withhold", methods=["POST"])
@review_action
def withhold(reference_id: str) -> Any:
    """Propose withholding a whole portion (its text after number and marking)."""
    session = db_session()
    cable = get_visible_cable(session, _actor(), reference_id)
    made = redactions.withhold_portion(
        session,
        _actor(),
        cable,
        _int("portion"),
        codes=_codes(),
        rationale=request.form.get("rationale", ""),
    )
    anchor = _anchor_of(made)
    session.commit()
    flash("Withholding of the portion proposed.", "success")
    return redirect(_back(reference_id, anchor))


@review_bp.route("/cables/<reference_id>/portions/<int:index>/reviewed", methods=["POST"])
@review_action
def mark_reviewed(reference_id: str, index: int) -> Any:
    """Mark one portion of the current version as reviewed."""
    session = db_session()
    cable = get_visible_cable(session, _actor(), reference_id)
    review.mark_portion_reviewed(session, _actor(), cable, index)
    session.commit()
    return redirect(_back(reference_id, f"portion-{index}"))


@review_bp.route("/cables/<reference_id>/reviewed-unclassified", methods=["POST"])
@review_action
def mark_unclassified_reviewed(reference_id: str) -> Any:
    """Mark every (U) portion of the current version as reviewed."""
    session = db_session()
    cable = get_visible_cable(session, _actor(), reference_id)
    marked = review.mark_unclassified_portions_reviewed(session, _actor(), cable)
    session.commit()
    flash(f"{len(marked)} unclassified portion(s) marked reviewed.", "success")
    return redirect(_back(reference_id, "portions"))


@review_bp.route("/redactions/<int:redaction_id>/approve", methods=["POST"])
@review_action
def approve(redaction_id: int) -> Any:
    """Approve someone else's pending proposal (at the row version the page showed)."""
    redaction, cable = _load_redaction(redaction_id)
    redactions.approve(
        db_session(),
        _actor(),
        redaction,
        expected_row_version=_int("row_version"),
        approvals_required=_approvals_required(),
    )
    db_session().commit()
    flash("Approved.", "success")
    return redirect(_back(cable.reference_id, f"redaction-{redaction_id}"))


@review_bp.route("/redactions/<int:redaction_id>/reject", methods=["POST"])
@review_action
def reject(redaction_id: int) -> Any:
    """Reject someone else's pending proposal, with a reason."""
    redaction, cable = _load_redaction(redaction_id)
    redactions.reject(
        db_session(),
        _actor(),
        redaction,
        expected_row_version=_int("row_version"),
        reason=request.form.get("reason", ""),
    )
    db_session().commit()
    flash("Rejected.", "success")
    return redirect(_back(cable.reference_id, f"redaction-{redaction_id}"))


@review_bp.route("/redactions/<int:redaction_id>/withdraw", methods=["POST"])
@review_action
def withdraw(redaction_id: int) -> Any:
    """Withdraw one's own pending proposal."""
    redaction, cable = _load_redaction(redaction_id)
    made = redactions.withdraw(
        db_session(),
        _actor(),
        redaction,
        expected_row_version=_int("row_version"),
        approvals_required=_approvals_required(),
    )
    db_session().commit()
    if made.id != redaction_id:
        flash("Withdrawal requested: the redaction stays until another approver agrees.", "success")
    else:
        flash("Proposal withdrawn.", "success")
    return redirect(_back(cable.reference_id, f"redaction-{made.id}"))


@review_bp.route("/redactions/<int:redaction_id>/edit", methods=["POST"])
@review_action
def edit(redaction_id: int) -> Any:
    """Change the span, codes or rationale of one's own proposal."""
    redaction, cable = _load_redaction(redaction_id)
    codes = _codes()
    made = redactions.edit(
        db_session(),
        _actor(),
        redaction,
        expected_row_version=_int("row_version"),
        start=_int("start", required=False),
        end=_int("end", required=False),
        codes=codes or None,
        rationale=request.form.get("rationale"),
        approvals_required=_approvals_required(),
    )
    db_session().commit()
    if made.id != redaction_id:
        flash("Change proposed: the approved redaction stays until another approver agrees.",
              "success")
    else:
        flash("Proposal changed.", "success")
    return redirect(_back(cable.reference_id, f"redaction-{made.id}"))


@review_bp.route("/redactions/<int:redaction_id>/comments", methods=["POST"])
@review_action
def comment(redaction_id: int) -> Any:
    """Add a remark to the discussion of a proposal."""
    redaction, cable = _load_redaction(redaction_id)
    redactions.comment(db_session(), _actor(), redaction, request.form.get("body", ""))
    db_session().commit()
    return redirect(_back(cable.reference_id, f"redaction-{redaction_id}"))
