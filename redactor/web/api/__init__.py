"""The JSON API, version 1, under ``/api/v1/``: the same services as the browser, by token.

Authentication: ``Authorization: Bearer <secret>`` with a personal access token
(:mod:`redactor.accounts.tokens`), nothing else. The login cookie does **not** authenticate
here, so a page elsewhere cannot make a signed-in browser call the API (and the blueprint is
exempt from CSRF, which protects cookie-authenticated forms only). Only the OpenAPI
description (``/api/v1/openapi.json``) is public.

Every endpoint calls the services the browser calls, with the same clearance, role,
two-person, version and transition checks and the same audit entries; a cable above the
caller's clearance answers 404, as an unknown one does. One module per area (``cables``,
``imports``, ``review``, ``occurrences``, ``twins``, ``releases``, ``audit``) declares its
operations with :func:`redactor.web.api.common.operation`; this module registers them on the
blueprint, and :mod:`redactor.web.api.spec` composes the OpenAPI document from the same
declarations.

Errors have one shape, ``{"error": {"code": "...", "message": "..."}}``:
400 malformed request (not JSON, wrong types, missing or unknown fields, bad query
arguments), 401 no usable token, 403 role, 404 unknown or not visible, 405 wrong method,
409 stale version, illegal transition or release refused by the gate, 413 too large, 422
content refused (span, codes, text). Errors raised in the views are answered by the
blueprint's handlers below; routing errors (an unknown path, a wrong method) happen before
any blueprint is chosen, and the app-wide handler hands those under ``/api/`` to
:func:`http_error`, so that every answer of this API has the shape above.
"""

from __future__ import annotations

from flask import Blueprint, Response, g, request
from werkzeug.exceptions import HTTPException

from redactor.accounts.tokens import resolve_token
from redactor.errors import DomainError
from redactor.release.service import ReleaseBlocked
from redactor.web import refusals
from redactor.web.api import (
    audit,
    cables,
    imports,
    occurrences,
    releases,
    review,
    spec,
    twins,
)
from redactor.web.api.common import OPERATIONS, ApiError, error_response
from redactor.web.extensions import csrf, db_session
from redactor.web.refusals import NOT_FOUND_MESSAGE, record_refusal

__all__ = [
    "api_bp", "audit", "cables", "imports", "occurrences", "releases", "review", "spec", "twins"
]

api_bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens, not cookies, authenticate this blueprint: there is no ambient credential
# for a cross-site request to ride on, so CSRF tokens have nothing to protect here.
csrf.exempt(api_bp)
for _op in OPERATIONS:
    api_bp.add_url_rule(_op.rule, _op.endpoint, _op.handler, methods=[_op.method])
_PUBLIC_ENDPOINTS = {f"api.{op.endpoint}" for op in OPERATIONS if op.public}

#: The app's statuses of domain errors, and the release gate's refusal (which the browser
#: answers on its own pages).
DOMAIN_STATUS = ((ReleaseBlocked, 409), *refusals.DOMAIN_STATUS)


@api_bp.errorhandler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message)


@api_bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    for cls, status in DOMAIN_STATUS:
        if isinstance(exc, cls):
            record_refusal(status, exc.code, str(exc))  # 403/404/409 go on the record
            message = NOT_FOUND_MESSAGE if status == 404 else (str(exc) or exc.code)
            return error_response(status, exc.code, message)
    return error_response(400, exc.code, str(exc) or "bad request")


@api_bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    """An HTTP error of this API (also routing errors under ``/api/``, handed over by the
    app-wide handler): 404 says nothing of why, 405 names the methods allowed."""
    status = exc.code or 500
    code = (exc.name or "error").lower().replace(" ", "_")
    record_refusal(status, code, exc.description or "")
    if status == 413:
        message = "The request is larger than this server accepts."
    elif status == 404:
        message = NOT_FOUND_MESSAGE
    else:
        message = exc.description or exc.name or "error"
    response = error_response(status, code, message)
    allowed = getattr(exc, "valid_methods", None)
    if status == 405 and allowed:
        response.headers["Allow"] = ", ".join(allowed)
    return response


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
