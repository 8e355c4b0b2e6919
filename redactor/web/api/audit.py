"""The audit record: read it, verify it."""
from __future__ import annotations

from flask import current_app, jsonify

from redactor import audit
from redactor import audit_log as audit_read  # not audit_log: the view below has that name
from redactor.errors import (
    NotPermitted,
)
from redactor.review.policy import can_read_audit
from redactor.web.api.common import (
    _FAULTS_SHOWN,
    AUDIT_PAGE_MAX,
    actor,
    api_bp,
    decode_cursor,
    encode_cursor,
    query_date,
    query_int,
    query_text,
)
from redactor.web.extensions import db_session

# --------------------------------------------------------------------------- audit


def _require_auditor() -> None:
    if not can_read_audit(actor().roles):
        raise NotPermitted("only auditors and administrators read the audit record")


@api_bp.get("/audit")
def audit_log():
    """The audit record, newest first; entries about cables above the caller's clearance do
    not exist for the caller (:mod:`redactor.audit_log`). Filters as on the auditor's page."""
    _require_auditor()
    session, user = db_session(), actor()
    criteria = audit_read.AuditFilter(
        actor=query_text("user", limit=64),
        action=query_text("action", limit=64),
        object_id=query_text("object", limit=64),
        since=query_date("since"),
        until=query_date("until"),
    )
    limit = query_int("limit", minimum=1, maximum=AUDIT_PAGE_MAX) or 50
    before = decode_cursor("audit")
    page = audit_read.page_entries(session, criteria, reader=user, before=before, limit=limit)
    entries = [audit_read.export_record(entry) for entry in page.entries]
    older = encode_cursor("audit", page.entries[-1].seq) if page.has_older else None
    head = audit.chain_head_summary(session)
    session.commit()
    return jsonify(items=entries, next_cursor=older, head=head)


@api_bp.post("/audit/verify")
def audit_verify():
    """Verify the chain against the instance's checkpoints; the check is itself audited."""
    _require_auditor()
    session = db_session()
    report = audit.verify_instance(
        session, session.info["audit_key"], current_app.config["INSTANCE"]
    )
    session.commit()  # end the reading transaction; the entry goes after the result
    audit.record(session, actor(), "audit.verify", ("audit", ""), report.as_dict())
    session.commit()
    faults = sorted(report.faults, key=lambda f: (f.seq is None, f.seq or 0))
    return jsonify(
        **report.as_dict(),
        summary=report.summary(),
        fault_list=[str(fault) for fault in faults[:_FAULTS_SHOWN]],
    )

