"""The review actions of the cable page: propose, withhold, edit, withdraw, approve, reject,
comment, mark reviewed. POST only (CSRF-checked by Flask-WTF).

Each view loads (404 for what the user may not see), calls one service, commits, and
answers in one of two forms (:mod:`redactor.web.review_forms`), with the same checks and the
same status either way:

- a plain form post (no JavaScript): a redirect to the part of the cable page it changed;
- an htmx request (``HX-Request: true``): a fragment replacing, in place, the portions (or
  the header) it changed, the summary, the status steps and the release panel, with a
  status message for the page's live region.

Domain errors map as everywhere (403 not permitted, 404 not found, 409 illegal transition;
in place, as a message in the status region: :mod:`redactor.web.blueprints`), except those
the person can act on: a stale ``row_version`` (someone changed the proposal since the page
was loaded: 409, reload); invalid input (422) and, for a new proposal, a duplicate or an
unconfirmed overlap (409, :mod:`redactor.redaction.overlaps`). A new proposal refused for
those comes back as the review page (or, in place, the proposal form) with what was sent
kept and the error by its field; other invalid input gets the page saying what to do.
Nothing is committed when a service raises: the session is rolled back first.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from redactor.cables.access import get_visible_cable
from redactor.errors import InvalidInput, NotFound, StaleVersion
from redactor.models import MAX_ID, Cable, Portion, Redaction, User
from redactor.redaction import service as redactions
from redactor.redaction.overlaps import DuplicateProposal, OverlapNeedsConfirmation
from redactor.review import service as review
from redactor.review.pages import portion_title
from redactor.web import review_forms
from redactor.web.extensions import db_session
from redactor.web.fragments import fragment_headers, is_fragment_request
from redactor.web.refusals import record_refusal

review_bp = Blueprint("review", __name__)


def _actor() -> User:
    return current_user._get_current_object()


def _int(name: str, *, required: bool = True) -> int | None:
    raw = request.form.get(name, "").strip()
    if not raw and not required:
        return None
    if not raw and name in ("start", "end"):
        raise InvalidInput("select the text to redact (or enter its offsets) first", field=name)
    try:
        number = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, not {raw[:20]!r}", field=name) from None
    # Offsets, indexes and versions all live in INTEGER columns: a larger number can match
    # nothing, and SQLite's driver raises on it rather than answering "no such row".
    if abs(number) > MAX_ID:
        raise InvalidInput(f"{name} is out of range", field=name)
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
    """Login required; a stale version or invalid input is answered with what to do (409 /
    422): in place, a message in the status region (the form keeps what was typed, since
    nothing of it is replaced); otherwise a page of its own. The request's session is never
    committed in that case. (A new proposal's own refusals are handled by its view.)"""

    @wraps(view)
    @login_required
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        back = request.form.get("back", "")
        back = back if back.startswith("/cables/") and "//" not in back else None
        try:
            return view(*args, **kwargs)
        except StaleVersion as exc:
            record_refusal(409, exc.code, str(exc))  # rolls back, then records the refusal
            if is_fragment_request():
                return _message_fragment(
                    "Someone changed this after your page was loaded: nothing was recorded. "
                    "Reload the page, look at the new state, and decide again.", 409,
                )
            return render_template("review/stale.html", message=str(exc), back=back), 409
        except InvalidInput as exc:
            db_session().rollback()
            if is_fragment_request():
                return _message_fragment(f"Not recorded: {exc}.", 422)
            return render_template("review/invalid.html", message=str(exc), back=back), 422

    return wrapped


def _message_fragment(message: str, status: int) -> Any:
    """A status message alone, in place (nothing on the page changes)."""
    body = render_template(
        "review/_fragment.html", status_message=message, status_kind="error",
        status_code=status, changed=set(), reload=status == 409,
        cable={"reference_id": _page_reference()},
    )
    return body, status, fragment_headers()


def _page_reference() -> str:
    # The cable of the page the request came from, for the "reload" link: the form's own
    # ``back`` path names it (checked as in review_action); without it, the list.
    back = request.form.get("back", "")
    if back.startswith("/cables/") and "//" not in back:
        return back.split("/")[2].split("#")[0].split("?")[0]
    return ""


def _answer(
    cable: Cable, message: str, *, changed: set[int | str], focus: str,
    flash_message: bool = True,
) -> Any:
    """The answer to a successful action: in place, the changed parts of the page;
    otherwise a redirect to ``focus`` on the cable page (with the message flashed)."""
    if is_fragment_request():
        return review_forms.fragment(
            db_session(), _actor(), cable, message=message, changed=changed, focus=focus
        )
    if flash_message:
        flash(message, "success")
    return redirect(_back(cable.reference_id, focus))


def _where(redaction: Redaction) -> int | str:
    """The part of the page holding ``redaction``: its portion index, or the header."""
    return "header" if redaction.portion_index is None else redaction.portion_index


def _proposal_refused(cable: Cable, mode: str, exc: Exception) -> Any:
    """A new proposal refused for its input (422) or a duplicate or overlap (409): the form
    back as sent, with the error by its field or the proposals it meets named; in place or
    as the whole review page. Nothing is committed of the attempt."""
    session, actor = db_session(), _actor()
    session.rollback()
    state = review_forms.sent_state(session, actor, cable, mode)
    if isinstance(exc, InvalidInput):
        state, status = review_forms.with_error(state, exc), 422
        message = f"Not proposed: {exc}."
    else:
        assert isinstance(exc, DuplicateProposal | OverlapNeedsConfirmation)
        state, status = review_forms.with_conflicts(session, actor, cable, state, exc), 409
        message = (f"Not proposed: {exc}." if isinstance(exc, DuplicateProposal)
                   else f"Not yet proposed: {exc}.")
    if is_fragment_request():
        return review_forms.fragment(
            session, actor, cable, message=message, kind="error", status=status,
            propose_state=state, focus="propose",
        )
    return review_forms.full_page(session, actor, cable, state, status)


def _approvals_required() -> int:
    return int(current_app.config.get("APPROVALS_REQUIRED") or 1)


@review_bp.route("/cables/<reference_id>/redactions", methods=["POST"])
@review_action
def propose(reference_id: str) -> Any:
    """Propose redacting ``[start, end)`` (code points) of the cable's current version;
    a duplicate is refused and an overlap asked about (``confirm`` carries the ids
    confirmed)."""
    session = db_session()
    cable = get_visible_cable(session, _actor(), reference_id)
    try:
        made = redactions.propose(
            session,
            _actor(),
            cable,
            start=_int("start"),
            end=_int("end"),
            codes=_codes(),
            rationale=request.form.get("rationale", ""),
            version_number=_int("version", required=False),
            check_conflicts=True,
            confirmed=review_forms.confirmed_ids(),
        )
    except (InvalidInput, DuplicateProposal, OverlapNeedsConfirmation) as exc:
        return _proposal_refused(cable, "propose", exc)
    where, anchor = _where(made), _anchor_of(made)
    session.commit()
    return _proposed(cable, "Redaction proposed.", where, anchor)


def _proposed(cable: Cable, message: str, where: int | str, anchor: str) -> Any:
    if is_fragment_request():
        # The new card in its portion, and the form emptied for the next proposal.
        return review_forms.fragment(
            db_session(), _actor(), cable,
            message=f"{message} ({anchor.replace('redaction-', '#')})",
            changed={where}, propose_state=review_forms.ProposeState(), focus=anchor,
        )
    flash(message, "success")
    return redirect(_back(cable.reference_id, anchor))


@review_bp.route("/cables/<reference_id>/withhold", methods=["POST"])
@review_action
def withhold(reference_id: str) -> Any:
    """Propose withholding a whole portion (its text after number and marking); conflicts
    as for :func:`propose`."""
    session = db_session()
    cable = get_visible_cable(session, _actor(), reference_id)
    try:
        made = redactions.withhold_portion(
            session,
            _actor(),
            cable,
            _int("portion"),
            codes=_codes(),
            rationale=request.form.get("rationale", ""),
            check_conflicts=True,
            confirmed=review_forms.confirmed_ids(),
        )
    except (InvalidInput, DuplicateProposal, OverlapNeedsConfirmation) as exc:
        return _proposal_refused(cable, "withhold", exc)
    where, anchor = _where(made), _anchor_of(made)
    session.commit()
    return _proposed(cable, "Withholding of the portion proposed.", where, anchor)


@review_bp.route("/cables/<reference_id>/portions/<int:index>/reviewed", methods=["POST"])
@review_action
def mark_reviewed(reference_id: str, index: int) -> Any:
    """Mark one portion of the current version as reviewed."""
    session = db_session()
    cable = get_visible_cable(session, _actor(), reference_id)
    review.mark_portion_reviewed(session, _actor(), cable, index)
    title = _portion_name(session, cable, index)
    session.commit()
    if title is None:  # the whole text of a cable without portions: the page changes whole
        return _answer(cable, "The whole text marked reviewed.", changed=set(),
                       focus="whole-text", flash_message=False)
    return _answer(cable, f"{title} marked reviewed.", changed={index},
                   focus=f"portion-{index}", flash_message=False)


def _portion_name(session: Any, cable: Cable, index: int) -> str | None:
    """The portion's title as the page shows it; None for the whole-text mark of a cable
    without portions (the service accepted the index, so there is no other case)."""
    portion = session.scalars(
        select(Portion).where(
            Portion.version_id == review.version_of(session, cable).id, Portion.index == index
        )
    ).one_or_none()
    return None if portion is None else portion_title(portion.kind, portion.number)


@review_bp.route("/cables/<reference_id>/reviewed-unclassified", methods=["POST"])
@review_action
def mark_unclassified_reviewed(reference_id: str) -> Any:
    """Mark every (U) portion of the current version as reviewed."""
    session = db_session()
    cable = get_visible_cable(session, _actor(), reference_id)
    marked = review.mark_unclassified_portions_reviewed(session, _actor(), cable)
    changed: set[int | str] = {m.portion_index for m in marked}
    session.commit()
    return _answer(cable, f"{len(marked)} unclassified portion(s) marked reviewed.",
                   changed=changed, focus="portions")


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
    changed = _changed_by(redaction)
    db_session().commit()
    return _answer(cable, f"Approved #{redaction_id}.", changed=changed,
                   focus=f"redaction-{redaction_id}")


def _changed_by(*rows: Redaction) -> set[int | str]:
    """The parts of the page holding ``rows`` and the redactions they replace (a change
    approved withdraws the row it replaces, which may sit elsewhere after an edit)."""
    session = db_session()
    changed: set[int | str] = set()
    for row in rows:
        changed.add(_where(row))
        if row.replaces_id is not None:
            replaced = session.get(Redaction, row.replaces_id)
            if replaced is not None:
                changed.add(_where(replaced))
    return changed


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
    changed = _changed_by(redaction)
    db_session().commit()
    return _answer(cable, f"Rejected #{redaction_id}.", changed=changed,
                   focus=f"redaction-{redaction_id}")


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
    changed = _changed_by(redaction, made)
    db_session().commit()
    if made.id != redaction_id:
        message = "Withdrawal requested: the redaction stays until another approver agrees."
    else:
        message = "Proposal withdrawn."
    return _answer(cable, message, changed=changed, focus=f"redaction-{made.id}")


@review_bp.route("/redactions/<int:redaction_id>/edit", methods=["POST"])
@review_action
def edit(redaction_id: int) -> Any:
    """Change the span, codes or rationale of one's own proposal."""
    redaction, cable = _load_redaction(redaction_id)
    before = _where(redaction)
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
    changed = _changed_by(redaction, made) | {before}
    db_session().commit()
    if made.id != redaction_id:
        message = "Change proposed: the approved redaction stays until another approver agrees."
    else:
        message = "Proposal changed."
    return _answer(cable, message, changed=changed, focus=f"redaction-{made.id}")


@review_bp.route("/redactions/<int:redaction_id>/comments", methods=["POST"])
@review_action
def comment(redaction_id: int) -> Any:
    """Add a remark to the discussion of a proposal."""
    redaction, cable = _load_redaction(redaction_id)
    redactions.comment(db_session(), _actor(), redaction, request.form.get("body", ""))
    changed = _changed_by(redaction)
    db_session().commit()
    return _answer(cable, f"Comment added to #{redaction_id}.", changed=changed,
                   focus=f"redaction-{redaction_id}", flash_message=False)
