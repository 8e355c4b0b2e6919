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

import json

from flask import Response, g, jsonify, request
from werkzeug.exceptions import HTTPException

from redactor.accounts.tokens import resolve_token
from redactor.errors import DomainError
from redactor.web.api import audit, cables, imports, releases, review
from redactor.web.api.common import (
    _NOT_FOUND_MESSAGE,
    _PUBLIC_ENDPOINTS,
    DOMAIN_STATUS,
    ApiError,
    _error,
    api_bp,
    error_body,
)
from redactor.web.extensions import db_session
from redactor.web.refusals import record_refusal

__all__ = ["api_bp", "audit", "cables", "imports", "releases", "review"]

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


# --------------------------------------------------------------------------- description


@api_bp.get("/openapi.json")
def openapi_spec():
    """The OpenAPI 3 description of this API (public: it holds no data)."""
    from redactor.web.openapi import build_spec

    return jsonify(build_spec())

