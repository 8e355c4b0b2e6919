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

Audit payloads carry offsets, codes, states and SHA-256 digests of rationales and comments,
never their text, which may quote the cable; a rejection's reason is kept as text as well,
so that an auditor cleared for the cable can read why (entries about a cable are shown only
to auditors cleared for it, see :mod:`redactor.audit_log`).

The module is in three parts: the checks and small steps every service shares
(:mod:`redactor.redaction.common`), the proposer's side (this module: propose, withhold a
portion, edit, withdraw), and the decisions (:mod:`redactor.redaction.decisions`: approve,
reject, comment, re-exported here so that callers have one place to import from).

Two people to hide, two people to show again: a redaction that is approved (or awaiting a
further approval, see :mod:`redactor.review.states`) is never edited in span or codes,
withdrawn or rejected in place. Its proposer's edit or withdrawal creates a *change*: a new
pending row that ``replaces_id`` it (``withdraws`` for a withdrawal request). The approved
row keeps hiding its text until another approver approves the change; then, in the same
transaction, the approved row is withdrawn (``redaction.supersede``). A rejected or
withdrawn change leaves the approved row as it was.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from redactor import audit
from redactor.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted, StaleVersion
from redactor.models import (
    Cable,
    CableVersion,
    Portion,
    Redaction,
    RedactionStatus,
    User,
)
from redactor.redaction.common import (
    check_transition,
    check_version,
    clean_text,
    lock,
    parsed_codes,
    place_span,
    prepare,
    required_approvals,
    snapshot,
    touch,
)
from redactor.redaction.decisions import approve as approve
from redactor.redaction.decisions import comment as comment
from redactor.redaction.decisions import reject as reject
from redactor.redaction.overlaps import check_new_span
from redactor.redaction.spans import Span
from redactor.review import states
from redactor.review.policy import (
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
    version_of,
)


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
    touch(redaction)  # the page that showed it without its change is out of date
    return _create(
        session, actor, cable, version, span, portion_index, codes, rationale,
        whole_portion=False, replaces=redaction, withdraws=withdraws,
    )



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
            **snapshot(redaction),
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
    check_conflicts: bool = False,
    confirmed: Collection[int] = (),
) -> Redaction:
    """Propose redacting ``[start, end)`` (code points) of ``cable``'s current version.

    ``version_number``, when given, is the version the span was computed on; it must be the
    current one. The span is validated against the stored text, snapped to whole characters
    and must lie in one portion or header field; ``codes`` are normalised by
    :func:`~redactor.redaction.exemptions.parse_codes`. Raises ``NotFound`` (cable not
    visible), ``NotPermitted`` (not a reviewer), ``StaleVersion`` (span computed on another
    version), ``InvalidInput`` (span, codes, rationale; ``field`` says which). With
    ``check_conflicts``, after the input is valid, an exact duplicate of a pending or
    approved redaction raises ``DuplicateProposal`` and an overlap with ones not in
    ``confirmed`` raises ``OverlapNeedsConfirmation``
    (:func:`~redactor.redaction.overlaps.check_new_span`). Audits ``redaction.propose``.
    """
    _start_proposal(session, actor, cable)
    if version_number is not None and version_number != cable.current_version:
        raise StaleVersion(
            f"the span was computed on version {version_number!r}; the cable is now at "
            f"version {cable.current_version}"
        )
    version = version_of(session, cable)
    span, portion_index = place_span(session, version, start, end)
    clean_codes = parsed_codes(codes)
    clean_rationale = clean_text(rationale, "rationale", required=False)
    if check_conflicts:
        check_new_span(session, version.id, span, confirmed=confirmed)
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
    check_conflicts: bool = False,
    confirmed: Collection[int] = (),
) -> Redaction:
    """Propose withholding all of portion ``portion_index`` of ``cable``'s current version.

    The span covers the portion's text after its number and marking: the cable's own
    markings stay visible on release (``1. (C) [B1 1.4(D)]``). Raises as :func:`propose`
    (the conflict checks included), and ``NotFound`` for a portion that does not exist,
    ``InvalidInput`` for one with no text besides its marking.
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
    span, _ = place_span(session, version, start, portion.end)
    clean_codes = parsed_codes(codes)
    clean_rationale = clean_text(rationale, "rationale", required=False)
    if check_conflicts:
        check_new_span(session, version.id, span, confirmed=confirmed)
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
    cable, redaction = prepare(session, actor, redaction)
    if not can_edit_proposal(actor.id, actor.roles, redaction.proposer_id):
        raise NotPermitted("only the proposer may edit a proposal")
    redaction = lock(session, cable, redaction)
    check_version(redaction, expected_row_version)
    if redaction.withdraws:
        raise IllegalTransition("a withdrawal request cannot be edited; withdraw the request")
    effective = effective_status(redaction, required_approvals(approvals_required))
    check_transition(effective, states.EDIT)

    new_start = redaction.start if start is None else start
    new_end = redaction.end if end is None else end
    span, portion_index = Span(redaction.start, redaction.end), redaction.portion_index
    if (new_start, new_end) != (redaction.start, redaction.end):
        version = session.get(CableVersion, redaction.version_id)
        assert version is not None
        span, portion_index = place_span(session, version, new_start, new_end)
    new_codes = list(redaction.codes) if codes is None else parsed_codes(codes)
    new_rationale = (
        redaction.rationale
        if rationale is None
        else clean_text(rationale, "rationale", required=False)
    )

    before = snapshot(redaction)
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
            data={"before": before, "after": snapshot(change), "change_id": change.id},
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
    touch(redaction)
    flush(session)
    audit.record(
        session,
        actor,
        "redaction.edit",
        subject=("redaction", redaction.id),
        data={"before": before, "after": snapshot(redaction), "voided_decisions": voided},
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
    cable, redaction = prepare(session, actor, redaction)
    if not can_withdraw(actor.id, actor.roles, redaction.proposer_id):
        raise NotPermitted("only the proposer may withdraw a proposal")
    redaction = lock(session, cable, redaction)
    check_version(redaction, expected_row_version)
    effective = effective_status(redaction, required_approvals(approvals_required))
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
    check_transition(effective, states.WITHDRAW)
    redaction.status = RedactionStatus(
        states.redaction_status_after(redaction.status, states.WITHDRAW, effective=effective)
    )
    touch(redaction)
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

