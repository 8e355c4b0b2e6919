"""References as links between the cables of the collection, behind the clearance filter.

A cable's REF items are stored with each version (:class:`~redactor.models.CableReference`),
each with the canonical reference id of the cable it cites (the parser's
``Reference.cable_id``); a cable carries the canonical id of its own text
(:attr:`~redactor.models.Cable.canonical_id`: its reference id, or for a section copy filed
as ``08ECTION01OF02MANAMA492`` the cable's ``08MANAMA492``). A reference and a cable meet on
those two ids.

**Clearance.** Every cable these functions name is one the actor may see
(:func:`~redactor.cables.access.visible_cables`). A reference to a cable above the actor's
clearance is given exactly as a reference to a cable the collection does not hold (no link:
``linked`` None), and a citing cable the actor may not see is neither listed in "referenced
by" nor counted; so nothing here tells whether a hidden cable exists.

**Section copies.** A section copy is imported as a cable of its own (its text is not the
cable's text: merging it would replace one section by another as a "new version"). Copies
of one cable share a canonical id, and :func:`same_cable` lists, for each, the others the
actor may see, so that neither page hides the other.

"Referenced by" counts the cables whose *current* version cites the cable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, insert, select
from sqlalchemy.orm import Session

from redactor.cables.access import visible_cables
from redactor.cables.parser import Cable as ParsedCable
from redactor.cables.stations import canonical_reference_id, section_copy
from redactor.models import Cable, CableReference, CableVersion, User

#: The longest id stored (the width of ``cables.reference_id``); a longer parsed id names
#: no cable of the collection anyway.
ID_MAX = 64
#: At most this many citing cables are listed on a page (all are counted).
REFERENCED_BY_LIMIT = 100


def _short(value: str | None) -> str | None:
    return value if value and len(value) <= ID_MAX else None


def canonical_of(parsed: ParsedCable, reference_id: str) -> str:
    """The canonical id to store for a cable whose current text is ``parsed``."""
    return _short(parsed.canonical_id) or reference_id


def store_references(session: Session, versions: Iterable[tuple[int, ParsedCable]]) -> None:
    """Write the REF items of newly stored versions (``(version id, parsed text)``), in
    order. One statement; flushes nothing else, never commits."""
    rows = [
        {"version_id": version_id, "position": i, "label": ref.label, "text": ref.text,
         "cited_id": _short(ref.cable_id)}
        for version_id, parsed in versions
        for i, ref in enumerate(parsed.references)
    ]
    if rows:
        session.execute(insert(CableReference), rows)


@dataclass(frozen=True)
class ReferenceLink:
    """One REF item of a version as a reader may be shown it.

    ``linked`` is the reference id of a cable of the collection the reader may open for the
    cited id, else None (not held, or hidden from the reader: the same answer).
    """

    label: str | None
    text: str
    cited_id: str | None
    linked: str | None


@dataclass(frozen=True)
class CableLink:
    """A cable the reader may see, named for a list: its id, subject, date and, for a
    section copy, ``(section, of)``."""

    reference_id: str
    subject: str
    created: datetime | None
    section: tuple[int, int] | None = None


def _resolve(session: Session, actor: User, cited: set[str], own_id: int) -> dict[str, str]:
    """For each cited canonical id, the visible cable to open: the one filed under that very
    id, else the first of its copies by reference id. The cable itself is never a target."""
    if not cited:
        return {}
    rows = session.execute(
        visible_cables(actor)
        .where(Cable.canonical_id.in_(cited), Cable.id != own_id)
        .with_only_columns(Cable.canonical_id, Cable.reference_id)
        .order_by(Cable.reference_id)
    ).all()
    found: dict[str, str] = {}
    for canonical, reference_id in rows:
        if canonical not in found or reference_id == canonical:
            found[canonical] = reference_id
    return found


def version_references(
    session: Session, actor: User, cable: Cable, version_id: int
) -> list[ReferenceLink]:
    """The REF items of the version ``version_id`` of ``cable`` (both already checked
    visible to ``actor``), each linked where the reader may open the cited cable."""
    refs = session.scalars(
        select(CableReference)
        .where(CableReference.version_id == version_id)
        .order_by(CableReference.position)
    ).all()
    found = _resolve(session, actor, {r.cited_id for r in refs if r.cited_id}, cable.id)
    return [
        ReferenceLink(r.label, r.text, r.cited_id, found.get(r.cited_id or ""))
        for r in refs
    ]


def _citing(actor: User, canonical: str, own_id: int):
    return (
        visible_cables(actor)
        .join(
            CableVersion,
            and_(CableVersion.cable_id == Cable.id, CableVersion.number == Cable.current_version),
        )
        .join(CableReference, CableReference.version_id == CableVersion.id)
        .where(CableReference.cited_id == canonical, Cable.id != own_id)
    )


def referenced_by(
    session: Session, actor: User, cable: Cable, *, limit: int = REFERENCED_BY_LIMIT
) -> tuple[list[CableLink], int]:
    """The cables ``actor`` may see whose current version cites ``cable`` (newest first, at
    most ``limit``), and how many there are: only visible ones are counted."""
    canonical = cable.canonical_id or cable.reference_id
    ids = _citing(actor, canonical, cable.id).with_only_columns(Cable.id).distinct()
    total = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    rows = session.execute(
        select(Cable.reference_id, Cable.subject, Cable.created)
        .where(Cable.id.in_(ids))
        .order_by(Cable.created.desc().nulls_last(), Cable.reference_id)
        .limit(limit)
    ).all()
    return [CableLink(*row) for row in rows], int(total)


@dataclass(frozen=True)
class SameCable:
    """What the collection holds of the cable a page shows, under other reference ids.

    ``canonical_id`` is the cable's canonical id; ``own_section`` is ``(section, of)`` when
    the page's cable is itself a section copy; ``filed_as_other`` is true when its reference
    id is not its canonical id (a section copy or a garbled id); ``canonical_linked`` is the
    reference id to open for the canonical cable itself when the reader may (else None);
    ``copies`` are the other copies the reader may see (the canonical cable excluded).
    """

    canonical_id: str
    own_section: tuple[int, int] | None
    filed_as_other: bool
    canonical_linked: str | None
    copies: tuple[CableLink, ...]


def _section(reference_id: str) -> tuple[int, int] | None:
    sec = section_copy(reference_id)
    return (sec[1], sec[2]) if sec else None


def same_cable(session: Session, actor: User, cable: Cable) -> SameCable | None:
    """The other copies of ``cable`` (already checked visible) that ``actor`` may see, or
    None when there is nothing to say (a cable filed under its own id, with no copy)."""
    canonical = cable.canonical_id or canonical_reference_id(cable.reference_id)
    canonical = canonical or cable.reference_id
    rows = session.execute(
        visible_cables(actor)
        .where(Cable.canonical_id == canonical, Cable.id != cable.id)
        .with_only_columns(Cable.reference_id, Cable.subject, Cable.created)
        .order_by(Cable.reference_id)
    ).all()
    linked = next((r[0] for r in rows if r[0] == canonical), None)
    copies = tuple(
        CableLink(ref, subject, created, _section(ref))
        for ref, subject, created in rows
        if ref != canonical
    )
    filed_as_other = cable.reference_id != canonical
    if not filed_as_other and not copies:
        return None
    return SameCable(canonical, _section(cable.reference_id), filed_as_other, linked, copies)
