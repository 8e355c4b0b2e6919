"""Redaction services: propose, withhold a portion, edit, withdraw, approve, reject, comment.

SQLAlchemy only, no Flask; the acting user is an argument. Every service follows one order:
clearance (``NotFound``), policy (``NotPermitted``), version (``StaleVersion``), transition
(``IllegalTransition``), input (``InvalidInput``), then it mutates, audits, refreshes the
cable's status, and flushes. The version comes before the transition: a decision made on a
page that is out of date is answered "reload" (the reloaded page then shows the new state),
rather than with a refusal the person cannot explain from what they saw. It never commits:
the caller owns the transaction, so a decision and its audit entry land together or not at
all.

Optimistic locking: every decision carries the ``row_version`` of the redaction it was made
on. The redaction row is locked and reloaded first, so the comparison sees the latest
committed state (SQLAlchemy's ``version_id_col`` alone only covers the race between load
and flush, not a handler that reloads before writing); a mismatch raises ``StaleVersion``
before anything changes. Every successful action bumps ``row_version``, so of several
requests carrying the same version exactly one succeeds.

Where a span may lie: inside one region of the cable's current version
(:mod:`redactor.redaction.regions`): a portion (``Portion`` rows), a header field of its
parsed view (subject, classified-by line, signature...), or a line piece that neither claims
(transmission header, ``TO``/``INFO`` routing, ``... FOR ...`` lines): the smallest such
region containing the span, so every printed character can be redacted. A span across two
regions, or in none, is refused. Spans on WikiLeaks' ``XXXXXXXXXXXX`` runs are allowed like
any other.

Audit payloads carry offsets, codes, states and SHA-256 digests of rationales, reasons and
comments, never their text, which may quote the cable (see :mod:`redactor.review.service`).

Two people to hide, two people to show again: a redaction that is approved (or awaiting a
further approval, see :mod:`redactor.review.states`) is never edited in span or codes,
withdrawn or rejected in place. Its proposer's edit or withdrawal creates a *change*: a new
pending row that ``replaces_id`` it (``withdraws`` for a withdrawal request). The approved
row keeps hiding its text until another approver approves the change; then, in the same
transaction, the approved row is withdrawn (``redaction.supersede``). A rejected or
withdrawn change leaves the approved row as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from redactor import audit
from redactor.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted, StaleVersion
from redactor.models import (
    Cable,
    CableVersion,
    Comment,
    Decision,
    DecisionKind,
    Portion,
    Redaction,
    RedactionStatus,
    User,
    utcnow,
)
from redactor.redaction import regions
from redactor.redaction.exemptions import CodeError, parse_codes
from redactor.redaction.spans import Span
from redactor.review import states
from redactor.review.policy import (
    can_approve,
    can_comment,
    can_edit_proposal,
    can_propose,
    can_withdraw,
)
from redactor.review.service import (
    effective_status,
    flush,
    lock_cable,
    open_change,
    refresh_cable_status,
    require_visible,
    valid_approvals,
    version_of,
)

MAX_TEXT = 10_000  # characters of a rationale, reason or comment

# --- helpers ----------------------------------------------------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def _text(value: object, what: str, *, required: bool) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"the {what} must be text")
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"a {what} is required")
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"the {what} is longer than {MAX_TEXT} characters")
    return value


def _codes(codes: Iterable[str] | str) -> list[str]:
    try:
        return list(parse_codes(codes))
    except CodeError as exc:
        raise InvalidInput(str(exc)) from exc


def _place(
    session: Session, version: CableVersion, start: object, end: object
) -> tuple[Span, int | None]:
    """The snapped span ``[start, end)`` of ``version`` and the index of its portion (None
    for a header field or a line outside them, see :mod:`redactor.redaction.regions`).
    Raises ``InvalidInput`` for a bad span or one not in one region."""
    portions = session.execute(
        select(Portion.start, Portion.end, Portion.index)
        .where(Portion.version_id == version.id)
        .order_by(Portion.index)
    ).all()
    areas = regions.regions(version.text, [tuple(p) for p in portions], version.parsed or {})
    try:
        span, region = regions.place(version.text, areas, start, end)
    except regions.PlacementError as exc:
        raise InvalidInput(str(exc)) from exc
    return span, region.portion_index


def _cable_of(session: Session, redaction: Redaction) -> Cable:
    cable = session.get(Cable, redaction.cable_id)
    if cable is None:  # pragma: no cover - held by the foreign key
        raise NotFound(f"no cable {redaction.cable_id}")
    return cable


def _lock_redaction(session: Session, redaction: Redaction) -> Redaction:
    # Reloads the row and its decisions: the version check and the count of approvals must
    # see what other transactions committed, not what this session loaded earlier.
    return session.scalars(
        select(Redaction)
        .where(Redaction.id == redaction.id)
        .with_for_update()
        .options(selectinload(Redaction.decisions))
        .execution_options(populate_existing=True)
    ).one()


def _check(status: RedactionStatus, action: str) -> None:
    try:
        states.check_redaction_action(status, action)
    except states.TransitionError as exc:
        raise IllegalTransition(str(exc)) from exc


def _check_version(redaction: Redaction, expected_row_version: object) -> None:
    if type(expected_row_version) is not int or expected_row_version != redaction.row_version:
        raise StaleVersion(
            f"redaction {redaction.id} changed since it was loaded "
            f"(version {redaction.row_version}, not {expected_row_version!r}); reload it"
        )


def _snapshot(redaction: Redaction) -> dict[str, Any]:
    return {
        "start": redaction.start,
        "end": redaction.end,
        "portion_index": redaction.portion_index,
        "codes": list(redaction.codes),
        "rationale_sha256": _digest(redaction.rationale),
        "status": RedactionStatus(redaction.status).value,
        "revision": redaction.revision,
    }


def _touch(redaction: Redaction) -> None:
    # Makes the row dirty, so the flush bumps row_version even when nothing else changed
    # on it (a first approval of two): every action invalidates the version it was made on.
    redaction.updated_at = utcnow()


def _prepare(
    session: Session, actor: User, redaction: Redaction
) -> tuple[Cable, Redaction]:
    cable = _cable_of(session, redaction)
    require_visible(actor, cable)
    return cable, redaction


def _lock(session: Session, cable: Cable, redaction: Redaction) -> Redaction:
    # Always the cable first, then the redaction: one lock order, no deadlocks.
    lock_cable(session, cable)
    return _lock_redaction(session, redaction)


def _required(approvals_required: object) -> int:
    if type(approvals_required) is not int or approvals_required < 1:
        raise ValueError("approvals_required must be a positive integer")
    return approvals_required


def _propose_change(
    session: Session,
    actor: User,
    cable: Cable,
    redaction: Redaction,
    span: Span,
    portion_index: int | None,
    codes: list[str],
    rationale: str,
    *,
    withdraws: bool,
) -> Redaction:
    """A pending change of the protected ``redaction`` (a withdrawal request when
    ``withdraws``), by its proposer; ``IllegalTransition`` if one is open already. The
    caller has checked that ``redaction`` is protected."""
    existing = open_change(session, redaction)
    if existing is not None:
        raise IllegalTransition(
            f"a change of this redaction is already open (#{existing.id}); edit or withdraw it"
        )
    version = session.get(CableVersion, redaction.version_id)
    assert version is not None
    _touch(redaction)  # the page that showed it without its change is out of date
    return _create(
        session, actor, cable, version, span, portion_index, codes, rationale,
        whole_portion=False, replaces=redaction, withdraws=withdraws,
    )


def _complete_change(session: Session, actor: User, change: Redaction) -> int | None:
    """Once ``change`` is approved, the redaction it replaces is withdrawn (and a withdrawal
    request, its work done, too). Returns the id of the replaced redaction, or None."""
    if change.replaces_id is None or change.status != RedactionStatus.APPROVED:
        return None
    old = session.scalars(
        select(Redaction)
        .where(Redaction.id == change.replaces_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if old.status == RedactionStatus.WITHDRAWN:  # pragma: no cover - changes are one at a time
        return old.id
    old.status = RedactionStatus(
        states.redaction_status_after(old.status, states.SUPERSEDE, effective=states.APPROVED)
    )
    _touch(old)
    if change.withdraws:
        change.status = RedactionStatus.WITHDRAWN
    flush(session)
    audit.record(
        session,
        actor,
        "redaction.supersede",
        subject=("redaction", old.id),
        data={"replaced_by": change.id, "withdrawal": bool(change.withdraws)},
    )
    return old.id


# --- proposing --------------------------------------------------------------------------------


def _create(
    session: Session,
    actor: User,
    cable: Cable,
    version: CableVersion,
    span: Span,
    portion_index: int | None,
    codes: list[str],
    rationale: str,
    *,
    whole_portion: bool,
    replaces: Redaction | None = None,
    withdraws: bool = False,
) -> Redaction:
    """A new pending proposal, audited as ``redaction.propose``; with ``replaces``, a change
    (or, with ``withdraws``, a withdrawal request) of that protected redaction."""
    link = {} if replaces is None else {"replaces_id": replaces.id, "withdraws": withdraws}
    redaction = Redaction(
        cable_id=cable.id,
        version_id=version.id,
        portion_index=portion_index,
        start=span.start,
        end=span.end,
        codes=codes,
        rationale=rationale,
        proposer_id=actor.id,
        status=RedactionStatus.PENDING,
        revision=1,
        **link,
    )
    session.add(redaction)
    flush(session)
    audit.record(
        session,
        actor,
        "redaction.propose",
        subject=("redaction", redaction.id),
        data={
            "cable_id": cable.id,
            "version": version.number,
            **_snapshot(redaction),
            "whole_portion": whole_portion,
            **link,
        },
    )
    refresh_cable_status(session, cable, actor=actor)
    return redaction


def _start_proposal(session: Session, actor: User, cable: Cable) -> None:
    require_visible(actor, cable)
    if not can_propose(actor.roles):
        raise NotPermitted("only reviewers propose redactions")
    lock_cable(session, cable)


def propose(
    session: Session,
    actor: User,
    cable: Cable,
    *,
    start: int,
    end: int,
    codes: Iterable[str] | str,
    rationale: str = "",
    version_number: int | None = None,
) -> Redaction:
    """Propose redacting ``[start, end)`` (code points) of ``cable``'s current version.

    ``version_number``, when given, is the version the span was computed on; it must be the
    current one. The span is validated against the stored text, snapped to whole characters
    and must lie in one portion or header field; ``codes`` are normalised by
    :func:`~redactor.redaction.exemptions.parse_codes`. Raises ``NotFound`` (cable not
    visible), ``NotPermitted`` (not a reviewer), ``StaleVersion`` (span computed on another
    version), ``InvalidInput`` (span, codes, rationale). Audits ``redaction.propose``.
    """
    _start_proposal(session, actor, cable)
    if version_number is not None and version_number != cable.current_version:
        raise StaleVersion(
            f"the span was computed on version {version_number!r}; the cable is now at "
            f"version {cable.current_version}"
        )
    version = version_of(session, cable)
    span, portion_index = _place(session, version, start, end)
    clean_codes = _codes(codes)
    clean_rationale = _text(rationale, "rationale", required=False)
    return _create(
        session, actor, cable, version, span, portion_index, clean_codes, clean_rationale,
        whole_portion=False,
    )


def withhold_portion(
    session: Session,
    actor: User,
    cable: Cable,
    portion_index: int,
    *,
    codes: Iterable[str] | str,
    rationale: str = "",
) -> Redaction:
    """Propose withholding all of portion ``portion_index`` of ``cable``'s current version.

    The span covers the portion's text after its number and marking: the cable's own
    markings stay visible on release (``1. (C) [B1 1.4(D)]``). Raises as :func:`propose`,
    and ``NotFound`` for a portion that does not exist, ``InvalidInput`` for one with no
    text besides its marking.
    """
    _start_proposal(session, actor, cable)
    version = version_of(session, cable)
    portion = session.scalars(
        select(Portion).where(Portion.version_id == version.id, Portion.index == portion_index)
    ).one_or_none()
    if portion is None:
        raise NotFound(f"no portion {portion_index} in version {version.number}")
    start = portion.start
    # The parsed view lists paragraphs in index order and gives the marking as written
    # (``"(C)"``); older views may give an object with its offsets.
    paragraphs = (version.parsed or {}).get("paragraphs") or []
    view = paragraphs[portion.index] if 0 <= portion.index < len(paragraphs) else {}
    marking = view.get("marking") if isinstance(view, dict) else None
    marking_end = None
    if isinstance(marking, dict) and type(marking.get("end")) is int:
        marking_end = marking["end"]
    elif isinstance(marking, str) and marking:
        found = version.text.find(marking, portion.start, portion.end)
        marking_end = found + len(marking) if found >= 0 else None
    if marking_end is not None and portion.start <= marking_end <= portion.end:
        start = marking_end
    while start < portion.end and version.text[start].isspace():
        start += 1
    if start >= portion.end:
        raise InvalidInput(f"portion {portion_index} has no text to withhold")
    span, _ = _place(session, version, start, portion.end)
    clean_codes = _codes(codes)
    clean_rationale = _text(rationale, "rationale", required=False)
    return _create(
        session, actor, cable, version, span, portion.index, clean_codes, clean_rationale,
        whole_portion=True,
    )


# --- the proposer's changes -------------------------------------------------------------------


def edit(
    session: Session,
    actor: User,
    redaction: Redaction,
    *,
    expected_row_version: int,
    start: int | None = None,
    end: int | None = None,
    codes: Iterable[str] | str | None = None,
    rationale: str | None = None,
    approvals_required: int = 1,
) -> Redaction:
    """Change the span, codes or rationale of ``actor``'s own proposal.

    A change of span or codes starts a new revision: every earlier decision becomes void and
    the proposal is pending again. A change of the rationale alone keeps status and
    decisions. On a protected redaction (approved, or awaiting a further approval under
    ``approvals_required``) a change of span or codes is not made in place: it returns a new
    pending proposal that replaces the approved one once another approver approves it (the
    approved one stays in force meanwhile). Raises ``NotFound``, ``NotPermitted`` (not the
    proposer), ``IllegalTransition`` (withdrawn; a withdrawal request; a change already
    open), ``StaleVersion``, ``InvalidInput``. Audits ``redaction.edit`` with before and
    after (and ``change_id`` for a change).
    """
    cable, redaction = _prepare(session, actor, redaction)
    if not can_edit_proposal(actor.id, actor.roles, redaction.proposer_id):
        raise NotPermitted("only the proposer may edit a proposal")
    redaction = _lock(session, cable, redaction)
    _check_version(redaction, expected_row_version)
    if redaction.withdraws:
        raise IllegalTransition("a withdrawal request cannot be edited; withdraw the request")
    effective = effective_status(redaction, _required(approvals_required))
    _check(effective, states.EDIT)

    new_start = redaction.start if start is None else start
    new_end = redaction.end if end is None else end
    span, portion_index = Span(redaction.start, redaction.end), redaction.portion_index
    if (new_start, new_end) != (redaction.start, redaction.end):
        version = session.get(CableVersion, redaction.version_id)
        assert version is not None
        span, portion_index = _place(session, version, new_start, new_end)
    new_codes = list(redaction.codes) if codes is None else _codes(codes)
    new_rationale = (
        redaction.rationale if rationale is None else _text(rationale, "rationale", required=False)
    )

    before = _snapshot(redaction)
    substantive = (span.start, span.end) != (redaction.start, redaction.end) or new_codes != list(
        redaction.codes
    )
    if substantive and states.is_protected(effective):
        change = _propose_change(
            session, actor, cable, redaction, span, portion_index, new_codes, new_rationale,
            withdraws=False,
        )
        audit.record(
            session,
            actor,
            "redaction.edit",
            subject=("redaction", redaction.id),
            data={"before": before, "after": _snapshot(change), "change_id": change.id},
        )
        refresh_cable_status(session, cable, actor=actor)
        return change
    status = states.redaction_status_after(
        redaction.status, states.EDIT, substantive=substantive, effective=effective
    )
    voided = 0
    if substantive:
        for decision in redaction.decisions:
            if not decision.void:
                decision.void = True
                voided += 1
        redaction.revision += 1
        redaction.start, redaction.end = span.start, span.end
        redaction.portion_index = portion_index
        redaction.codes = new_codes
    redaction.status = RedactionStatus(status)
    redaction.rationale = new_rationale
    _touch(redaction)
    flush(session)
    audit.record(
        session,
        actor,
        "redaction.edit",
        subject=("redaction", redaction.id),
        data={"before": before, "after": _snapshot(redaction), "voided_decisions": voided},
    )
    refresh_cable_status(session, cable, actor=actor)
    return redaction


def withdraw(
    session: Session,
    actor: User,
    redaction: Redaction,
    *,
    expected_row_version: int,
    approvals_required: int = 1,
) -> Redaction:
    """Withdraw ``actor``'s own pending proposal (final), or request the withdrawal of a
    protected one (approved, or awaiting a further approval under ``approvals_required``).

    A request is a new pending proposal (``withdraws``) returned in place of the withdrawn
    one; the approved redaction stays in force until another approver approves the request.
    Withdrawing a pending request cancels it. Raises ``NotFound``, ``NotPermitted`` (not the
    proposer), ``IllegalTransition`` (rejected or withdrawn; a change already open),
    ``StaleVersion``. Audits ``redaction.withdraw`` or ``redaction.withdraw_request``."""
    cable, redaction = _prepare(session, actor, redaction)
    if not can_withdraw(actor.id, actor.roles, redaction.proposer_id):
        raise NotPermitted("only the proposer may withdraw a proposal")
    redaction = _lock(session, cable, redaction)
    _check_version(redaction, expected_row_version)
    effective = effective_status(redaction, _required(approvals_required))
    if states.is_protected(effective) and not redaction.withdraws:
        request = _propose_change(
            session, actor, cable, redaction,
            Span(redaction.start, redaction.end), redaction.portion_index,
            list(redaction.codes), "", withdraws=True,
        )
        audit.record(
            session,
            actor,
            "redaction.withdraw_request",
            subject=("redaction", redaction.id),
            data={"revision": redaction.revision, "request_id": request.id},
        )
        refresh_cable_status(session, cable, actor=actor)
        return request
    _check(effective, states.WITHDRAW)
    redaction.status = RedactionStatus(
        states.redaction_status_after(redaction.status, states.WITHDRAW, effective=effective)
    )
    _touch(redaction)
    flush(session)
    audit.record(
        session,
        actor,
        "redaction.withdraw",
        subject=("redaction", redaction.id),
        data={"revision": redaction.revision, "status": redaction.status.value},
    )
    refresh_cable_status(session, cable, actor=actor)
    return redaction


# --- decisions --------------------------------------------------------------------------------


def _decide(
    session: Session,
    actor: User,
    redaction: Redaction,
    kind: DecisionKind,
    *,
    expected_row_version: int,
    reason: str,
    approvals_required: int,
) -> Redaction:
    _required(approvals_required)
    action = states.APPROVE if kind == DecisionKind.APPROVE else states.REJECT
    cable, redaction = _prepare(session, actor, redaction)
    if not can_approve(actor.id, actor.roles, redaction.proposer_id):
        if actor.id == redaction.proposer_id:
            raise NotPermitted("nobody may decide on their own proposal (two-person rule)")
        raise NotPermitted("only approvers decide on proposals")
    redaction = _lock(session, cable, redaction)
    _check_version(redaction, expected_row_version)
    valid = valid_approvals(redaction, list(redaction.decisions))
    effective = states.effective_status(redaction.status, len(valid), approvals_required)
    if kind == DecisionKind.APPROVE and any(d.approver_id == actor.id for d in valid):
        if redaction.status == RedactionStatus.PENDING and effective == states.APPROVED:
            # The setting was lowered: the approvals it holds are enough. Recording it as
            # approved needs no new decision, so the approver who gave one may settle it.
            return _settle(session, actor, cable, redaction, valid, approvals_required)
        raise IllegalTransition("you have already approved this revision")
    if kind == DecisionKind.REJECT and states.is_protected(effective):
        raise IllegalTransition(
            "this redaction is approved: a rejection would show its text on one person's word;"
            " its proposer may propose a change or a withdrawal, which a second person decides"
        )
    if (
        kind == DecisionKind.APPROVE
        and redaction.status == RedactionStatus.PENDING
        and effective == states.APPROVED
    ):
        effective = states.PENDING  # a lowered setting: one more approval settles it
    _check(effective, action)
    clean_reason = _text(reason, "reason", required=kind == DecisionKind.REJECT)

    decision = Decision(
        redaction_id=redaction.id,
        proposer_id=redaction.proposer_id,
        approver_id=actor.id,
        kind=kind,
        reason=clean_reason,
        revision=redaction.revision,
        start=redaction.start,
        end=redaction.end,
        codes=list(redaction.codes),
        void=False,
    )
    redaction.decisions.append(decision)
    approvals = len(valid) + (1 if kind == DecisionKind.APPROVE else 0)
    redaction.status = RedactionStatus(
        states.redaction_status_after(
            redaction.status,
            action,
            approvals=approvals,
            required=approvals_required,
            effective=effective,
        )
    )
    _touch(redaction)
    flush(session)
    superseded = _complete_change(session, actor, redaction)
    audit.record(
        session,
        actor,
        f"redaction.{action}",
        subject=("redaction", redaction.id),
        data={
            "decision_id": decision.id,
            "proposer_id": redaction.proposer_id,
            "revision": decision.revision,
            "start": decision.start,
            "end": decision.end,
            "codes": list(decision.codes),
            "reason_sha256": _digest(clean_reason),
            # The words, so that an auditor can read why: the entry concerns the cable and is
            # shown only to readers cleared for it (redactor.audit_log). Rationales and
            # comments stay digests: they often quote the very text to be withheld.
            "reason": clean_reason,
            "approvals": approvals,
            "approvals_required": approvals_required,
            "status": redaction.status.value,
            **({"superseded_id": superseded} if superseded is not None else {}),
        },
    )
    refresh_cable_status(session, cable, actor=actor)
    return redaction


def _settle(
    session: Session,
    actor: User,
    cable: Cable,
    redaction: Redaction,
    valid: list[Decision],
    approvals_required: int,
) -> Redaction:
    redaction.status = RedactionStatus.APPROVED
    _touch(redaction)
    flush(session)
    superseded = _complete_change(session, actor, redaction)
    audit.record(
        session,
        actor,
        "redaction.settle",
        subject=("redaction", redaction.id),
        data={
            "revision": redaction.revision,
            "approvals": len(valid),
            "approvals_required": approvals_required,
            "status": redaction.status.value,
            **({"superseded_id": superseded} if superseded is not None else {}),
        },
    )
    refresh_cable_status(session, cable, actor=actor)
    return redaction


def approve(
    session: Session,
    actor: User,
    redaction: Redaction,
    *,
    expected_row_version: int,
    approvals_required: int = 1,
) -> Redaction:
    """Approve the current revision of a pending proposal by someone else.

    The decision copies the span, codes and revision approved. The proposal becomes approved
    once it holds ``approvals_required`` valid approvals (from different approvers). Raises
    ``NotFound``, ``NotPermitted`` (not an approver, or the proposer: the database refuses
    that too), ``IllegalTransition`` (not pending, or already approved by ``actor``),
    ``StaleVersion``. Audits ``redaction.approve``.
    """
    return _decide(
        session,
        actor,
        redaction,
        DecisionKind.APPROVE,
        expected_row_version=expected_row_version,
        reason="",
        approvals_required=approvals_required,
    )


def reject(
    session: Session,
    actor: User,
    redaction: Redaction,
    *,
    expected_row_version: int,
    reason: str,
) -> Redaction:
    """Reject the current revision of a pending proposal by someone else, saying why.

    Raises as :func:`approve`, and ``InvalidInput`` for an empty reason. Audits
    ``redaction.reject``.
    """
    return _decide(
        session,
        actor,
        redaction,
        DecisionKind.REJECT,
        expected_row_version=expected_row_version,
        reason=reason,
        approvals_required=1,
    )


def comment(session: Session, actor: User, redaction: Redaction, body: str) -> Comment:
    """Add ``actor``'s remark to the discussion of ``redaction`` (in any status).

    Raises ``NotFound``, ``NotPermitted`` (auditors and users without a review role),
    ``InvalidInput`` (empty or longer than 10,000 characters). Audits ``redaction.comment``.
    """
    cable, redaction = _prepare(session, actor, redaction)
    if not can_comment(actor.roles):
        raise NotPermitted("only reviewers, approvers and release authorities comment")
    clean = _text(body, "comment", required=True)
    note = Comment(redaction_id=redaction.id, author_id=actor.id, body=clean)
    redaction.comments.append(note)
    flush(session)
    audit.record(
        session,
        actor,
        "redaction.comment",
        subject=("redaction", redaction.id),
        data={"comment_id": note.id, "body_sha256": _digest(clean), "cable_id": cable.id},
    )
    return note
