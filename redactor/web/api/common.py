"""What the API's areas share: the blueprint, errors, the actor, input readers, cursors,
loading and the JSON builders."""
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

from flask import Blueprint, current_app, g, jsonify, request, url_for
from sqlalchemy import select

from redactor.cables.access import (
    get_visible_cable,
)
from redactor.cables.service import REFERENCE_ID_RE
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
    CableVersion,
    Redaction,
    Release,
    ReleaseArtifact,
    User,
)
from redactor.release import service as releases
from redactor.review import service as review
from redactor.web.extensions import csrf, db_session

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

