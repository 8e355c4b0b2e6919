"""Decisions on proposals: approve, reject, comment (two-person rule, fail closed).

An approver never decides on their own proposal (the database holds that rule too). An
approval is bound to the revision it approved. Approving a *change* of an approved redaction
(a new span or codes, or a withdrawal request) completes it: the replaced redaction is
withdrawn in the same transaction (``redaction.supersede``), so approved text is shown again
only on the word of two people. Services flush and never commit.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from redactor import audit
from redactor.errors import IllegalTransition, NotPermitted
from redactor.models import (
    Cable,
    Comment,
    Decision,
    DecisionKind,
    Redaction,
    RedactionStatus,
    User,
)
from redactor.redaction.common import (
    check_transition,
    check_version,
    clean_text,
    digest,
    lock,
    prepare,
    required_approvals,
    touch,
)
from redactor.review import states
from redactor.review.policy import (
    can_approve,
    can_comment,
)
from redactor.review.service import (
    flush,
    refresh_cable_status,
    valid_approvals,
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
    touch(old)
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
    required_approvals(approvals_required)
    action = states.APPROVE if kind == DecisionKind.APPROVE else states.REJECT
    cable, redaction = prepare(session, actor, redaction)
    if not can_approve(actor.id, actor.roles, redaction.proposer_id):
        if actor.id == redaction.proposer_id:
            raise NotPermitted("nobody may decide on their own proposal (two-person rule)")
        raise NotPermitted("only approvers decide on proposals")
    redaction = lock(session, cable, redaction)
    check_version(redaction, expected_row_version)
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
    check_transition(effective, action)
    clean_reason = clean_text(reason, "reason", required=kind == DecisionKind.REJECT)

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
    touch(redaction)
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
            "reason_sha256": digest(clean_reason),
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
    touch(redaction)
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
    cable, redaction = prepare(session, actor, redaction)
    if not can_comment(actor.roles):
        raise NotPermitted("only reviewers, approvers and release authorities comment")
    clean = clean_text(body, "comment", required=True)
    note = Comment(redaction_id=redaction.id, author_id=actor.id, body=clean)
    redaction.comments.append(note)
    flush(session)
    audit.record(
        session,
        actor,
        "redaction.comment",
        subject=("redaction", redaction.id),
        data={"comment_id": note.id, "body_sha256": digest(clean), "cable_id": cable.id},
    )
    return note
