"""The auditor's pages: the log with filters, "verify now", and CSV / JSON Lines export.

Auditors and admins only (others 403). Entries about a cable above the reader's clearance
(about it, or its redactions, decisions, comments, releases) do not exist for the reader: not
in the pages, the filters, the action menu or the export (:mod:`redactor.audit_log`), as the
cable itself exists nowhere else for them. Verifying and exporting are audited
(``audit.verify``, ``audit.export``) and therefore POST with a CSRF token, never GET; each
entry is written after the work is done, so a verification never reads its own entry.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import IO, Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_login import current_user

from redactor import audit, audit_log
from redactor.models import MAX_ID, AuditEntry, User
from redactor.review.policy import Role
from redactor.web.auth import role_required
from redactor.web.extensions import db_session

audit_bp = Blueprint("audit", __name__, url_prefix="/audit")

PAGE_SIZE = 50
_FILTER_FIELDS = ("user", "action", "object", "since", "until")
_MEDIA_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
# Where an entry's object has a page of its own: object type -> candidate endpoints.
_OBJECT_PAGES = {"cable": ("cables.detail", "cables.show_cable")}
_FAULTS_SHOWN = 20


def _actor() -> User:
    return current_user._get_current_object()


def _parse_date(raw: str, label: str, errors: list[str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.append(f"{label}: not a date (YYYY-MM-DD); ignored.")
        return None


def _criteria(args: Any) -> tuple[audit_log.AuditFilter, list[str]]:
    """Filters from request arguments; malformed dates are reported and ignored."""
    errors: list[str] = []
    criteria = audit_log.AuditFilter(
        actor=args.get("user", "").strip()[:64],
        action=args.get("action", "").strip()[:64],
        object_id=args.get("object", "").strip()[:64],
        since=_parse_date(args.get("since", "").strip(), "From", errors),
        until=_parse_date(args.get("until", "").strip(), "To", errors),
    )
    return criteria, errors


def _filter_args(args: Any) -> dict[str, str]:
    return {name: args[name] for name in _FILTER_FIELDS if args.get(name, "").strip()}


def _seq_arg(name: str) -> int | None:
    try:
        value = int(request.args.get(name, ""))
    except ValueError:
        return None
    # seq is an INTEGER column: a larger number is no position PostgreSQL can compare.
    return value if 0 <= value <= MAX_ID else None


def _when(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite hands back naive times; every stored time is UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _object_url(entry: AuditEntry, references: dict[str, str]) -> str | None:
    if entry.object_type == "user" and entry.object_id.isdigit() and _actor().has_role(Role.ADMIN):
        return url_for("admin.edit_user", user_id=int(entry.object_id))
    for endpoint in _OBJECT_PAGES.get(entry.object_type, ()):
        if endpoint in current_app.view_functions:
            reference = references.get(entry.object_id, entry.object_id)
            return url_for(endpoint, reference_id=reference)
    return None


def _row(entry: AuditEntry, references: dict[str, str]) -> dict:
    label = entry.object_id
    if entry.object_type == "cable" and entry.object_id in references:
        label = references[entry.object_id]
    return {
        "seq": entry.seq,
        "at": _when(entry.at),
        "actor": entry.actor_name or "(system)",
        "action": entry.action,
        "object_type": entry.object_type,
        "object": label,
        "url": _object_url(entry, references),
        "payload": entry.payload,
        "client_addr": entry.client_addr,
        "mac": entry.mac[:12],
    }


@audit_bp.route("/", methods=["GET"])
@role_required(Role.AUDITOR, Role.ADMIN)
def log() -> Any:
    """The log, newest first, filtered, ``PAGE_SIZE`` entries a page (keyset paging)."""
    session = db_session()
    criteria, errors = _criteria(request.args)
    page = audit_log.page_entries(
        session,
        criteria,
        reader=_actor(),
        before=_seq_arg("before"),
        after=_seq_arg("after"),
        limit=PAGE_SIZE,
    )
    references = audit_log.cable_reference_ids(
        session, (e.object_id for e in page.entries if e.object_type == "cable")
    )
    kept = _filter_args(request.args)
    return render_template(
        "audit/log.html",
        rows=[_row(entry, references) for entry in page.entries],
        errors=errors,
        filters={name: request.args.get(name, "") for name in _FILTER_FIELDS},
        kept=kept,
        actions=audit_log.distinct_actions(session, _actor()),
        head=audit.chain_head_summary(session),
        newer_url=url_for("audit.log", after=page.entries[0].seq, **kept)
        if page.has_newer
        else None,
        older_url=url_for("audit.log", before=page.entries[-1].seq, **kept)
        if page.has_older
        else None,
        newest_url=url_for("audit.log", **kept),
    )


def verify_recorded(actor: User) -> tuple[audit.VerifyReport, list[str]]:
    """Verify the chain against the instance's checkpoints and put the check on record (an
    ``audit.verify`` entry, after the result, committed); the report and its faults, in
    order. The auditor's page and the API alike."""
    session = db_session()
    report = audit.verify_instance(
        session, session.info["audit_key"], current_app.config["INSTANCE"]
    )
    session.commit()  # end the reading transaction; the entry goes after the result
    audit.record(session, actor, "audit.verify", ("audit", ""), report.as_dict())
    session.commit()
    faults = sorted(report.faults, key=lambda f: (f.seq is None, f.seq or 0))
    return report, [str(fault) for fault in faults]


@audit_bp.route("/verify", methods=["POST"])
@role_required(Role.AUDITOR, Role.ADMIN)
def verify_now() -> Any:
    """Verify the chain against the instance's checkpoints, record that, show the result."""
    report, faults = verify_recorded(_actor())
    return render_template(
        "audit/verify.html",
        report=report,
        faults=faults[:_FAULTS_SHOWN],
        more=len(faults) + report.more_faults - _FAULTS_SHOWN,
        checked_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
    )


@audit_bp.route("/export", methods=["POST"])
@role_required(Role.AUDITOR, Role.ADMIN)
def export() -> Any:
    """The filtered log, oldest first, as a CSV or JSON Lines download; audited."""
    fmt = request.form.get("format", "")
    if fmt not in audit_log.EXPORT_WRITERS:
        return render_template(
            "errors/error.html", status=422, title="Invalid input", message="Unknown format."
        ), 422
    session = db_session()
    criteria, _errors = _criteria(request.form)
    query = audit_log.select_entries(criteria, _actor()).order_by(AuditEntry.seq)
    records = map(audit_log.export_record, audit_log.iter_entries(session, query))

    # Spooled to a temporary file, not memory: the whole log may be asked for.
    buffer = tempfile.TemporaryFile()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    count = audit_log.EXPORT_WRITERS[fmt](records, text)
    text.flush()
    text.detach()
    buffer.seek(0)
    session.commit()
    filters = _filter_args(request.form)
    audit.record(
        session,
        _actor(),
        "audit.export",
        ("audit", ""),
        {"format": fmt, "count": count, "filters": filters},
    )
    session.commit()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        _drain(buffer),
        mimetype=_MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f"attachment; filename=audit-log-{stamp}.{fmt}"},
    )


def _drain(handle: IO[bytes]) -> Iterator[bytes]:
    # The file is closed when the body has been sent, or when the server closes the response.
    try:
        while chunk := handle.read(64 * 1024):
            yield chunk
    finally:
        handle.close()
