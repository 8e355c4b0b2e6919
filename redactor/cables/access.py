"""Clearance, enforced in one place: every query that returns cables starts here.

A cable above the actor's clearance does not exist for them: :func:`get_visible_cable`
raises :class:`~redactor.errors.NotFound`, exactly as for an unknown reference id.

Each version has its own level (:attr:`~redactor.models.CableVersion.level`), so a door that
shows a version (an older text, a diff, the list of versions) also asks
:func:`get_visible_version` / :func:`visible_versions`: a version above the actor's
clearance is as absent as a version number the cable never had, whatever the cable's
current level says. Imports pass the same check (:mod:`redactor.cables.service`).
"""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from redactor import audit
from redactor.errors import NotFound
from redactor.models import Cable, CableVersion, User
from redactor.review.policy import Level, can_view


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


def may_see_version(actor: User, version: CableVersion) -> bool:
    """True if ``actor`` is active and cleared for ``version``'s own level."""
    return bool(actor.active) and can_view(actor.clearance, version.level)


def get_visible_version(
    session: Session, actor: User, cable: Cable, number: int | None = None
) -> CableVersion:
    """Version ``number`` (default: the current one) of ``cable``, which the caller has
    loaded for ``actor``; raises ``NotFound`` when the cable has no such version **or** the
    version is above ``actor``'s clearance, with the same message."""
    wanted = cable.current_version if number is None else number
    version = session.scalars(
        select(CableVersion).where(
            CableVersion.cable_id == cable.id, CableVersion.number == wanted
        )
    ).one_or_none()
    if version is None or not may_see_version(actor, version):
        raise NotFound(f"no version {wanted} of cable {cable.reference_id}")
    return version


def visible_versions(session: Session, actor: User, cable: Cable) -> list[CableVersion]:
    """The versions of ``cable`` that ``actor`` is cleared for, oldest first (a list of
    versions shows only those)."""
    query = (
        select(CableVersion)
        .where(CableVersion.cable_id == cable.id, CableVersion.level <= actor.clearance)
        .order_by(CableVersion.number)
    )
    if not actor.active:
        query = query.where(False)
    return list(session.scalars(query))


def record_view(session: Session, actor: User, cable: Cable, version_number: int) -> None:
    """Put on record that ``actor`` read version ``version_number`` of ``cable``, when the
    cable is classified (its text was shown). Flushes; in a read-only session, ends the read
    transaction first (see :func:`redactor.audit.record`)."""
    if cable.level > Level.UNCLASSIFIED:
        audit.record(
            session,
            actor,
            "cable.view",
            subject=("cable", cable.id),
            data={"version": version_number, "classification": cable.classification},
        )
