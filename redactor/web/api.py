"""The JSON API, version 1, under ``/api/v1/``: the same services as the browser, by token.

Authentication: ``Authorization: Bearer <secret>`` with a personal access token
(:mod:`redactor.accounts.tokens`), nothing else. The login cookie does **not** authenticate
here, so a page elsewhere cannot make a signed-in browser call the API (and the blueprint is
exempt from CSRF, which protects cookie-authenticated forms only). Only the OpenAPI
description (``/api/v1/openapi.json``) is public.

Every endpoint calls the services the browser calls, with the same clearance, role,
two-person, version and transition checks and the same audit entries; a cable above the
caller's clearance answers 404, as an unknown one does.

Errors have one shape, ``{"error": {"code": "...", "message": "..."}}``:
400 malformed request (not JSON, wrong types, missing or unknown fields, bad query
arguments), 401 no usable token, 403 role, 404 unknown or not visible, 409 stale version,
illegal transition or release refused by the gate, 413 too large, 422 content refused by a
service (span, codes, text). Bodies are checked by the small typed readers below rather than
by a schema library: what they accept is exactly what ``openapi.py`` describes.

Errors raised in these views are mapped by the blueprint's own handlers. Routing errors
(an unknown path, a wrong method) happen before any blueprint is chosen and are answered by
the app-wide handler with its older flat JSON shape; :func:`_nest_error_shape` rewrites
those for ``/api/v1/`` so that every answer of this API has the shape above.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import wraps
from typing import Any, NoReturn

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from redactor import audit
from redactor import audit_log as audit_read  # not audit_log: the view below has that name
from redactor.accounts.tokens import resolve_token
from redactor.cables import links
from redactor.cables.access import (
    get_visible_cable,
    get_visible_version,
    record_view,
    visible_versions,
)
from redactor.cables.search import MAX_LIMIT as SEARCH_MAX_LIMIT
from redactor.cables.search import SORTS, search_cables, split_tags
from redactor.cables.service import REFERENCE_ID_RE, import_cable
from redactor.errors import (
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    NotPermitted,
    StaleVersion,
)
from redactor.models import (
    MAX_ID,
    Cable,
    CableStatus,
    CableVersion,
    Portion,
    PortionReview,
    Redaction,
    Release,
    ReleaseArtifact,
    User,
)
from redactor.redaction import service as redactions
from redactor.release import service as releases
from redactor.review import service as review
from redactor.review.policy import Level, can_import, can_read_audit
from redactor.web.extensions import csrf, db_session
from redactor.web.refusals import record_refusal

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens, not cookies, authenticate this blueprint: there is no ambient credential
# for a cross-site request to ride on, so CSRF tokens have nothing to protect here.
csrf.exempt(api_bp)

#: Largest id any table holds (32-bit INTEGER on PostgreSQL); larger ids are simply unknown.
MAX_IMPORT_FILES = 1000
MAX_QUERY_LENGTH = 200
AUDIT_PAGE_MAX = 200
ARTIFACT_NAMES = tuple(kind for kind, _ in releases.ARTIFACT_KINDS)
_FAULTS_SHOWN = 20
_PUBLIC_ENDPOINTS = {"api.openapi_spec"}

#: HTTP status of each domain error; the most specific class first.
DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (NotPermitted, 403),
    (releases.ReleaseBlocked, 409),
    (IllegalTransition, 409),
    (StaleVersion, 409),
    (InvalidInput, 422),
)
_NOT_FOUND_MESSAGE = "There is nothing here, or you may not see it."


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """A request this API refuses before any service is called: ``status``, ``code``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one error shape of this API."""
    return {"error": {"code": code, "message": message}}


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    response = jsonify(error_body(code, message))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def malformed(message: str) -> NoReturn:
    """Refuse a malformed request (400)."""
    raise ApiError(400, "bad_request", message)


@api_bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="redactor"'
    return _error(exc.status, exc.code, exc.message, headers)


@api_bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    for cls, status in DOMAIN_STATUS:
        if isinstance(exc, cls):
            record_refusal(status, exc.code, str(exc))  # 403/404/409 go on the record
            # Never say why something was not found: "above your clearance" is a disclosure.
            message = _NOT_FOUND_MESSAGE if status == 404 else (str(exc) or exc.code)
            return _error(status, exc.code, message)
    return _error(400, exc.code, str(exc) or "bad request")


@api_bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException):
    status = exc.code or 500
    code = (exc.name or "error").lower().replace(" ", "_")
    record_refusal(status, code, exc.description or "")
    if status == 413:
        message = "The request is larger than this server accepts."
    elif status == 404:
        message = _NOT_FOUND_MESSAGE
    else:
        message = exc.description or exc.name or "error"
    return _error(status, code, message)


@api_bp.after_app_request
def _nest_error_shape(response: Response) -> Response:
    # See the module docstring: routing errors under /api/v1/ reach the app-wide handler.
    if not request.path.startswith(api_bp.url_prefix + "/") or response.status_code < 400:
        return response
    if not response.is_json:
        return response
    body = response.get_json(silent=True)
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        message = body.get("message")
        response.set_data(
            json.dumps(error_body(body["error"], message if isinstance(message, str) else ""))
        )
    return response


# --------------------------------------------------------------------------- authentication


@api_bp.before_request
def _authenticate() -> None:
    """Resolve the bearer token into ``g.api_actor``; 401 without a usable one."""
    if request.endpoint in _PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthorized", "send a personal access token: Authorization: "
                       "Bearer <token>")
    session = db_session()
    user = resolve_token(session, secret.strip())
    # Commit the note of use now (a read-only request commits nothing else); this also ends
    # the read transaction, which on SQLite holds the write lock.
    session.commit()
    if user is None:
        raise ApiError(401, "invalid_token", "the token is unknown, revoked or expired")
    g.api_actor = user


def actor() -> User:
    """The user the request's token authenticates."""
    return g.api_actor


def _committing(view: Callable[..., Any]) -> Callable[..., Any]:
    """Commit the request's session after the view returns (not when it raises)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = view(*args, **kwargs)
        db_session().commit()
        return result

    return wrapped


# --------------------------------------------------------------------------- reading input


def body() -> dict[str, Any]:
    """The request body as a JSON object; ``{}`` for an empty body. 400 otherwise; 413 when
    it is larger than ``MAX_CONTENT_LENGTH`` (raised by Werkzeug while reading)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        malformed("the body is not valid JSON")
    if not isinstance(value, dict):
        malformed("the body must be a JSON object")
    return value


def only(data: dict[str, Any], *allowed: str) -> None:
    """400 for a field not in ``allowed`` (a misspelt ``"verison"`` must not pass silently)."""
    unknown = sorted(key for key in data if key not in allowed)
    if unknown:
        malformed(f"unknown field(s): {', '.join(unknown)[:200]}")


def _missing(key: str) -> NoReturn:
    malformed(f"the field {key!r} is required")


def int_field(data: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    """An integer field (not a bool, float or string); 400 when missing or of another type.
    Its range is for the service to judge (a span past the end is 422, a version 409)."""
    if key not in data or data[key] is None:
        if required:
            _missing(key)
        return None
    value = data[key]
    if type(value) is not int:
        malformed(f"the field {key!r} must be an integer")
    return value


def check_text(value: str, what: str) -> str:
    """``value`` if it can be stored: 422 for NUL or unpaired surrogates (JSON allows both;
    no database column does)."""
    if "\x00" in value or any(unicodedata.category(ch) == "Cs" for ch in value):
        raise InvalidInput(f"the {what} contains a NUL character or an unpaired surrogate")
    return value


def str_field(data: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    """A text field; 400 when missing or not a string, 422 when unstorable."""
    if key not in data or data[key] is None:
        if required:
            _missing(key)
        return None
    value = data[key]
    if not isinstance(value, str):
        malformed(f"the field {key!r} must be a string")
    return check_text(value, key)


def codes_field(data: dict[str, Any], key: str, *, required: bool = True) -> list[str] | None:
    """A list of strings; 400 when missing or of another shape."""
    if key not in data or data[key] is None:
        if required:
            _missing(key)
        return None
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        malformed(f"the field {key!r} must be an array of strings")
    if len(value) > 100:
        raise InvalidInput("at most 100 exemption codes")
    return [check_text(item, "exemption code") for item in value]


def query_text(name: str, *, limit: int = MAX_QUERY_LENGTH) -> str:
    """A query argument (stripped; ``""`` when absent); 400 when longer than ``limit`` or
    holding a control character."""
    value = request.args.get(name, "").strip()
    if len(value) > limit:
        malformed(f"the argument {name!r} is longer than {limit} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        malformed(f"the argument {name!r} contains a control character")
    return value


def query_int(name: str, *, minimum: int, maximum: int) -> int | None:
    """An integer query argument in ``[minimum, maximum]`` (None when absent); 400 otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not re.fullmatch(r"[0-9]{1,12}", raw):
        malformed(f"the argument {name!r} must be an integer")
    value = int(raw)
    if not minimum <= value <= maximum:
        malformed(f"the argument {name!r} must lie between {minimum} and {maximum}")
    return value


def query_date(name: str) -> date | None:
    """A ``YYYY-MM-DD`` query argument (None when absent); 400 otherwise."""
    raw = query_text(name, limit=10)
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        malformed(f"the argument {name!r} must be a date (YYYY-MM-DD)")
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        malformed(f"the argument {name!r} must be a date (YYYY-MM-DD)")
    if value >= date.max:  # an inclusive end is the next day's start: keep one in range
        malformed(f"the argument {name!r} lies too far in the future")
    return value


def encode_cursor(kind: str, value: int) -> str:
    """An opaque cursor: clients hand it back, never build it."""
    raw = json.dumps({"k": kind, "v": value}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str) -> int | None:
    """The position in the ``cursor`` argument (None when absent); 400 for a cursor this
    API did not make for this list."""
    raw = request.args.get("cursor", "")
    if not raw:
        return None
    try:
        if len(raw) > 100:
            raise ValueError
        decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        value = decoded["v"]
        if decoded["k"] != kind or type(value) is not int or not 0 <= value <= MAX_ID:
            raise ValueError
    except (ValueError, TypeError, KeyError, binascii.Error):
        malformed("the cursor is not one this list gave out")
    return value


# --------------------------------------------------------------------------- loading


def visible_cable(reference_id: str) -> Cable:
    """The cable the caller may see, or 404 (a malformed id is as unknown as any other)."""
    if not REFERENCE_ID_RE.fullmatch(reference_id):
        raise NotFound("no such cable")
    return get_visible_cable(db_session(), actor(), reference_id)


def load_redaction(redaction_id: int) -> Redaction:
    """Redaction ``redaction_id`` or 404; the service checks the caller's clearance."""
    redaction = db_session().get(Redaction, redaction_id) if redaction_id <= MAX_ID else None
    if redaction is None:
        raise NotFound("no such redaction")
    return redaction


def _approvals_required() -> int:
    return int(current_app.config.get("APPROVALS_REQUIRED") or 1)


# --------------------------------------------------------------------------- JSON views


def iso(moment: datetime | date | None) -> str | None:
    """ISO 8601; stored times are UTC (SQLite hands them back naive)."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    return moment.isoformat()


def user_json(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.id, "username": user.username}


def redaction_json(redaction: Redaction, reference_id: str, version: int) -> dict[str, Any]:
    valid = review.valid_approvals(redaction, list(redaction.decisions))
    return {
        "id": redaction.id,
        "reference_id": reference_id,
        "version": version,
        "portion_index": redaction.portion_index,
        "start": redaction.start,
        "end": redaction.end,
        "codes": list(redaction.codes),
        "rationale": redaction.rationale,
        "status": str(redaction.status),
        "revision": redaction.revision,
        "row_version": redaction.row_version,
        "proposer": user_json(redaction.proposer),
        "approvals": len(valid),
        "approvals_required": _approvals_required(),
        # "awaiting": approved, short of the approvals now required (still hidden).
        "effective_status": review.effective_status(redaction, _approvals_required()),
        "replaces_id": redaction.replaces_id,
        "withdraws": bool(redaction.withdraws),
        "decisions": [
            {
                "id": d.id,
                "kind": str(d.kind),
                "approver": user_json(d.approver),
                "reason": d.reason,
                "revision": d.revision,
                "void": bool(d.void),
                "created_at": iso(d.created_at),
            }
            for d in redaction.decisions
        ],
        "created_at": iso(redaction.created_at),
        "updated_at": iso(redaction.updated_at),
    }


def _redaction_reply(redaction: Redaction) -> dict[str, Any]:
    session = db_session()
    cable = session.get(Cable, redaction.cable_id)
    version = session.get(CableVersion, redaction.version_id)
    assert cable is not None and version is not None  # held by foreign keys
    return redaction_json(redaction, cable.reference_id, version.number)


def release_json(release: Release, reference_id: str) -> dict[str, Any]:
    session = db_session()
    version = session.get(CableVersion, release.version_id)
    artifacts = session.execute(
        select(
            ReleaseArtifact.name,
            ReleaseArtifact.media_type,
            ReleaseArtifact.sha256,
            ReleaseArtifact.size,
        )
        .where(ReleaseArtifact.release_id == release.id)
        .order_by(ReleaseArtifact.id)
    ).all()
    return {
        "id": release.id,
        "reference_id": reference_id,
        "version": version.number if version is not None else None,
        "case_number": release.case_number,
        "doc_number": release.doc_number,
        "disposition": release.disposition,
        "released_at": iso(release.released_at),
        "released_by": release.released_by_id,
        "audit_head": release.audit_head,
        "record": releases.manifest_record(release.record, names_staff=True),
        "artifacts": [
            {
                "name": row.name,
                "file_name": releases.file_name(release.doc_number, row.name),
                "media_type": row.media_type,
                "sha256": row.sha256,
                "size": row.size,
                "url": url_for("api.release_artifact", release_id=release.id, name=row.name),
            }
            for row in artifacts
        ],
    }


# --------------------------------------------------------------------------- cables


@api_bp.get("/cables")
def list_cables():
    """Cables the caller may see: full-text ``q``, filters, ``limit``, opaque ``cursor``."""
    level_name = query_text("level")
    if level_name and level_name not in Level.__members__:
        malformed("the argument 'level' must be one of " + ", ".join(Level.__members__))
    status = query_text("status")
    if status and status not in {s.value for s in CableStatus}:
        malformed("the argument 'status' must be one of " + ", ".join(s.value for s in CableStatus))
    sort = query_text("sort") or "relevance"
    if sort not in SORTS:
        malformed("the argument 'sort' must be one of " + ", ".join(SORTS))
    limit = query_int("limit", minimum=1, maximum=SEARCH_MAX_LIMIT) or 20
    offset = decode_cursor("cables") or 0
    page = search_cables(
        db_session(),
        actor(),
        query_text("q"),
        limit=limit,
        offset=offset,
        sort=sort,
        level=int(Level[level_name]) if level_name else None,
        origin=query_text("origin") or None,
        tags=query_text("tags") or None,
        created_from=query_date("created_from"),
        created_to=query_date("created_to"),
        status=status or None,
    )
    items = [
        {
            "reference_id": hit.reference_id,
            "classification": hit.classification,
            "level": Level(hit.level).name,
            "origin": hit.origin,
            "subject": hit.subject,
            "tags": split_tags(hit.tags),
            "created": iso(hit.created),
            "status": str(hit.status),
            "current_version": hit.current_version,
            "snippet": [{"text": text, "match": match} for text, match in hit.snippet],
        }
        for hit in page.hits
    ]
    next_cursor = encode_cursor("cables", offset + len(items)) if page.has_next else None
    db_session().commit()  # the snippets of classified cables were put on record
    return jsonify(
        items=items, total=page.total, total_exact=page.total_exact, next_cursor=next_cursor
    )


@api_bp.post("/cables")
@_committing
def import_cables():
    """Import cable texts: ``{"cables": [{"name": ..., "text": ...}]}``; a report per file."""
    if not can_import(actor().roles):
        raise NotPermitted("only administrators and reviewers import cables")
    data = body()
    only(data, "cables")
    files = data.get("cables")
    if not isinstance(files, list) or not files:
        malformed("the field 'cables' must be a non-empty array")
    if len(files) > MAX_IMPORT_FILES:
        raise ApiError(413, "too_many_files", f"at most {MAX_IMPORT_FILES} cables a request")
    for item in files:
        if not isinstance(item, dict):
            malformed("each cable must be an object with 'name' and 'text'")
        only(item, "name", "text")
        for key in ("name", "text"):
            if not isinstance(item.get(key), str):
                malformed(f"each cable needs a string {key!r}")
    session, user = db_session(), actor()
    max_bytes = int(current_app.config["MAX_IMPORT_BYTES"])
    # Unpaired surrogates pass through as bytes that are not UTF-8: refused per file, with
    # the reason, exactly as a file on disk with the same bytes would be.
    outcomes = [
        import_cable(
            session,
            user,
            item["name"],
            item["text"].encode("utf-8", "surrogatepass"),
            max_bytes=max_bytes,
        )
        for item in files
    ]
    summary = {"imported": 0, "unchanged": 0, "new_version": 0, "failed": 0}
    for outcome in outcomes:
        summary[str(outcome.status)] += 1
    return jsonify(
        ok=summary["failed"] == 0,
        summary=summary,
        files=[
            {
                "name": o.name,
                "status": str(o.status),
                "reference_id": o.reference_id,
                "version": o.version,
                "error": o.error,
            }
            for o in outcomes
        ],
    )


@api_bp.get("/cables/<reference_id>")
def get_cable(reference_id: str):
    """A cable: metadata, versions, text, portions (markings, offsets, review marks),
    redactions and releases. ``?version=N`` shows an earlier version. Each version is
    checked on its own level: one above the caller's clearance is 404 and is not listed."""
    session, user = db_session(), actor()
    cable = visible_cable(reference_id)
    number = query_int("version", minimum=1, maximum=MAX_ID)
    version = get_visible_version(session, user, cable, number)
    rows = review.redactions_for_cable(session, user, cable, version_number=version.number)
    portions = session.scalars(
        select(Portion).where(Portion.version_id == version.id).order_by(Portion.index)
    ).all()
    reviewed = {
        mark.portion_index: mark
        for mark in session.scalars(
            select(PortionReview).where(PortionReview.version_id == version.id)
        )
    }
    versions = visible_versions(session, user, cable)
    made = session.scalars(
        select(Release).where(Release.cable_id == cable.id).order_by(Release.id)
    ).all()
    record_view(session, user, cable, version.number)  # as the cable page does
    reply = {
        "reference_id": cable.reference_id,
        "classification": cable.classification,
        "level": Level(cable.level).name,
        "origin": cable.origin,
        "subject": cable.subject,
        "tags": split_tags(cable.tags),
        "created": iso(cable.created),
        "status": str(cable.status),
        "current_version": cable.current_version,
        "version": version.number,
        "sha256": version.sha256,
        "text": version.text,
        "parsed": version.parsed,
        "versions": [
            {
                "number": v.number,
                "sha256": v.sha256,
                "source_name": v.source_name,
                "imported_at": iso(v.imported_at),
            }
            for v in versions
        ],
        "portions": [
            {
                "index": p.index,
                "kind": p.kind,
                "number": p.number,
                "marking": p.marking,
                "level": p.level,
                "start": p.start,
                "end": p.end,
                "reviewed": p.index in reviewed,
                "reviewed_by": reviewed[p.index].reviewer_id if p.index in reviewed else None,
            }
            for p in portions
        ],
        "redactions": [redaction_json(r, cable.reference_id, version.number) for r in rows],
        **_links_json(session, user, cable, version.id),
        "releases": [
            {
                "id": r.id,
                "doc_number": r.doc_number,
                "case_number": r.case_number,
                "disposition": r.disposition,
                "released_at": iso(r.released_at),
                "url": url_for("api.get_release", release_id=r.id),
            }
            for r in made
        ],
    }
    session.commit()
    return jsonify(reply)


def _cable_link(reference_id: str | None) -> dict[str, str] | None:
    if reference_id is None:
        return None
    return {
        "reference_id": reference_id,
        "url": url_for("api.get_cable", reference_id=reference_id),
    }


def _links_json(session, user: User, cable: Cable, version_id: int) -> dict[str, Any]:
    """The cable detail's links to other cables: each REF item of the version shown (with
    ``cable`` null where the caller may not open the cited cable, as where it is not held),
    the cables citing it and its other copies, only those the caller may see."""
    citing, total = links.referenced_by(session, user, cable)
    same = links.same_cable(session, user, cable)
    copies: list[tuple[str, tuple[int, int] | None]] = []
    if same is not None:
        if same.canonical_linked:
            copies.append((same.canonical_linked, None))
        copies += [(c.reference_id, c.section) for c in same.copies]
    return {
        "canonical_id": cable.canonical_id or cable.reference_id,
        "references": [
            {"label": r.label, "text": r.text, "cable_id": r.cited_id,
             "cable": _cable_link(r.linked)}
            for r in links.version_references(session, user, cable, version_id)
        ],
        "referenced_by": [
            {**_cable_link(c.reference_id), "subject": c.subject, "created": iso(c.created)}
            for c in citing
        ],
        "referenced_by_total": total,
        "copies": [
            {**_cable_link(reference_id), "section": list(section) if section else None}
            for reference_id, section in copies
        ],
    }


@api_bp.get("/cables/<reference_id>/diff")
def cable_diff(reference_id: str):
    """Portion by portion: the current version (or ``?version=N``) against its releasable
    form under the approved redactions, or version ``from`` against version ``to``. Every
    version shown needs the caller's clearance for its own level (404 otherwise)."""
    session, user = db_session(), actor()
    cable = visible_cable(reference_id)
    first = query_int("from", minimum=1, maximum=MAX_ID)
    second = query_int("to", minimum=1, maximum=MAX_ID)
    number = query_int("version", minimum=1, maximum=MAX_ID)
    if (first is None) != (second is None):
        malformed("give both 'from' and 'to', or neither")
    if first is not None and number is not None:
        malformed("'version' compares with the releasable text; not with 'from' and 'to'")
    for shown in {first, second} if first is not None else {number}:
        get_visible_version(session, user, cable, shown)  # NotFound: as an unknown version

    mode, left, right, result = releases.diff_cable(
        session,
        cable,
        from_version=first,
        to_version=second,
        version=number,
        approvals_required=_approvals_required(),
    )
    for number in sorted({left, right}):  # the diff shows the text of each version
        record_view(session, actor(), cable, number)
    session.commit()
    return jsonify(
        reference_id=cable.reference_id,
        mode=mode,
        **{"from": left, "to": right},
        portions=[item.as_dict() for item in result],
    )


# --------------------------------------------------------------------------- redactions


@api_bp.post("/cables/<reference_id>/redactions")
@_committing
def propose(reference_id: str):
    """Propose a redaction of ``[start, end)`` (code points of the current version)."""
    data = body()
    only(data, "start", "end", "codes", "rationale", "version")
    start = int_field(data, "start")
    end = int_field(data, "end")
    codes = codes_field(data, "codes")
    rationale = str_field(data, "rationale", required=False) or ""
    version = int_field(data, "version", required=False)
    cable = visible_cable(reference_id)
    made = redactions.propose(
        db_session(),
        actor(),
        cable,
        start=start,
        end=end,
        codes=codes,
        rationale=rationale,
        version_number=version,
    )
    return jsonify(_redaction_reply(made)), 201


def _decision(redaction_id: int, decide: Callable[..., Redaction], *fields: str):
    data = body()
    only(data, "version", *fields)
    version = int_field(data, "version")
    extra = {name: str_field(data, name) for name in fields}
    made = decide(
        db_session(), actor(), load_redaction(redaction_id), expected_row_version=version, **extra
    )
    return jsonify(_redaction_reply(made))


@api_bp.post("/redactions/<int:redaction_id>/approve")
@_committing
def approve(redaction_id: int):
    """Approve a proposal by someone else (``version``: its ``row_version``)."""
    approvals = _approvals_required()

    def decide(*args: Any, **kwargs: Any) -> Redaction:
        return redactions.approve(*args, approvals_required=approvals, **kwargs)

    return _decision(redaction_id, decide)


@api_bp.post("/redactions/<int:redaction_id>/reject")
@_committing
def reject(redaction_id: int):
    """Reject a proposal by someone else, with a ``reason``."""
    return _decision(redaction_id, redactions.reject, "reason")


@api_bp.post("/redactions/<int:redaction_id>/withdraw")
@_committing
def withdraw(redaction_id: int):
    """Withdraw one's own pending proposal; for an approved one, request its withdrawal
    (the answer is the request, a new pending proposal that another approver decides)."""
    approvals = _approvals_required()

    def decide(*args: Any, **kwargs: Any) -> Redaction:
        return redactions.withdraw(*args, approvals_required=approvals, **kwargs)

    return _decision(redaction_id, decide)


@api_bp.patch("/redactions/<int:redaction_id>")
@_committing
def edit(redaction_id: int):
    """Change span, codes or rationale of one's own proposal (a new revision for span or
    codes: earlier decisions become void)."""
    data = body()
    only(data, "version", "start", "end", "codes", "rationale")
    version = int_field(data, "version")
    made = redactions.edit(
        db_session(),
        actor(),
        load_redaction(redaction_id),
        expected_row_version=version,
        start=int_field(data, "start", required=False),
        end=int_field(data, "end", required=False),
        codes=codes_field(data, "codes", required=False),
        rationale=str_field(data, "rationale", required=False),
        approvals_required=_approvals_required(),
    )
    return jsonify(_redaction_reply(made))


def comment_json(note: Any) -> dict[str, Any]:
    return {
        "id": note.id,
        "redaction_id": note.redaction_id,
        "author": user_json(note.author),
        "body": note.body,
        "created_at": iso(note.created_at),
    }


@api_bp.get("/redactions/<int:redaction_id>/comments")
def list_comments(redaction_id: int):
    """The discussion of a proposal, oldest first."""
    session = db_session()
    redaction = load_redaction(redaction_id)
    cable = session.get(Cable, redaction.cable_id)
    assert cable is not None  # held by the foreign key
    review.require_visible(actor(), cable)
    return jsonify(items=[comment_json(note) for note in redaction.comments])


@api_bp.post("/redactions/<int:redaction_id>/comments")
@_committing
def add_comment(redaction_id: int):
    """Add a remark to the discussion of a proposal."""
    data = body()
    only(data, "body")
    text = str_field(data, "body")
    note = redactions.comment(db_session(), actor(), load_redaction(redaction_id), text)
    return jsonify(comment_json(note)), 201


# --------------------------------------------------------------------------- review


@api_bp.post("/cables/<reference_id>/portions/<int:index>/review")
@_committing
def review_portion(reference_id: str, index: int):
    """Mark a portion of the current version as reviewed (idempotent)."""
    cable = visible_cable(reference_id)
    if index > MAX_ID:
        raise NotFound("no such portion")
    mark = review.mark_portion_reviewed(db_session(), actor(), cable, index)
    return jsonify(
        reference_id=cable.reference_id,
        version=cable.current_version,
        portion_index=mark.portion_index,
        reviewer_id=mark.reviewer_id,
        reviewed_at=iso(mark.created_at),
        cable_status=str(cable.status),
    )


# --------------------------------------------------------------------------- releases


@api_bp.post("/cables/<reference_id>/releases")
def release_cable(reference_id: str):
    """Release the current version with its approved redactions (release authorities)."""
    data = body()
    only(data, "case_number", "release_date")
    case_number = str_field(data, "case_number", required=False)
    raw_date = str_field(data, "release_date", required=False)
    release_date = None
    if raw_date:
        try:
            release_date = date.fromisoformat(raw_date)
        except ValueError:
            raise InvalidInput("the release date must be written YYYY-MM-DD") from None
    session = db_session()
    cable = visible_cable(reference_id)
    try:
        made = releases.release_cable(
            session,
            actor(),
            cable,
            case_number=case_number.strip() if case_number else None,
            release_date=release_date,
            approvals_required=_approvals_required(),
        )
    except releases.ReleaseBlocked:
        session.commit()  # the gate's refusal stays on record; nothing was released
        raise
    reply = release_json(made, cable.reference_id)
    session.commit()
    return jsonify(reply), 201


@api_bp.get("/releases/<int:release_id>")
def get_release(release_id: int):
    """A release: numbers, disposition, its record and its files."""
    session = db_session()
    if release_id > MAX_ID:
        raise NotFound("no such release")
    made = releases.get_release(session, actor(), release_id)
    cable = session.get(Cable, made.cable_id)
    assert cable is not None  # held by the foreign key
    return jsonify(release_json(made, cable.reference_id))


@api_bp.get("/releases/<int:release_id>/artifacts/<any(pdf, txt, json):name>")
def release_artifact(release_id: int, name: str):
    """One file of a release, named after the document number; the download is audited."""
    session = db_session()
    if release_id > MAX_ID:
        raise NotFound("no such release")
    artifact, file_name = releases.get_artifact(session, actor(), release_id, name)
    data, media_type = artifact.data, artifact.media_type
    session.commit()
    response = Response(data, content_type=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response


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


# --------------------------------------------------------------------------- description


@api_bp.get("/openapi.json")
def openapi_spec():
    """The OpenAPI 3 description of this API (public: it holds no data)."""
    from redactor.web.openapi import build_spec

    return jsonify(build_spec())

