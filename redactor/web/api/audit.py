"""The audit record: read it, page by page, and verify it (auditors and administrators)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from redactor import audit
from redactor import audit_log as audit_read
from redactor.errors import NotPermitted
from redactor.review.policy import can_read_audit
from redactor.web.api.common import (
    Cursor,
    DateTime,
    Query,
    QueryDate,
    Reply,
    ShortText,
    actor,
    decode_cursor,
    encode_cursor,
    operation,
    query_int,
)
from redactor.web.audit_views import verify_recorded
from redactor.web.extensions import db_session

AUDIT_PAGE_MAX = 200
_FAULTS_SHOWN = 20
AuditPageSize = query_int(1, AUDIT_PAGE_MAX)


def _require_auditor() -> None:
    if not can_read_audit(actor().roles):
        raise NotPermitted("only auditors and administrators read the audit record")


class AuditQuery(Query):
    user: ShortText = Field("", description="Actor's username.")
    action: ShortText = Field("", description="Action name.")
    object: ShortText = Field("", description="Object id.")
    since: QueryDate | None = Field(None, description="On or after (YYYY-MM-DD, UTC).")
    until: QueryDate | None = Field(None, description="On or before (YYYY-MM-DD, UTC).")
    limit: AuditPageSize = Field(50, description="Size.")
    cursor: Cursor | None = None


class AuditEntryReply(Reply):
    seq: int
    at: DateTime
    actor_id: int | None
    actor_name: str
    action: str
    object_type: str
    object_id: str
    payload: dict[str, Any] | str = Field(description="The entry's JSON payload (entries about "
                                          "a cable above the reader's clearance are left out "
                                          "of the answer altogether).")
    cable_id: int | None = Field(description="The internal id of the cable the entry "
                                 "concerns, if any (covered by the entry's MAC).")
    client_addr: str
    prev_mac: str
    mac: str


class AuditHead(Reply):
    seq: int
    mac: str


class AuditPage(Reply):
    """Entries, newest first."""

    items: list[AuditEntryReply]
    next_cursor: str | None
    head: AuditHead


@operation("GET", "/audit", "The audit record, newest first (auditors and administrators)",
           query=AuditQuery, reply=AuditPage, errors=(403,), guard=_require_auditor,
           operation_id="listAudit")
def audit_log(args: AuditQuery) -> AuditPage:
    """The audit record, newest first; entries about cables above the caller's clearance do
    not exist for the caller (:mod:`redactor.audit_log`). Filters as on the auditor's page."""
    session, user = db_session(), actor()
    criteria = audit_read.AuditFilter(
        actor=args.user, action=args.action, object_id=args.object, since=args.since,
        until=args.until,
    )
    before = decode_cursor("audit", args.cursor)
    page = audit_read.page_entries(session, criteria, reader=user, before=before,
                                   limit=args.limit)
    older = encode_cursor("audit", page.entries[-1].seq) if page.has_older else None
    reply = AuditPage(
        items=[audit_read.export_record(entry) for entry in page.entries],
        next_cursor=older,
        head=audit.chain_head_summary(session),
    )
    session.commit()
    return reply


class VerifyReport(Reply):
    """The verification."""

    ok: bool
    count: int
    head_seq: int
    head_mac: str
    checkpoints: int
    faults: int
    first_fault: str | None
    summary: str
    fault_list: list[str]


@operation("POST", "/audit/verify",
           "Verify the audit chain and checkpoints (auditors, administrators)",
           reply=VerifyReport, errors=(403,), guard=_require_auditor,
           operation_id="verifyAudit")
def audit_verify() -> VerifyReport:
    """Verify the chain against the instance's checkpoints; the check is itself audited."""
    report, faults = verify_recorded(actor())
    return VerifyReport(**report.as_dict(), summary=report.summary(),
                        fault_list=faults[:_FAULTS_SHOWN])
