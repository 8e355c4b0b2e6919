"""Clearance, enforced in one place: every query that returns cables starts here.

A cable above the actor's clearance does not exist for them: :func:`get_visible_cable`
raises :class:`~redactor.errors.NotFound`, exactly as for an unknown reference id.
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from redactor import audit
from redactor.errors import NotFound
from redactor.models import Cable, User
from redactor.review.policy import Level


def visible_cables(actor: User) -> Select[tuple[Cable]]:
    """A SELECT of the cables ``actor`` is cleared for; add filters, order and limits to it.

    An inactive user sees nothing.
    """
    query = select(Cable).where(Cable.level <= actor.clearance)
    if not actor.active:
        query = query.where(False)
    return query


def get_visible_cable(session: Session, actor: User, reference_id: str) -> Cable:
    """The cable ``reference_id`` if ``actor`` may see it; raises ``NotFound`` otherwise."""
    cable = session.scalars(
        visible_cables(actor).where(Cable.reference_id == reference_id)
    ).one_or_none()
    if cable is None:
        raise NotFound(f"no cable {reference_id}")
    return cable


def record_view(session: Session, actor: User, cable: Cable, version_number: int) -> None:
    """Put on record that ``actor`` read version ``version_number`` of ``cable``, when the
    cable is classified (its text was shown). Flushes; in a read-only session, ends the read
    transaction first (see :func:`redactor.audit.record`)."""
    if cable.level > Level.UNCLASSIFIED:
        audit.record(
            session,
            actor,
            "cable.view",
            subject=("cable", cable.reference_id),
            data={"version": version_number, "classification": cable.classification},
        )
