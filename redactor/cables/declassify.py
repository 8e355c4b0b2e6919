"""Declassification: lowering a cable's level, by two people, on the record.

A cable's level never falls as a side effect of anything (an import only raises it). It falls
here, by a decision in two steps:

1. A **reviewer** cleared at the cable's level (and for its current version) asks for a lower
   level, with a reason (:func:`request_declassification`; audited
   ``cable.declassify_request``). One request a cable at a time.
2. An **approver** cleared at the level the request was made at, who is **not** the
   proposer, approves or rejects it (:func:`decide`; ``cable.declassify`` /
   ``cable.declassify_reject``). The decision carries the request's ``row_version``: a
   decision on an older state, or on a request already decided, is a 409.

A request is about the cable as it stood: if the cable has a new version or a different level
since (an import raised it, say), the request is **void**: approving it is refused
(:class:`StaleVersion`), and it can only be rejected; a new request is needed.

**What falls.** On approval the cable's level and its shown classification become the
requested level, and so does the **current version's** level (its text is what the decision
was about, and it must be readable at the new level). Every older version keeps its own
level (:attr:`CableVersion.level`): reading it still needs clearance for it. The audit entries
about the cable written before the approval stay hidden from readers below the old level
(``approved_seq``, :mod:`redactor.audit_log`), as does the request itself
(:func:`get_request` needs clearance for the old level, always).

**Who sees.** A request exists only for a person active and cleared for both its old level
and the cable's level now; for anyone else it is a :class:`NotFound`, exactly like an unknown
id. Services layer: flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from redactor import audit
from redactor.cables.access import get_visible_version
from redactor.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted, StaleVersion
from redactor.models import (
    Cable,
    CableVersion,
    DeclassificationRequest,
    DeclassificationStatus,
    User,
    utcnow,
)
from redactor.review.policy import Level, Role, can_view

#: The longest reason a request or a rejection may give.
REASON_MAX = 2000


def _require_cleared(actor: User, level: int, what: str) -> None:
    if not (actor.active and can_view(actor.clearance, level)):
        raise NotFound(what)


def _reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(f"say why {what}")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"the reason is longer than {REASON_MAX} characters")
    return reason


def _level(raw: int | str, below: int) -> Level:
    try:
        level = Level(int(raw))
    except (TypeError, ValueError):
        raise InvalidInput("choose the level the cable should fall to") from None
    if level >= below:
        raise InvalidInput("a declassification must lower the cable's level")
    return level


def pending_on(session: Session, cable: Cable) -> DeclassificationRequest | None:
    """The pending request on ``cable`` (which the caller loaded for a cleared actor)."""
    return session.scalars(
        select(DeclassificationRequest).where(
            DeclassificationRequest.cable_id == cable.id,
            DeclassificationRequest.status == DeclassificationStatus.PENDING,
        )
    ).first()


def is_void(request: DeclassificationRequest, cable: Cable) -> bool:
    """True if ``cable`` changed (level or current version) since ``request`` was made."""
    return request.from_level != cable.level or request.from_version != cable.current_version


def request_declassification(
    session: Session, actor: User, cable: Cable, *, to_level: int | str, reason: str
) -> DeclassificationRequest:
    """Ask, as ``actor``, that ``cable`` fall to ``to_level``; returns the pending request.

    ``NotFound`` unless ``actor`` is active and cleared for the cable and its current
    version; ``NotPermitted`` without the reviewer role; ``InvalidInput`` for a level that
    is not below the cable's or an empty reason; ``IllegalTransition`` when a request is
    already pending on the cable. Audited ``cable.declassify_request``. Flushes.
    """
    _require_cleared(actor, cable.level, f"no cable {cable.reference_id}")
    get_visible_version(session, actor, cable)  # the text the request is about
    if Role.REVIEWER not in actor.roles:
        raise NotPermitted("only a reviewer may ask for a declassification")
    level = _level(to_level, cable.level)
    text = _reason(reason, "the cable should be declassified")
    # The cable locked (PostgreSQL) before looking for a pending request: two reviewers
    # asking at once make one request, and the second is told one is pending.
    session.execute(select(Cable.id).where(Cable.id == cable.id).with_for_update())
    if pending_on(session, cable) is not None:
        raise IllegalTransition("a declassification of this cable is already pending")
    request = DeclassificationRequest(
        cable_id=cable.id,
        from_level=cable.level,
        to_level=int(level),
        from_version=cable.current_version,
        reason=text,
        proposer_id=actor.id,
    )
    session.add(request)
    session.flush()
    audit.record(
        session,
        actor,
        "cable.declassify_request",
        ("declassification", request.id),
        {
            "from": Level(cable.level).label,
            "to": level.label,
            "reason": text,
            "version": cable.current_version,
        },
        cable=cable,
    )
    return request


def get_request(
    session: Session, actor: User, request_id: int, *, lock: bool = False
) -> DeclassificationRequest:
    """The request ``request_id``; ``NotFound`` when there is none or ``actor`` is not
    active and cleared for both its old level and its cable's level now (the same answer).
    ``lock``: read it afresh and lock it until commit (PostgreSQL), so that two decisions at
    once are serialized and the second finds it decided."""
    query = (
        select(DeclassificationRequest, Cable.level)
        .join(Cable, Cable.id == DeclassificationRequest.cable_id)
        .where(DeclassificationRequest.id == request_id)
    )
    if lock:
        query = query.with_for_update(of=DeclassificationRequest).execution_options(
            populate_existing=True
        )
    found = session.execute(query).one_or_none()
    what = f"no declassification request {request_id}"
    if found is None:
        raise NotFound(what)
    request, cable_level = found
    _require_cleared(actor, max(request.from_level, cable_level), what)
    return request


def decide(
    session: Session,
    actor: User,
    request_id: int,
    *,
    approve: bool,
    expected_row_version: int,
    reason: str = "",
) -> DeclassificationRequest:
    """Approve or reject the request ``request_id`` as ``actor``.

    Raises, in this order: ``NotFound`` as :func:`get_request`; ``NotPermitted`` without the
    approver role or when ``actor`` made the request; ``IllegalTransition`` when it is
    decided already; ``StaleVersion`` when ``expected_row_version`` is not the request's,
    or (approving) when the request is void; ``InvalidInput`` for a rejection without a
    reason. An approval lowers the cable's level, classification and current version's
    level (older versions keep theirs). Audited ``cable.declassify`` or
    ``cable.declassify_reject``. Flushes, never commits. Messages name no cable: a refusal
    goes on record about the route.
    """
    request = get_request(session, actor, request_id, lock=True)
    if Role.APPROVER not in actor.roles:
        raise NotPermitted("only an approver may decide on a declassification")
    if request.proposer_id == actor.id:
        raise NotPermitted("a declassification needs a second person: not its proposer")
    if request.status != DeclassificationStatus.PENDING:
        raise IllegalTransition("this declassification request has already been decided")
    if request.row_version != expected_row_version:
        raise StaleVersion("this request changed since the page was loaded; reload it")
    cable = session.scalars(
        select(Cable)
        .where(Cable.id == request.cable_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    _require_cleared(actor, cable.level, f"no declassification request {request_id}")
    request.decider_id = actor.id
    request.decided_at = utcnow()
    if not approve:
        request.status = DeclassificationStatus.REJECTED
        request.decision_reason = _reason(reason, "the request is rejected")
        session.flush()
        audit.record(
            session,
            actor,
            "cable.declassify_reject",
            ("declassification", request.id),
            {"reason": request.decision_reason},
            cable=cable,
        )
        return request
    if is_void(request, cable):
        raise StaleVersion(
            "the cable changed since this request was made (a new version or level): "
            "the request is void; reject it and ask again"
        )
    request.status = DeclassificationStatus.APPROVED
    request.decision_reason = (reason or "").strip()[:REASON_MAX]
    old = Level(cable.level)
    new = Level(request.to_level)
    cable.level = int(new)
    cable.classification = new.label
    version = session.scalars(
        select(CableVersion).where(
            CableVersion.cable_id == cable.id, CableVersion.number == cable.current_version
        )
    ).one()
    version.level = min(version.level, int(new))
    session.flush()
    entry = audit.record(
        session,
        actor,
        "cable.declassify",
        ("declassification", request.id),
        {
            "from": old.label,
            "to": new.label,
            "version": cable.current_version,
            "proposer_id": request.proposer_id,
        },
        cable=cable,
    )
    request.approved_seq = entry.seq
    session.flush()
    return request


@dataclass(frozen=True)
class RequestView:
    """A declassification request as a page shows it."""

    id: int
    reference_id: str
    subject: str
    from_label: str
    to_label: str
    status: str
    reason: str
    proposer: str
    created_at: datetime
    void: bool
    mine: bool
    may_decide: bool
    row_version: int


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(ids))
    )
    return {uid: display_name or username for uid, username, display_name in rows}


def _view(
    session: Session, actor: User, request: DeclassificationRequest, cable: Cable
) -> RequestView:
    names = _names(session, {request.proposer_id})
    pending = request.status == DeclassificationStatus.PENDING
    return RequestView(
        id=request.id,
        reference_id=cable.reference_id,
        subject=cable.subject,
        from_label=Level(request.from_level).label,
        to_label=Level(request.to_level).label,
        status=DeclassificationStatus(request.status).value,
        reason=request.reason,
        proposer=names.get(request.proposer_id, ""),
        created_at=request.created_at,
        void=pending and is_void(request, cable),
        mine=request.proposer_id == actor.id,
        may_decide=pending and Role.APPROVER in actor.roles and request.proposer_id != actor.id,
        row_version=request.row_version,
    )


def request_view(session: Session, actor: User, request_id: int) -> RequestView:
    """The page of request ``request_id`` (raises as :func:`get_request`)."""
    request = get_request(session, actor, request_id)
    cable = session.get(Cable, request.cable_id)
    return _view(session, actor, request, cable)


def approver_queue(session: Session, actor: User, *, limit: int = 50) -> list[RequestView]:
    """The pending requests ``actor`` may decide on (approver, cleared for the old level and
    the cable now, not the proposer), oldest first; empty for anyone else."""
    if not actor.active or Role.APPROVER not in actor.roles:
        return []
    rows = session.execute(
        select(DeclassificationRequest, Cable)
        .join(Cable, Cable.id == DeclassificationRequest.cable_id)
        .where(
            DeclassificationRequest.status == DeclassificationStatus.PENDING,
            DeclassificationRequest.from_level <= actor.clearance,
            Cable.level <= actor.clearance,
            DeclassificationRequest.proposer_id != actor.id,
        )
        .order_by(DeclassificationRequest.id)
        .limit(limit)
    ).all()
    return [_view(session, actor, request, cable) for request, cable in rows]


@dataclass(frozen=True)
class CablePanel:
    """What the cable page shows about declassification, for one actor."""

    pending: RequestView | None
    may_request: bool
    levels: tuple[tuple[int, str], ...]  # the levels a request may ask for


def cable_panel(session: Session, actor: User, cable: Cable) -> CablePanel:
    """The cable page's part for ``cable`` (loaded for ``actor``, who is cleared for it and
    its current version): the pending request, and whether ``actor`` may make one.
    ``NotFound`` if ``actor`` is not cleared for the cable after all."""
    _require_cleared(actor, cable.level, f"no cable {cable.reference_id}")
    pending = pending_on(session, cable)
    view = None
    if pending is not None and can_view(actor.clearance, pending.from_level):
        view = _view(session, actor, pending, cable)
    may = bool(actor.active) and Role.REVIEWER in actor.roles and pending is None
    levels = tuple((int(lv), lv.label) for lv in Level if lv < cable.level)
    return CablePanel(pending=view, may_request=may and bool(levels), levels=levels)
