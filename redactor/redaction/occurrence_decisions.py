""""Release this occurrence": leaving printed, on purpose and by two people, a place that
holds text withheld elsewhere in the same version (see :mod:`redactor.redaction.occurrences`).

Services layer (SQLAlchemy, no Flask); flushes, never commits. A reviewer asks with a reason
(:func:`request_release`); an approver who did not ask approves or rejects it
(:func:`decide_release`; the database holds ``decider_id <> proposer_id`` too); the asker may
withdraw a pending one. Audited ``occurrence.release_request``, ``occurrence.release_approve``,
``occurrence.release_reject``, ``occurrence.release_withdraw`` with offsets and the digest of
the request's reason (a rejection's reason as text, as for redactions), never cable text.
A decision's ``source`` is ``cable`` (a conflict with the version's own redactions); a later
source (an earlier release's withheld strings) adds its own value and reuses all of this.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from redactor import audit
from redactor.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted, StaleVersion
from redactor.models import (
    MAX_ID,
    Cable,
    CableVersion,
    OccurrenceDecision,
    RedactionStatus,
    User,
    utcnow,
)
from redactor.redaction.common import clean_text, digest
from redactor.redaction.occurrences import (
    APPROVED,
    PENDING,
    REJECTED,
    SOURCE_CABLE,
    WITHDRAWN,
    DecisionView,
    checked_span,
    decision_view,
    open_decisions,
)
from redactor.redaction.variants import other_occurrences
from redactor.release.occurrences import visible_occurrences
from redactor.review.policy import Role, can_approve, can_propose
from redactor.review.service import (
    flush,
    hiding_redactions,
    lock_cable,
    require_visible,
    version_of,
)


def _candidate_places(session: Session, version: CableVersion) -> set[tuple[int, int]]:
    """The places a "release this occurrence" may concern: every conflict of the gate with
    the approved redactions, and every other occurrence of an active redaction's text."""
    active = hiding_redactions(session, version.id)
    approved = [r for r in active if r.status == RedactionStatus.APPROVED]
    spans = [(r.start, r.end) for r in approved]
    places = {(o.start, o.end) for o in visible_occurrences(version.text, spans)}
    for row in active:
        places.update((f.start, f.end) for f in other_occurrences(version.text, row.start, row.end))
    return places


def request_release(
    session: Session,
    actor: User,
    cable: Cable,
    *,
    start: object,
    end: object,
    reason: object,
    version_number: object = None,
) -> OccurrenceDecision:
    """Ask, with ``reason``, that the occurrence ``[start, end)`` of ``cable``'s current
    version be released although the same text is withheld elsewhere.

    Raises ``NotFound`` (cable not visible), ``NotPermitted`` (not a reviewer),
    ``StaleVersion`` (``version_number`` given and not the current version),
    ``IllegalTransition`` (a request for that place is already pending or approved),
    ``InvalidInput`` (no reason; a place that is no occurrence of withheld or proposed text).
    Audits ``occurrence.release_request``."""
    require_visible(actor, cable)
    if not can_propose(actor.roles):
        raise NotPermitted("only reviewers ask to release an occurrence")
    lock_cable(session, cable)
    if version_number is not None and version_number != cable.current_version:
        raise StaleVersion("the cable has a newer version; reload it")
    version = version_of(session, cable)
    span = checked_span(version, start, end)
    text = clean_text(reason, "reason", required=True)
    existing = open_decisions(session, version).get((span.start, span.end))
    if existing is not None:
        raise IllegalTransition(
            f"releasing this occurrence is already {existing.status} (#{existing.id})"
        )
    if (span.start, span.end) not in _candidate_places(session, version):
        raise InvalidInput(
            f"[{span.start}, {span.end}) is not an occurrence of text withheld or proposed"
        )
    row = OccurrenceDecision(
        cable_id=cable.id, version_id=version.id, start=span.start, end=span.end,
        source=SOURCE_CABLE, reason=text, proposer_id=actor.id, status=PENDING,
        decision_reason="",
    )
    session.add(row)
    flush(session)
    audit.record(
        session, actor, "occurrence.release_request",
        subject=("occurrence_decision", row.id),
        data={"cable_id": cable.id, "version": version.number, "start": row.start,
              "end": row.end, "source": row.source, "reason_sha256": digest(text)},
        cable=cable,
    )
    return row


def get_decision(
    session: Session, actor: User, decision_id: int, *, lock: bool = False
) -> OccurrenceDecision:
    """The decision ``decision_id`` if ``actor`` may see its cable; ``NotFound`` otherwise,
    exactly as for an id never used."""
    row = (
        session.get(OccurrenceDecision, decision_id) if 0 < decision_id <= MAX_ID else None
    )
    cable = session.get(Cable, row.cable_id) if row is not None else None
    if row is None or cable is None:
        raise NotFound("no such decision")
    require_visible(actor, cable)
    if lock:
        lock_cable(session, cable)
        session.refresh(row)
    return row


def decide_release(
    session: Session,
    actor: User,
    decision_id: int,
    *,
    action: str,
    expected_row_version: object,
    reason: object = "",
) -> OccurrenceDecision:
    """``approve`` or ``reject`` (an approver who did not ask), or ``withdraw`` (the one
    who asked), the pending request ``decision_id``.

    Raises ``NotFound`` (as :func:`get_decision`), ``NotPermitted`` (the proposer approving
    or rejecting their own request; anyone else withdrawing it; not an approver),
    ``StaleVersion`` (``expected_row_version`` not the request's, or the cable has a newer
    version), ``IllegalTransition`` (decided already), ``InvalidInput`` (a rejection without
    a reason, an unknown action). Audits ``occurrence.release_<action>``."""
    if action not in ("approve", "reject", "withdraw"):
        raise InvalidInput("the action is approve, reject or withdraw")
    row = get_decision(session, actor, decision_id, lock=True)
    if action == "withdraw":
        if row.proposer_id != actor.id:
            raise NotPermitted("only the person who asked may withdraw the request")
    elif not can_approve(actor.id, actor.roles, row.proposer_id):
        raise NotPermitted(
            "releasing an occurrence needs a second person: an approver who did not ask"
            if Role.APPROVER in actor.roles
            else "only an approver decides on releasing an occurrence"
        )
    if type(expected_row_version) is not int or expected_row_version != row.row_version:
        raise StaleVersion("this request changed since the page was loaded; reload it")
    if row.status != PENDING:
        raise IllegalTransition(f"this request is already {row.status}")
    cable = session.get(Cable, row.cable_id)
    assert cable is not None
    version = version_of(session, cable)
    if action == "approve" and row.version_id != version.id:
        raise StaleVersion("the cable has a newer version: this request is about an older one")
    text = clean_text(reason, "reason", required=action == "reject")
    row.status = {"approve": APPROVED, "reject": REJECTED, "withdraw": WITHDRAWN}[action]
    if action != "withdraw":
        row.decider_id = actor.id
    row.decision_reason = text
    row.decided_at = utcnow()
    flush(session)
    audit.record(
        session, actor, f"occurrence.release_{action}",
        subject=("occurrence_decision", row.id),
        data={"cable_id": cable.id, "start": row.start, "end": row.end, "source": row.source,
              "status": row.status, "reason": text},
        cable=cable,
    )
    return row


def pending_releases(session: Session, actor: User, cable: Cable) -> list[DecisionView]:
    """The pending "release this occurrence" requests of ``cable``'s current version."""
    require_visible(actor, cable)
    version = version_of(session, cable)
    return [
        decision_view(row)
        for row in open_decisions(session, version).values()
        if row.status == PENDING
    ]
