"""Review services: portion review marks, the cable's review status, and review queries.

SQLAlchemy only, no Flask. The acting user is an argument. Each service checks clearance
(``NotFound``: a cable above the actor's clearance does not exist for them), then policy
(``NotPermitted``), then the transition (``IllegalTransition``), mutates, audits and flushes;
it never commits: the caller owns the transaction.

Every service that changes the review of a cable first locks the cable's row
(:func:`lock_cable`; ``SELECT ... FOR UPDATE`` on PostgreSQL, where SQLite's
``BEGIN IMMEDIATE`` already serialises writers). Without it, two transactions could each see
the other's work as absent (one approving the last pending proposal, one proposing a new
one) and leave a cable ``ready`` with a proposal pending.

Audit payloads carry offsets, codes, states and ids, never cable text: the audit record is
read by auditors who need not be cleared for the cables it speaks of.
"""

from __future__ import annotations

from sqlalchemy import exists, func, literal, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from redactor import audit
from redactor.cables.access import visible_cables
from redactor.errors import IllegalTransition, NotFound, NotPermitted, StaleVersion
from redactor.models import (
    Cable,
    CableStatus,
    CableVersion,
    CarryOver,
    Decision,
    DecisionKind,
    Portion,
    PortionReview,
    Redaction,
    RedactionStatus,
    User,
)
from redactor.redaction.spans import Span
from redactor.review import states
from redactor.review.policy import Role, can_mark_reviewed, can_view

# --- shared helpers (also used by the redaction services) -------------------------------------


def require_visible(actor: User, cable: Cable) -> None:
    """Raise ``NotFound`` unless ``actor`` is active and cleared for ``cable``."""
    if not actor.active or not can_view(actor.clearance, cable.level):
        raise NotFound(f"no cable {cable.id}")


def lock_cable(session: Session, cable: Cable) -> Cable:
    """Lock ``cable``'s row for this transaction and reload it; returns the same object."""
    return session.scalars(
        select(Cable)
        .where(Cable.id == cable.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def flush(session: Session) -> None:
    """Flush; a row changed by someone else since it was loaded raises ``StaleVersion``."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleVersion("changed by someone else in the meantime; reload and retry") from exc


def version_of(session: Session, cable: Cable, number: int | None = None) -> CableVersion:
    """Version ``number`` of ``cable`` (its current version by default); ``NotFound`` if none."""
    wanted = cable.current_version if number is None else number
    version = session.scalars(
        select(CableVersion).where(CableVersion.cable_id == cable.id, CableVersion.number == wanted)
    ).one_or_none()
    if version is None:
        raise NotFound(f"no version {wanted} of cable {cable.id}")
    return version


def valid_approvals(redaction: Redaction, decisions: list[Decision]) -> list[Decision]:
    """The approvals in ``decisions`` that still count for ``redaction``: not void, made on
    its current revision, and on exactly its current span and codes."""
    return [
        d
        for d in decisions
        if d.kind == DecisionKind.APPROVE
        and not d.void
        and d.revision == redaction.revision
        and (d.start, d.end) == (redaction.start, redaction.end)
        and list(d.codes) == list(redaction.codes)
    ]


def effective_status(redaction: Redaction, required: int) -> str:
    """``redaction``'s status under ``required`` approvals (see
    :func:`redactor.review.states.effective_status`); its decisions must be loaded."""
    approvals = len(valid_approvals(redaction, list(redaction.decisions)))
    return states.effective_status(redaction.status, approvals, required)


def open_change(session: Session, redaction: Redaction) -> Redaction | None:
    """The pending change (or withdrawal request) of ``redaction``, if one is open."""
    return session.scalars(
        select(Redaction)
        .where(Redaction.replaces_id == redaction.id, Redaction.status == RedactionStatus.PENDING)
        .order_by(Redaction.id)
        .limit(1)
    ).one_or_none()


def outstanding_redactions(
    session: Session, version: CableVersion, *, approvals_required: int
) -> list[Redaction]:
    """The redactions of ``version`` that still await a decision under
    ``approvals_required``: pending ones (changes and withdrawal requests included) and
    approved ones short of the approvals now required. A release waits for them."""
    rows = session.scalars(
        select(Redaction)
        .where(
            Redaction.version_id == version.id,
            Redaction.status.in_((RedactionStatus.PENDING, RedactionStatus.APPROVED)),
        )
        .options(selectinload(Redaction.decisions))
        .order_by(Redaction.start, Redaction.end, Redaction.id)
    ).all()
    return [
        r
        for r in rows
        if r.status == RedactionStatus.PENDING
        or states.is_outstanding(effective_status(r, approvals_required))
    ] + left_behind(session, version)


def left_behind(session: Session, version: CableVersion) -> list[Redaction]:
    """The redactions of older versions that could not be carried over to ``version`` and
    that nobody has resolved yet (:mod:`redactor.review.carryover`): each holds the release
    of ``version`` as a pending proposal would (fail closed)."""
    return list(
        session.scalars(
            select(Redaction)
            .join(CarryOver, CarryOver.old_redaction_id == Redaction.id)
            .where(
                CarryOver.to_version_id == version.id,
                CarryOver.needs_look.is_(True),
                CarryOver.resolved_at.is_(None),
            )
            .options(selectinload(Redaction.decisions))
            .order_by(Redaction.id)
        )
    )


# --- the cable's review status ----------------------------------------------------------------


def refresh_cable_status(
    session: Session, cable: Cable, *, actor: User | None = None
) -> CableStatus:
    """Derive ``cable``'s status from its current version and store it if it changed.

    Ready when every portion of the current version is reviewed and no proposal on it is
    pending; a released cable stays released until its review reopens (see
    :mod:`redactor.review.states`). Audits ``cable.status`` (from/to) on a change; flushes.
    Raises ``IllegalTransition`` if the derived status cannot follow the stored one.
    """
    version = version_of(session, cable)
    portion_count = session.scalar(
        select(func.count()).select_from(Portion).where(Portion.version_id == version.id)
    )
    portion_indexes = (
        select(Portion.index).where(Portion.version_id == version.id)
        if portion_count
        else select(literal(states.WHOLE_TEXT_INDEX))  # the mark of the whole text
    )
    reviewed_count = session.scalar(
        select(func.count(func.distinct(PortionReview.portion_index))).where(
            PortionReview.version_id == version.id,
            PortionReview.portion_index.in_(portion_indexes),
        )
    )
    pending_count = session.scalar(
        select(func.count())
        .select_from(Redaction)
        .where(Redaction.version_id == version.id, Redaction.status == RedactionStatus.PENDING)
    )
    # Left behind by a new version and not yet resolved: pending, as far as release goes.
    pending_count = (pending_count or 0) + len(left_behind(session, version))
    proposed = session.scalar(select(exists().where(Redaction.version_id == version.id)))
    current = CableStatus(cable.status)
    target = CableStatus(
        states.cable_status(
            portion_count or 0,
            reviewed_count or 0,
            pending_count or 0,
            current == CableStatus.RELEASED,
            started=current != CableStatus.NEW or bool(proposed),
        )
    )
    if target == current:
        return current
    try:
        states.check_cable_transition(current, target)
    except states.TransitionError as exc:
        raise IllegalTransition(str(exc)) from exc
    cable.status = target
    flush(session)
    audit.record(
        session,
        actor,
        "cable.status",
        subject=("cable", cable.id),
        data={"from": current.value, "to": target.value, "version": version.number},
    )
    return target


# --- portion review marks ---------------------------------------------------------------------


def _portion(session: Session, version: CableVersion, portion_index: int) -> Portion | None:
    """Portion ``portion_index`` of ``version``; None for the whole text of a version
    without portions (:data:`redactor.review.states.WHOLE_TEXT_INDEX`)."""
    portion = session.scalars(
        select(Portion).where(Portion.version_id == version.id, Portion.index == portion_index)
    ).one_or_none()
    if portion is not None:
        return portion
    if portion_index == states.WHOLE_TEXT_INDEX and not _has_portions(session, version):
        return None
    raise NotFound(f"no portion {portion_index} in version {version.number}")


def _has_portions(session: Session, version: CableVersion) -> bool:
    """Whether ``version`` has any portion (or heading); one without is reviewed as a whole."""
    return bool(session.scalar(select(exists().where(Portion.version_id == version.id))))


def _review(
    session: Session,
    actor: User,
    cable: Cable,
    version: CableVersion,
    portion: Portion | None,
    *,
    bulk: bool,
) -> PortionReview:
    # None: the whole text of a version without portions.
    index = states.WHOLE_TEXT_INDEX if portion is None else portion.index
    review = PortionReview(version_id=version.id, portion_index=index, reviewer_id=actor.id)
    session.add(review)
    flush(session)
    audit.record(
        session,
        actor,
        "portion.review",
        subject=("cable", cable.id),
        data={
            "version": version.number,
            "portion_index": index,
            "marking": None if portion is None else portion.marking,
            "bulk": bulk,
            **({"whole_text": True} if portion is None else {}),
        },
    )
    return review


def _existing_reviews(session: Session, version: CableVersion) -> dict[int, PortionReview]:
    rows = session.scalars(select(PortionReview).where(PortionReview.version_id == version.id))
    return {row.portion_index: row for row in rows}


def mark_portion_reviewed(
    session: Session, actor: User, cable: Cable, portion_index: int
) -> PortionReview:
    """Mark portion ``portion_index`` of ``cable``'s current version as reviewed by ``actor``.

    For a version without portions (a truncated cable), index 0 marks its whole text:
    header, routing and every line, read as one (:data:`states.WHOLE_TEXT_INDEX`).
    Idempotent: a portion already marked keeps its first mark (returned; nothing audited).
    Raises ``NotFound`` (cable not visible, no such portion), ``NotPermitted`` (not a
    reviewer). Audits ``portion.review``, refreshes the cable's status, flushes.
    """
    require_visible(actor, cable)
    if not can_mark_reviewed(actor.roles):
        raise NotPermitted("only reviewers mark portions as reviewed")
    lock_cable(session, cable)
    version = version_of(session, cable)
    portion = _portion(session, version, portion_index)
    index = states.WHOLE_TEXT_INDEX if portion is None else portion.index
    existing = _existing_reviews(session, version).get(index)
    if existing is not None:
        return existing
    review = _review(session, actor, cable, version, portion, bulk=False)
    refresh_cable_status(session, cable, actor=actor)
    return review


def mark_unclassified_portions_reviewed(
    session: Session, actor: User, cable: Cable
) -> list[PortionReview]:
    """Mark every portion marked unclassified (level ``U``: ``(U)``, ``(SBU)``, ``(FOUO)``)
    of ``cable``'s current version as reviewed, skipping those already marked.

    Unmarked portions and headings are left for a person to read. Returns the new marks
    (one ``portion.review`` audit entry each); raises as :func:`mark_portion_reviewed`.
    """
    require_visible(actor, cable)
    if not can_mark_reviewed(actor.roles):
        raise NotPermitted("only reviewers mark portions as reviewed")
    lock_cable(session, cable)
    version = version_of(session, cable)
    existing = _existing_reviews(session, version)
    portions = session.scalars(
        select(Portion)
        .where(Portion.version_id == version.id, Portion.level == "U")
        .order_by(Portion.index)
    ).all()
    reviews = [
        _review(session, actor, cable, version, portion, bulk=True)
        for portion in portions
        if portion.index not in existing
    ]
    if reviews:
        refresh_cable_status(session, cable, actor=actor)
    return reviews


# --- queries for the review pages -------------------------------------------------------------


def _visible_current_redactions(actor: User):
    visible_ids = visible_cables(actor).with_only_columns(Cable.id)
    return (
        select(Redaction)
        .join(CableVersion, CableVersion.id == Redaction.version_id)
        .join(Cable, Cable.id == Redaction.cable_id)
        .where(
            Redaction.cable_id.in_(visible_ids),
            CableVersion.number == Cable.current_version,
        )
    )


def pending_for_approver(
    session: Session, actor: User, *, approvals_required: int = 1
) -> list[Redaction]:
    """Pending proposals on the current versions of cables ``actor`` may see, proposed by
    someone else and not yet approved by ``actor`` at their current revision, and approved
    ones that are short of ``approvals_required`` (awaiting further approval); oldest first.
    Empty for a user who is not an approver."""
    if Role.APPROVER not in actor.roles:
        return []
    mine = (
        select(Decision.id)
        .where(
            Decision.redaction_id == Redaction.id,
            Decision.approver_id == actor.id,
            Decision.revision == Redaction.revision,
            Decision.void.is_(False),
        )
        .exists()
    )
    query = (
        _visible_current_redactions(actor)
        .where(
            Redaction.status.in_((RedactionStatus.PENDING, RedactionStatus.APPROVED)),
            Redaction.proposer_id != actor.id,
            ~mine,
        )
        .order_by(Redaction.created_at, Redaction.id)
    )
    if approvals_required <= 1:
        # Every approved row holds its approval: none is awaiting, none needs loading.
        query = query.where(Redaction.status == RedactionStatus.PENDING)
        return list(session.scalars(query))
    rows = session.scalars(query.options(selectinload(Redaction.decisions))).all()
    return [
        r
        for r in rows
        if r.status == RedactionStatus.PENDING
        or effective_status(r, approvals_required) == states.AWAITING
    ]


def rejected_for_proposer(session: Session, actor: User) -> list[Redaction]:
    """``actor``'s own rejected proposals on the current versions of cables they may see;
    most recently changed first."""
    query = (
        _visible_current_redactions(actor)
        .where(Redaction.status == RedactionStatus.REJECTED, Redaction.proposer_id == actor.id)
        .order_by(Redaction.updated_at.desc(), Redaction.id.desc())
    )
    return list(session.scalars(query))


def redactions_for_cable(
    session: Session, actor: User, cable: Cable, *, version_number: int | None = None
) -> list[Redaction]:
    """Every proposal (any status) on a version of ``cable`` (the current one by default),
    in text order. Raises ``NotFound`` when ``actor`` may not see the cable or version."""
    require_visible(actor, cable)
    version = version_of(session, cable, version_number)
    query = (
        select(Redaction)
        .where(Redaction.version_id == version.id)
        .options(selectinload(Redaction.decisions))
        .order_by(Redaction.start, Redaction.end, Redaction.id)
    )
    return list(session.scalars(query))


def approved_redactions(
    session: Session,
    cable: Cable,
    version: CableVersion | int | None = None,
    *,
    approvals_required: int = 1,
) -> list[Redaction]:
    """The approved redactions of ``version`` of ``cable`` (a version, its number, or the
    current one), in text order, their decisions loaded.

    Fail closed: every approved redaction counts, also one short of the
    ``approvals_required`` now configured (it was approved under a lower setting: it stays
    hidden, and :func:`outstanding_redactions` holds the release until it has them), and a
    pending one whose approvals reach a lowered setting. Withdrawal requests never count (they
    hide nothing of their own; the redaction they would withdraw does until they are
    approved). Not clearance-checked: the caller (the release service) has already loaded the
    cable for its actor.
    """
    if not isinstance(version, CableVersion):
        version = version_of(session, cable, version)
    elif version.cable_id != cable.id:
        raise NotFound(f"version {version.id} is not a version of cable {cable.id}")
    redactions = hiding_redactions(session, version.id)
    return [r for r in redactions if states.is_protected(effective_status(r, approvals_required))]


def hiding_redactions(session: Session, version_id: int) -> list[Redaction]:
    """The pending and approved redactions of the version ``version_id``, which hide text
    (withdrawal requests hide nothing of their own), in text order, their decisions loaded.
    Not clearance-checked."""
    return list(
        session.scalars(
            select(Redaction)
            .where(
                Redaction.version_id == version_id,
                Redaction.status.in_((RedactionStatus.PENDING, RedactionStatus.APPROVED)),
                Redaction.withdraws.is_(False),
            )
            .options(selectinload(Redaction.decisions))
            .order_by(Redaction.start, Redaction.end, Redaction.id)
        )
    )


def approved_spans(
    session: Session,
    cable: Cable,
    version: CableVersion | int | None = None,
    *,
    approvals_required: int = 1,
) -> list[tuple[Span, tuple[str, ...]]]:
    """:func:`approved_redactions` as ``(Span, codes)``, in text order, neither merged nor
    clipped."""
    return [
        (Span(r.start, r.end), tuple(r.codes))
        for r in approved_redactions(
            session, cable, version, approvals_required=approvals_required
        )
    ]
