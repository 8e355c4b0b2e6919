"""Held imports: the files an importer not cleared for a cable sent for it, and their way out.

An import of a file whose reference id names a cable above its importer's clearance changes
nothing of that cable and is kept in ``held_imports`` (:mod:`redactor.cables.service`). Here a
person who may decide on it finds it, compares it with the cable's current text, and either
**applies** it (it is imported, as that person, through :func:`import_cable`: a new version,
or nothing when the text is the same) or **discards** it with a reason. Both are audited
(``held_import.apply`` / ``held_import.discard``) and carry the row's ``row_version``: a
decision on an older state of the row, or on a row already decided, changes nothing and is a
409.

**Who.** A person holding the reviewer or admin role (those who may import) who is active
and cleared for the held file: for the higher of its own level (the file's markings and the
cable's level when it was held) and the cable's level now. Anyone else does not learn that
the row exists: the list and its count leave it out in SQL, and asking for it by id is a
:class:`NotFound`, exactly as for an id that was never used. Someone without either role
is refused (:class:`NotPermitted`) before any row is read, whatever the id.

Services layer: flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased

from redactor import audit
from redactor.cables.access import get_visible_cable, get_visible_version, record_view
from redactor.cables.service import ImportStatus, import_cable
from redactor.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted, StaleVersion
from redactor.models import Cable, CableVersion, HeldImport, HeldStatus, User, utcnow
from redactor.release.diff import Hunk, diff_text
from redactor.review.policy import Level, can_import

#: The longest reason a discard may give.
REASON_MAX = 2000


def may_decide_held(actor: User) -> bool:
    """True if ``actor`` holds a role that may apply or discard held imports (and is active);
    which held files they see still depends on their clearance."""
    return bool(actor.active) and can_import(actor.roles)


def visible_held(actor: User) -> Select[tuple[HeldImport]]:
    """A SELECT of the still-held files ``actor`` may decide on, oldest first (nothing for a
    person without the role, or inactive)."""
    # The cable by reference id, outer-joined: its level now may be above the level the
    # file was held at (it was raised since).
    cable = aliased(Cable)
    query = (
        select(HeldImport)
        .outerjoin(cable, cable.reference_id == HeldImport.reference_id)
        .where(
            HeldImport.status == HeldStatus.HELD,
            HeldImport.level <= actor.clearance,
            or_(cable.id.is_(None), cable.level <= actor.clearance),
        )
        .order_by(HeldImport.id)
    )
    if not may_decide_held(actor):
        query = query.where(False)
    return query


def count_held(session: Session, actor: User) -> int:
    """How many held files ``actor`` may decide on (the dashboard's link)."""
    inner = visible_held(actor).order_by(None).with_only_columns(HeldImport.id).subquery()
    return int(session.scalar(select(func.count()).select_from(inner)) or 0)


@dataclass(frozen=True)
class HeldRow:
    """One held file as the list shows it."""

    id: int
    reference_id: str
    classification: str
    level_name: str
    source_name: str
    held_at: datetime
    held_by: str


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(ids))
    )
    return {uid: display_name or username for uid, username, display_name in rows}


def _row(held: HeldImport, names: dict[int, str]) -> HeldRow:
    level = Level(held.level)
    return HeldRow(
        id=held.id,
        reference_id=held.reference_id,
        classification=level.label,
        level_name=level.name.lower(),
        source_name=held.source_name,
        held_at=held.held_at,
        held_by=names.get(held.held_by_id, "the system") if held.held_by_id else "the system",
    )


def list_held(session: Session, actor: User) -> list[HeldRow]:
    """The held files ``actor`` may decide on, oldest first; ``NotPermitted`` without the
    role (a page they are not offered)."""
    if not may_decide_held(actor):
        raise NotPermitted("only a reviewer or an administrator decides on held imports")
    rows = list(session.scalars(visible_held(actor)))
    names = _names(session, {h.held_by_id for h in rows if h.held_by_id is not None})
    return [_row(h, names) for h in rows]


def get_held(session: Session, actor: User, held_id: int, *, lock: bool = False) -> HeldImport:
    """The held file ``held_id`` if ``actor`` may decide on it; ``NotPermitted`` without the
    role (whatever the id), ``NotFound`` when there is no such file, it is already decided,
    or it is above ``actor``'s clearance (the same answer). ``lock``: read it afresh and
    lock it until commit (PostgreSQL), so that two people deciding at once are serialized
    and the second finds it decided."""
    if not may_decide_held(actor):
        raise NotPermitted("only a reviewer or an administrator decides on held imports")
    query = visible_held(actor).where(HeldImport.id == held_id)
    if lock:
        query = query.with_for_update(of=HeldImport).execution_options(populate_existing=True)
    held = session.scalars(query).one_or_none()
    if held is None:
        raise NotFound(f"no held import {held_id}")
    return held


@dataclass(frozen=True)
class HeldView:
    """A held file against the cable's current text."""

    row: HeldRow
    row_version: int
    current_version: int | None  # None: no cable by that reference id (any more)
    identical: bool
    hunks: tuple[Hunk, ...]
    text: str


def held_view(session: Session, actor: User, held_id: int) -> HeldView:
    """The held file ``held_id`` (see :func:`get_held`) and a word-level diff of the cable's
    current version (which ``actor`` is cleared for: the file's cable is) against it.

    The cable's text is shown, so its viewing is put on record (``cable.view``) as the
    cable page's is; the caller commits."""
    held = get_held(session, actor, held_id)
    names = _names(session, {held.held_by_id} if held.held_by_id else set())
    try:
        cable = get_visible_cable(session, actor, held.reference_id)
        version: CableVersion | None = get_visible_version(session, actor, cable)
    except NotFound:
        version = None  # no cable now: the file would be a new one
    else:
        record_view(session, actor, cable, version.number)
    old = version.text if version is not None else ""
    return HeldView(
        row=_row(held, names),
        row_version=held.row_version,
        current_version=version.number if version is not None else None,
        identical=version is not None and version.sha256 == held.sha256,
        hunks=diff_text(old, held.text),
        text=held.text,
    )


def _check_state(held: HeldImport, expected_row_version: int) -> None:
    # Messages name no cable: a refusal is put on record about the route only.
    if held.status != HeldStatus.HELD:
        raise IllegalTransition("this held import has already been decided")
    if held.row_version != expected_row_version:
        raise StaleVersion("this held import changed since the page was loaded; reload it")


def apply_held(
    session: Session, actor: User, held_id: int, *, expected_row_version: int, max_bytes: int
) -> HeldImport:
    """Import the held file ``held_id`` as ``actor``, through :func:`import_cable`, and mark
    it applied (audited ``held_import.apply``, with the outcome and version).

    Raises as :func:`get_held`, then ``IllegalTransition`` if it was decided already,
    ``StaleVersion`` if ``expected_row_version`` is not the row's, ``InvalidInput`` if the
    import fails (larger than ``max_bytes`` now...). The cable is locked first (PostgreSQL)
    and ``actor``'s clearance checked again under the lock, so a cable raised in between
    makes this a ``NotFound`` and never a second held copy. Flushes, never commits.
    """
    held = get_held(session, actor, held_id, lock=True)
    _check_state(held, expected_row_version)
    cable = session.scalars(
        select(Cable).where(Cable.reference_id == held.reference_id).with_for_update()
    ).one_or_none()
    if cable is not None and cable.level > actor.clearance:
        raise NotFound(f"no held import {held_id}")
    outcome = import_cable(
        session, actor, held.source_name, held.text.encode("utf-8"), max_bytes=max_bytes
    )
    if outcome.status is ImportStatus.FAILED:
        raise InvalidInput(outcome.error or "the held file could not be imported")
    held.status = HeldStatus.APPLIED
    held.decided_by_id = actor.id
    held.decided_at = utcnow()
    held.applied_version = outcome.version
    session.flush()
    audit.record(
        session,
        actor,
        "held_import.apply",
        ("held_import", held.id),
        {
            "reference_id": held.reference_id,
            "outcome": outcome.status.value,
            "version": outcome.version,
        },
    )
    return held


def discard_held(
    session: Session, actor: User, held_id: int, *, expected_row_version: int, reason: str
) -> HeldImport:
    """Drop the held file ``held_id``, with ``reason`` (required), as ``actor`` (audited
    ``held_import.discard`` with the reason). Raises as :func:`apply_held`; ``InvalidInput``
    for an empty or overlong reason. Flushes, never commits."""
    held = get_held(session, actor, held_id, lock=True)
    _check_state(held, expected_row_version)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("say why the held import is discarded")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"the reason is longer than {REASON_MAX} characters")
    held.status = HeldStatus.DISCARDED
    held.decided_by_id = actor.id
    held.decided_at = utcnow()
    held.decision_reason = reason
    session.flush()
    audit.record(
        session,
        actor,
        "held_import.discard",
        ("held_import", held.id),
        {"reference_id": held.reference_id, "reason": reason},
    )
    return held
