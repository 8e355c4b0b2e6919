"""The models of the version pages: the history, an older version, the diff, the banner.

A services-layer module (SQLAlchemy, no Flask), beside :mod:`redactor.review.pages`: each
builder takes the session, the acting user and the cable the view loaded for them (through
:func:`redactor.cables.access.get_visible_cable`) and returns plain values. Every version it
shows passes :func:`redactor.cables.access.get_visible_version` (a version above the user's
clearance is a ``NotFound`` exactly like a number the cable never had), and a list of
versions holds only those the user is cleared for. A builder that shows text records the
view (``cable.view``) in the caller's transaction; none commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from redactor.cables.access import (
    get_visible_version,
    record_view,
    visible_versions,
)
from redactor.errors import InvalidInput
from redactor.models import (
    Cable,
    CableVersion,
    Portion,
    PortionReview,
    Redaction,
    User,
)
from redactor.release import service as releases
from redactor.review import carryover, pages
from redactor.review import service as review
from redactor.review.policy import Level, can_view


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.execute(
        select(User.id, User.username, User.display_name).where(User.id.in_(sorted(ids)))
    ) if ids else []
    return {uid: display or name for uid, name, display in rows}


def versions_model(session: Session, actor: User, cable: Cable) -> dict[str, Any]:
    """The version history of ``cable``: number, date, importer, level and source of each
    version ``actor`` is cleared for, newest first. Shows no text (nothing recorded)."""
    review.require_visible(actor, cable)
    shown = visible_versions(session, actor, cable)
    names = _names(session, {v.imported_by_id for v in shown if v.imported_by_id})
    rows = [
        {
            "number": v.number,
            "when": v.imported_at.strftime("%Y-%m-%d %H:%M") if v.imported_at else "",
            "importer": names.get(v.imported_by_id, "?") if v.imported_by_id else "system",
            "level": Level(v.level).name.replace("_", " "),
            "level_class": Level(v.level).name.lower(),
            "source": v.source_name,
            "current": v.number == cable.current_version,
        }
        for v in reversed(shown)
    ]
    return {"cable": pages._row(cable), "versions": rows}


def version_model(session: Session, actor: User, cable: Cable, number: int) -> dict[str, Any]:
    """Version ``number`` of ``cable`` read-only: its portions with their text, reviewed
    marks and redactions (status, codes, proposer). Raises ``NotFound`` for a version the
    cable does not have or one above ``actor``'s clearance. Records the view."""
    review.require_visible(actor, cable)
    version = get_visible_version(session, actor, cable, number)
    portions = session.scalars(
        select(Portion).where(Portion.version_id == version.id).order_by(Portion.index)
    ).all()
    marks = dict(
        session.execute(
            select(PortionReview.portion_index, PortionReview.reviewer_id).where(
                PortionReview.version_id == version.id
            )
        ).all()
    )
    redactions = session.scalars(
        select(Redaction).where(Redaction.version_id == version.id).order_by(Redaction.start)
    ).all()
    names = _names(session, set(marks.values()) | {r.proposer_id for r in redactions})
    by_portion: dict[int | None, list[dict[str, Any]]] = {}
    for r in redactions:
        by_portion.setdefault(r.portion_index, []).append(
            {
                "id": r.id,
                "status": str(r.status),
                "label": " ".join(r.codes),
                "text": version.text[r.start : r.end],
                "proposer": names.get(r.proposer_id, "?"),
            }
        )
    record_view(session, actor, cable, version.number)
    return {
        "cable": pages._row(cable),
        "version": version.number,
        "current_version": cable.current_version,
        "level": Level(version.level).name.replace("_", " "),
        "header_text": version.text[: portions[0].start] if portions else version.text,
        "header_redactions": by_portion.get(None, []),
        "portions": [
            {
                "anchor": f"portion-{p.index}",
                "title": pages.portion_title(p.kind, p.number),
                "marking": p.marking,
                "level_class": f"mark-{(p.level or 'none').lower()}",
                "text": version.text[p.start : p.end],
                "reviewed_by": names.get(marks[p.index], "?") if p.index in marks else None,
                "redactions": by_portion.get(p.index, []),
            }
            for p in portions
        ],
    }


def diff_model(
    session: Session,
    actor: User,
    cable: Cable,
    *,
    from_version: int | None,
    to_version: int | None,
    approvals_required: int,
) -> dict[str, Any]:
    """The diff page: version ``from_version`` against ``to_version`` when both are given,
    else the current version against its releasable form. Every version shown must be
    visible to ``actor`` (``NotFound`` otherwise, as for an unknown number); ``InvalidInput``
    when only one of the two is given. Records the view of each version shown."""
    review.require_visible(actor, cable)
    if (from_version is None) != (to_version is None):
        raise InvalidInput("choose both versions to compare, or neither")
    wanted = (from_version, to_version) if from_version is not None else (None,)
    for number in wanted:
        get_visible_version(session, actor, cable, number)
    mode, left, right, result = releases.diff_cable(
        session, cable, from_version=from_version, to_version=to_version,
        approvals_required=approvals_required,
    )
    for number in sorted({left, right}):
        record_view(session, actor, cable, number)
    return {
        "cable": pages._row(cable),
        "mode": mode,
        "left": left,
        "right": right,
        "portions": result,
        "versions": [v.number for v in visible_versions(session, actor, cable)],
        "current_version": cable.current_version,
    }


def banner_model(session: Session, actor: User, cable: Cable) -> dict[str, Any] | None:
    """What the cable page's banner says of its current version, when it took work over
    from the version before it: the counts carried, what was left behind (with who may
    resolve it) and the portions that changed. None when nothing was carried over.

    The caller has shown the current version to ``actor``; the banner names the previous
    version only when ``actor`` is cleared for it (no link otherwise)."""
    review.require_visible(actor, cable)
    # Ids, numbers and levels only: the page reads no version text twice (its cache has it).
    version = session.execute(
        select(CableVersion.id, CableVersion.number).where(
            CableVersion.cable_id == cable.id, CableVersion.number == cable.current_version
        )
    ).one()
    items = carryover.items_for(session, version.id)
    if not items:
        return None
    previous = session.execute(
        select(CableVersion.number, CableVersion.level).where(
            CableVersion.id == items[0].from_version_id
        )
    ).one_or_none()
    olds = {
        r.id: r
        for r in session.scalars(
            select(Redaction).where(
                Redaction.id.in_([i.old_redaction_id for i in items if i.old_redaction_id])
            )
        )
    }
    names = _names(session, {i.resolved_by_id for i in items if i.resolved_by_id})
    shown_previous = (
        previous is not None and bool(actor.active) and can_view(actor.clearance, previous.level)
    )
    carried = [i for i in items if i.kind == "redaction" and not i.needs_look]
    left = []
    for i in items:
        if not i.needs_look:
            continue
        old = olds.get(i.old_redaction_id)
        left.append(
            {
                "id": i.id,
                "where": "header" if i.old_portion_index is None
                else f"portion {i.old_portion_index + 1}",
                # Of a version above the reader's clearance, not even the codes.
                "label": " ".join(old.codes) if old and shown_previous else "",
                "status": str(old.status) if old else "",
                "reason": i.reason,
                "resolved_by": names.get(i.resolved_by_id) if i.resolved_by_id else None,
                "may_resolve": i.resolved_at is None
                and carryover.may_resolve(actor, old.proposer_id if old else None),
            }
        )
    new_portions = session.scalars(
        select(Portion).where(Portion.version_id == version.id).order_by(Portion.index)
    ).all()
    kept = {i.new_portion_index for i in items if i.kind == "review"}
    return {
        "from_version": previous.number if shown_previous else None,
        "version": version.number,
        "carried_redactions": len(carried),
        "carried_reviews": sum(1 for i in items if i.kind == "review"),
        "left": left,
        "unresolved": sum(1 for item in left if item["resolved_by"] is None),
        "to_review": [pages.portion_title(p.kind, p.number) for p in new_portions
                      if p.index not in kept],
    }
