"""Release numbers and dates: case numbers ``F-YYYY-NNNNN``, document numbers ``C`` + 8
digits, and the range a release date must lie in.

Services layer (SQLAlchemy, no Flask); nothing here writes. The caller holds the numbering
lock (:func:`lock_numbering`) from choosing a number until the release row is flushed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from redactor.errors import InvalidInput
from redactor.models import Cable, Release

_PG_NUMBERING_LOCK = 0x5245_4C53  # "RELS"


def lock_numbering(session: Session) -> None:
    """Serialise numbering: a transaction-scoped advisory lock on PostgreSQL (SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_NUMBERING_LOCK})


def next_case_number(session: Session, year: int) -> str:
    """The next automatic case number of ``year``: ``F-<year>-NNNNN`` with the lowest number
    that no release of the year uses yet. Raises ``InvalidInput`` when every number of the
    year is used.

    The lowest free number, not one after the highest used: a case number typed by hand
    (``F-2026-99999``) is then simply skipped when automatic numbering reaches it, and never
    moves or exhausts the automatic sequence. Releases are never deleted, so the numbers
    handed out automatically still rise.
    """
    prefix = f"F-{year:04d}-"
    used = {
        int(value[len(prefix) :])
        for value in session.scalars(
            select(Release.case_number).where(Release.case_number.like(f"{prefix}%")).distinct()
        )
        if value[len(prefix) :].isdigit()
    }
    number = next((n for n in range(1, 100_000) if n not in used), None)
    if number is None:
        raise InvalidInput(f"no case numbers left in {year}")
    return f"{prefix}{number:05d}"


def next_doc_number(session: Session) -> str:
    """The next free document number, ``C`` + 8 digits."""
    highest = session.scalar(
        select(func.max(Release.doc_number)).where(Release.doc_number.like("C%"))
    )
    number = int(highest[1:]) + 1 if highest else 1
    if number > 99_999_999:
        raise InvalidInput("no document numbers left")
    return f"C{number:08d}"


#: The earliest release date accepted, whatever the cable's own date.
EARLIEST_RELEASE_DATE = date(1900, 1, 1)
#: How far ahead of today (UTC) a release date may lie: a release authority east of UTC
#: may already be on the next day.
RELEASE_DATE_MARGIN = timedelta(days=1)


def check_release_date(release_date: object, cable: Cable, *, today: date | None = None) -> date:
    """``release_date`` (today, UTC, when None) if it is a sane date for a release of
    ``cable``: not before the cable's own date (nor before 1900) and not after today plus
    :data:`RELEASE_DATE_MARGIN`. Raises ``InvalidInput`` with the accepted range otherwise
    (year 1 or 9999 is a typing slip, and it would be printed on every page)."""
    today = today or datetime.now(UTC).date()
    if release_date is None:
        return today
    if not isinstance(release_date, date) or isinstance(release_date, datetime):
        raise InvalidInput("the release date must be a date")
    earliest = EARLIEST_RELEASE_DATE
    if cable.created is not None and cable.created.date() > earliest:
        earliest = cable.created.date()
    latest = today + RELEASE_DATE_MARGIN
    if not earliest <= release_date <= latest:
        raise InvalidInput(
            f"the release date {release_date.isoformat()} is out of range: it must lie "
            f"between {earliest.isoformat()} (the cable's own date, or 1900) and "
            f"{latest.isoformat()}"
        )
    return release_date
