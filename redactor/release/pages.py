"""What the release pages show: readiness, the ready queue, releases and their files, cases.

Services layer (SQLAlchemy, no Flask); nothing here writes. Every query runs behind
:func:`redactor.cables.access.visible_cables`, so a release of a cable above the user's
clearance is in no list, count, case or package of theirs: a case holding one shows the
others only, exactly as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, load_only

from redactor.cables.access import visible_cables
from redactor.errors import InvalidInput
from redactor.models import (
    Cable,
    CableStatus,
    CableVersion,
    Portion,
    PortionReview,
    Redaction,
    Release,
    User,
)
from redactor.release.plan import is_ready
from redactor.release.render import CASE_NUMBER_RE, Disposition
from redactor.review import service as review
from redactor.review.policy import Role, can_release

#: Rows of a page of the releases list.
RELEASES_PAGE_ROWS = 100
DISPOSITIONS = (Disposition.FULL.value, Disposition.PART.value, Disposition.DENIED.value)


@dataclass(frozen=True)
class Readiness:
    """Whether the user may release the cable now, and if not, why, in plain words."""

    may_release: bool
    reason: str
    is_authority: bool


def readiness(
    session: Session, actor: User, cable: Cable, *, approvals_required: int = 1
) -> Readiness:
    """The Release button's state for ``actor`` on ``cable`` (already visible to them)."""
    authority = can_release(actor.roles)
    # Only the version's id is needed: its text stays unread (the review page reads it once).
    version = session.scalars(
        select(CableVersion)
        .options(load_only(CableVersion.id, CableVersion.number))
        .where(CableVersion.cable_id == cable.id, CableVersion.number == cable.current_version)
    ).one()
    status = CableStatus(cable.status)
    if status == CableStatus.RELEASED:
        return Readiness(False, "This cable has been released; its files are listed below.",
                         authority)
    outstanding = review.outstanding_redactions(
        session, version, approvals_required=approvals_required
    )
    if outstanding:
        count = len(outstanding)
        return Readiness(
            False,
            f"Not ready to release: {count} proposal{'' if count == 1 else 's'} still "
            "await a decision.",
            authority,
        )
    if not is_ready(session, cable, version):
        total = session.scalar(
            select(func.count()).select_from(Portion).where(Portion.version_id == version.id)
        ) or 0
        done = session.scalar(
            select(func.count(func.distinct(PortionReview.portion_index))).where(
                PortionReview.version_id == version.id
            )
        ) or 0
        if not total:
            return Readiness(
                False,
                "Not ready to release: no portions were found, so the whole text (header "
                "and lines) is still to be marked reviewed.",
                authority,
            )
        left = max(total - done, 0)
        return Readiness(
            False,
            f"Not ready to release: {left} of {total} portion{'' if total == 1 else 's'} "
            "still to be marked reviewed.",
            authority,
        )
    if not authority:
        return Readiness(False, "Ready to release: a release authority releases it.", False)
    return Readiness(True, "Ready to release.", True)


def ready_queue(session: Session, actor: User, *, limit: int = 25) -> list[dict[str, Any]]:
    """The cables ready to release that ``actor`` can see (empty unless a release
    authority), oldest change first is not known here: newest id first."""
    if Role.RELEASE_AUTHORITY not in actor.roles:
        return []
    rows = session.scalars(
        visible_cables(actor)
        .where(Cable.status == CableStatus.READY)
        .order_by(Cable.id.desc())
        .limit(limit)
    ).all()
    approved = dict(
        session.execute(
            select(Redaction.cable_id, func.count())
            .where(Redaction.cable_id.in_([c.id for c in rows]))
            .group_by(Redaction.cable_id)
        ).all()
    ) if rows else {}
    return [
        {
            "reference_id": c.reference_id,
            "subject": c.subject or "",
            "classification": str(c.level.name if hasattr(c.level, "name") else c.level),
            "proposals": approved.get(c.id, 0),
        }
        for c in rows
    ]


def release_row(release: Release, reference_id: str) -> dict[str, Any]:
    """One release as the pages list it (its files are linked by id)."""
    record = release.record or {}
    return {
        "id": release.id,
        "reference_id": reference_id,
        "case_number": release.case_number,
        "doc_number": release.doc_number,
        "disposition": record.get("disposition") or release.disposition,
        "stamp": release.disposition,
        "denied": record.get("disposition") == Disposition.DENIED.value,
        "release_date": record.get("release_date") or "",
        "released_at": release.released_at.strftime("%Y-%m-%d %H:%M")
        if release.released_at else "",
        "pages": record.get("pages"),
    }


def reference_of(session: Session, release: Release) -> str:
    """The reference id of ``release``'s cable (the caller checked the user may see it)."""
    cable = session.get(Cable, release.cable_id)
    return cable.reference_id if cable is not None else ""


def releases_of_cable(session: Session, cable: Cable) -> list[dict[str, Any]]:
    """Every release of ``cable`` (the caller checked the user may see it), newest first."""
    rows = session.scalars(
        select(Release).where(Release.cable_id == cable.id).order_by(Release.id.desc())
    )
    return [release_row(r, cable.reference_id) for r in rows]


def recent_releases(session: Session, actor: User, *, limit: int = 10) -> list[dict[str, Any]]:
    """The newest releases of cables ``actor`` can see."""
    return list_releases(session, actor, ReleaseFilters(), limit=limit)


@dataclass(frozen=True)
class ReleaseFilters:
    """The filters of the releases page: case number, release dates, disposition."""

    case: str = ""
    date_from: date | None = None
    date_to: date | None = None
    disposition: str = ""

    @classmethod
    def from_args(cls, args: Any) -> ReleaseFilters:
        """From query arguments; raises ``InvalidInput`` with a clear message."""
        case = (args.get("case") or "").strip()[:20]
        if case and not CASE_NUMBER_RE.fullmatch(case):
            raise InvalidInput("a case number is written F-YYYY-NNNNN")
        disposition = (args.get("disposition") or "").strip()
        if disposition and disposition not in DISPOSITIONS:
            raise InvalidInput(f"the disposition must be one of: {', '.join(DISPOSITIONS)}")
        return cls(case, _date(args.get("from")), _date(args.get("to")), disposition)

    def as_args(self) -> dict[str, str]:
        return {
            "case": self.case,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "disposition": self.disposition,
        }


def _date(value: object) -> date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"the date {text[:20]!r} must be written YYYY-MM-DD") from None


def list_releases(
    session: Session, actor: User, filters: ReleaseFilters, *, limit: int = RELEASES_PAGE_ROWS
) -> list[dict[str, Any]]:
    """The releases of cables ``actor`` can see, filtered, newest first (by case and
    document number within a case filter, so a case reads in document order)."""
    visible = visible_cables(actor).with_only_columns(Cable.id)
    query = (
        select(Release, Cable.reference_id)
        .join(Cable, Cable.id == Release.cable_id)
        .where(Release.cable_id.in_(visible))
    )
    if filters.case:
        query = query.where(Release.case_number == filters.case)
    if filters.date_from:
        start = datetime.combine(filters.date_from, time.min)
        query = query.where(Release.released_at >= start)
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time.min)
        query = query.where(Release.released_at < end)
    if filters.disposition == Disposition.PART.value:
        query = query.where(Release.disposition.like(f"{Disposition.PART.value}%"))
    elif filters.disposition:
        query = query.where(Release.disposition == filters.disposition)
    if filters.case:
        query = query.order_by(Release.doc_number)
    else:
        query = query.order_by(Release.released_at.desc(), Release.id.desc())
    return [release_row(r, ref) for r, ref in session.execute(query.limit(limit))]


def case_release_ids(session: Session, actor: User, case_number: str) -> list[int]:
    """The ids of the releases of case ``case_number`` that ``actor`` can see (in document
    order): a release above their clearance is left out, never named. Raises
    ``InvalidInput`` for a malformed number or a case with no release they can see."""
    if not CASE_NUMBER_RE.fullmatch(case_number or ""):
        raise InvalidInput("a case number is written F-YYYY-NNNNN")
    visible = visible_cables(actor).with_only_columns(Cable.id)
    ids = list(
        session.scalars(
            select(Release.id)
            .where(Release.case_number == case_number, Release.cable_id.in_(visible))
            .order_by(Release.doc_number)
        )
    )
    if not ids:
        raise InvalidInput(f"there is no case {case_number} among the releases you can see")
    return ids


def visible_cases(session: Session, actor: User, *, limit: int = 50) -> list[str]:
    """Case numbers holding a release ``actor`` can see, newest first (to choose from)."""
    visible = visible_cables(actor).with_only_columns(Cable.id)
    rows = session.execute(
        select(Release.case_number, func.max(Release.id).label("newest"))
        .where(Release.cable_id.in_(visible))
        .group_by(Release.case_number)
        .order_by(func.max(Release.id).desc())
        .limit(limit)
    )
    return [case for case, _ in rows]
