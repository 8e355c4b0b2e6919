"""Reading the audit log as a given reader may see it: filters, pages, export (split from
:mod:`redactor.audit`).

Clearance applies to the log as to everything else: an entry that concerns a cable (directly,
or through a redaction, decision, comment, release or version; ``AuditEntry.cable_id``) exists
for a reader only if the reader is cleared for that cable. Such entries are left out in SQL,
of pages, filters, the action menu and exports alike, so that no count, page boundary or
"no entries match" tells a reader about a cable they may not see. A refused request for
something that was not found (``access.not_found``) names what was asked for; when that is no
cable at all, only readers cleared at the highest level see it, since for anyone else "no such
cable" and "a cable above your clearance" must look the same.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any

from sqlalchemy import ColumnElement, Select, and_, exists, not_, or_, select, true
from sqlalchemy.orm import Session

from redactor.audit import _STREAM_BATCH, _iso, canonical_json
from redactor.models import (
    AuditEntry,
    Cable,
    DeclassificationRequest,
    DeclassificationStatus,
    User,
)
from redactor.review.policy import Level

#: Columns of the audit export, in order (CSV header, JSON Lines keys).
EXPORT_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "payload",
    "client_addr",
    "cable_id",
    "prev_mac",
    "mac",
)

#: The action of a refused request whose object was not found (see :mod:`redactor.web.refusals`).
NOT_FOUND_ACTION = "access.not_found"


def visible_to(reader: User | None) -> ColumnElement[bool]:
    """The condition an entry meets when ``reader`` may see it (None: everything, for the
    command line, which runs with the database's own rights).

    Entries about no cable are visible; entries about a cable only if it is at or below the
    reader's clearance (an entry naming a cable that no longer exists is hidden: fail
    closed) and, if the cable was declassified since the entry, at or below the level it
    had before (:mod:`redactor.cables.declassify`); a not-found refusal about no cable only
    at the highest clearance.
    """
    if reader is None:
        return true()
    cleared = select(Cable.id).where(Cable.level <= reader.clearance)
    concerning = or_(AuditEntry.cable_id.is_(None), AuditEntry.cable_id.in_(cleared))
    # A declassification lowers a cable from its approval on: what was recorded about the
    # cable before it (older versions' redactions, offsets, reasons) stays at the old level.
    before_lowered = select(DeclassificationRequest.id).where(
        DeclassificationRequest.cable_id == AuditEntry.cable_id,
        DeclassificationRequest.status == DeclassificationStatus.APPROVED,
        DeclassificationRequest.from_level > reader.clearance,
        DeclassificationRequest.approved_seq > AuditEntry.seq,
    )
    concerning = and_(concerning, not_(exists(before_lowered)))
    if reader.clearance >= max(Level):
        return concerning
    unresolved = and_(AuditEntry.action == NOT_FOUND_ACTION, AuditEntry.cable_id.is_(None))
    return and_(concerning, not_(unresolved))


@dataclass(frozen=True)
class AuditFilter:
    """What an auditor narrows the log to; every field optional. Dates are inclusive, UTC."""

    actor: str = ""
    action: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None
    cable_entries: bool = True  # False: leave out every entry about a cable


def select_entries(criteria: AuditFilter, reader: User | None = None) -> Select[tuple[AuditEntry]]:
    """A SELECT of the entries matching ``criteria`` that ``reader`` may see (see
    :func:`visible_to`), unordered (add order and limits).

    ``object_id`` matches the stored object id, and when it is a cable's reference id, every
    entry concerning that cable (its redactions, decisions, releases...).
    """
    query = select(AuditEntry).where(visible_to(reader))
    if criteria.actor:
        query = query.where(AuditEntry.actor_name == criteria.actor)
    if criteria.action:
        query = query.where(AuditEntry.action == criteria.action)
    if criteria.object_id:
        by_reference = (
            select(Cable.id).where(Cable.reference_id == criteria.object_id).scalar_subquery()
        )
        query = query.where(
            or_(AuditEntry.object_id == criteria.object_id, AuditEntry.cable_id == by_reference)
        )
    if not criteria.cable_entries:
        query = query.where(AuditEntry.cable_id.is_(None), AuditEntry.object_type != "cable")
    if criteria.since is not None:
        query = query.where(AuditEntry.at >= datetime.combine(criteria.since, time(), UTC))
    if criteria.until is not None:
        end = datetime.combine(criteria.until + timedelta(days=1), time(), UTC)
        query = query.where(AuditEntry.at < end)
    return query


@dataclass(frozen=True)
class EntryPage:
    """One page of the log, newest first, and whether there is more on either side."""

    entries: tuple[AuditEntry, ...]
    has_newer: bool
    has_older: bool


def page_entries(
    session: Session,
    criteria: AuditFilter,
    *,
    reader: User | None = None,
    before: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> EntryPage:
    """Up to ``limit`` matching entries that ``reader`` may see, newest first: those below
    seq ``before`` (older), or above seq ``after`` (newer), or the newest ones. Keyset
    paging: every page costs the same however deep it is.
    """
    query = select_entries(criteria, reader)
    if after is not None:
        rows = list(
            session.scalars(
                query.where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(limit + 1)
            )
        )
        more_newer = len(rows) > limit
        entries = rows[:limit][::-1]
    else:
        if before is not None:
            query = query.where(AuditEntry.seq < before)
        rows = list(session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit + 1)))
        more_newer = False
        entries = rows[:limit]
    if not entries:
        return EntryPage((), False, False)

    def exists_beyond(condition: Any) -> bool:
        probe = select_entries(criteria, reader).where(condition)
        return session.scalar(probe.with_only_columns(AuditEntry.seq).limit(1)) is not None

    has_newer = more_newer or exists_beyond(AuditEntry.seq > entries[0].seq)
    has_older = (before is None and after is None and len(rows) > limit) or exists_beyond(
        AuditEntry.seq < entries[-1].seq
    )
    return EntryPage(tuple(entries), has_newer, has_older)


def distinct_actions(session: Session, reader: User | None = None) -> list[str]:
    """Every action name among the entries ``reader`` may see, sorted (for a filter menu)."""
    query = select(AuditEntry.action).where(visible_to(reader)).distinct()
    return list(session.scalars(query.order_by(AuditEntry.action)))


def cable_reference_ids(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """Row id (as text) to reference id, for the numeric ``ids`` that name a cable."""
    numbers = {int(value) for value in ids if value.isdigit() and len(value) < 10}
    if not numbers:
        return {}
    rows = session.execute(select(Cable.id, Cable.reference_id).where(Cable.id.in_(numbers)))
    return {str(row.id): row.reference_id for row in rows}


def export_record(entry: AuditEntry) -> dict[str, Any]:
    """One entry as an export row: every field, so the MACs can be rechecked from the file."""
    try:
        payload: Any = json.loads(entry.payload)
    except ValueError:
        payload = entry.payload
    return {
        "seq": entry.seq,
        "at": _iso(entry.at),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "payload": payload,
        "client_addr": entry.client_addr,
        "cable_id": entry.cable_id,
        "prev_mac": entry.prev_mac,
        "mac": entry.mac,
    }


def iter_entries(session: Session, query: Select | None = None) -> Iterator[AuditEntry]:
    """The entries of ``query`` (default: all, oldest first), streamed in batches."""
    if query is None:
        query = select(AuditEntry).order_by(AuditEntry.seq)
    # The session's identity map holds unmodified objects weakly, so streamed entries that
    # the caller drops are freed as it goes.
    result = session.execute(query.execution_options(yield_per=_STREAM_BATCH))
    try:
        for row in result:
            yield row[0]
    finally:
        result.close()


_SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
def csv_safe(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(_SPREADSHEET_TRIGGERS):
        return "'" + value
    return value


def write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write ``records`` as CSV with a header; formula-like cells neutralised. Returns rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_FIELDS)
    count = 0
    for item in records:
        cells = []
        for name in EXPORT_FIELDS:
            value = item[name]
            if name == "payload" and not isinstance(value, str):
                value = canonical_json(value)
            cells.append(csv_safe("" if value is None else value))
        writer.writerow(cells)
        count += 1
    return count


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write ``records`` as JSON Lines (one object per line). Returns the number of rows."""
    count = 0
    for item in records:
        out.write(canonical_json(item) + "\n")
        count += 1
    return count


EXPORT_WRITERS = {"csv": write_csv, "jsonl": write_jsonl}
