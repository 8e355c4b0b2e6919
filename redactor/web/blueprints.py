"""The list of blueprints the factory registers, and app-wide hooks (headers, errors)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from redactor.accounts.service import must_change_password, set_hash_profile
from redactor.errors import (
    DomainError,
)
from redactor.review.policy import can_import, can_manage_users, can_read_audit
from redactor.web.admin import admin_bp
from redactor.web.api import api_bp, http_error
from redactor.web.api.common import error_body
from redactor.web.audit_views import audit_bp
from redactor.web.auth import auth_bp
from redactor.web.cables import cables_bp
from redactor.web.declassify import declassify_bp
from redactor.web.fragments import fragment_headers, is_fragment_request
from redactor.web.held import held_bp
from redactor.web.imports import imports_bp
from redactor.web.occurrences import occurrences_bp
from redactor.web.refusals import DOMAIN_STATUS, NOT_FOUND_MESSAGE, record_refusal
from redactor.web.releases import releases_bp
from redactor.web.review import review_bp
from redactor.web.tokens import tokens_bp
from redactor.web.twins import twins_bp

ALL: list[Blueprint] = [
    auth_bp, cables_bp, admin_bp, audit_bp, imports_bp, releases_bp, review_bp,
    api_bp, tokens_bp,
]
ALL += [held_bp, declassify_bp]  # held imports, declassification
ALL += [occurrences_bp]  # every occurrence in the cable, and releasing one on purpose
ALL += [twins_bp]  # twins across the collection


CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

_TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Invalid input",
    429: "Too many requests",
    500: "Server error",
}

_GENERIC = {
    404: NOT_FOUND_MESSAGE,
    405: "This address does not accept that kind of request.",
    413: "The upload is larger than this server accepts.",
    500: "Something went wrong on the server. The action was not completed.",
}


def install_hooks(app: Flask) -> None:
    """Install the app-wide request hooks and error handlers.

    - security headers on every response (CSP without inline script, nosniff, no framing,
      same-origin referrers) and ``Cache-Control: no-store`` on everything but static files;
    - domain errors to 403/404/409/422, CSRF failures to 400, oversized bodies to 413, as an
      HTML page or, under ``/api/``, as JSON; a refused 403/404/409 is put on record
      (:mod:`redactor.web.refusals`);
    - template flags for the navigation (which areas exist and which the user may open).
    """
    set_hash_profile(app.config.get("ARGON2_PROFILE") or "rfc9106")
    app.after_request(_security_headers)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    nav_paths = _nav_endpoints(app)

    @app.context_processor
    def _navigation() -> dict[str, Any]:
        return {"nav": _nav_flags(nav_paths)}


def _security_headers(response: Any) -> Any:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "static":
        # Pages show cable text and user data: never keep them in a shared or browser cache.
        headers["Cache-Control"] = "no-store"
    if current_app.config.get("SECURE_COOKIES"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_response(status: int, code: str, message: str) -> Any:
    if _wants_json():
        return jsonify(error_body(code, message)), status
    title = _TITLES.get(status, "Error")
    if is_fragment_request():
        body = render_template("errors/_fragment.html", status=status, title=title,
                               message=message)
        return body, status, fragment_headers()
    return (
        render_template("errors/error.html", status=status, title=title, message=message),
        status,
    )


def _domain_error(exc: DomainError) -> Any:
    for cls, status in DOMAIN_STATUS:
        if isinstance(exc, cls):
            record_refusal(status, exc.code, str(exc))  # 403/404/409 go on the record
            message = _GENERIC[404] if status == 404 else (str(exc) or _TITLES[status])
            return _error_response(status, exc.code, message)
    return _error_response(400, exc.code, str(exc) or _TITLES[400])


def _csrf_error(exc: CSRFError) -> Any:
    return _error_response(
        400,
        "csrf",
        "The form's security token is missing or no longer valid. "
        "Go back, reload the page and try again.",
    )


def _http_error(exc: HTTPException) -> Any:
    if _wants_json():  # a routing error of the API: no blueprint was chosen
        return http_error(exc)
    status = exc.code or 500
    message = _GENERIC.get(status) or exc.description or _TITLES.get(status, "Error")
    record_refusal(status, exc.name.lower().replace(" ", "_"), exc.description or "")
    response = _error_response(status, exc.name.lower().replace(" ", "_"), message)
    if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
        body, code, *headers = response
        allow = {"Allow": ", ".join(exc.valid_methods)}
        return body, code, {**(headers[0] if headers else {}), **allow}
    return response


def _nav_endpoints(app: Flask) -> dict[str, str | None]:
    # Areas written by other parts of the project may or may not be installed: link to them
    # only if a GET route exists at their path.
    wanted = {"audit": ("/audit", "/audit/"), "import": ("/import", "/import/", "/imports")}
    found: dict[str, str | None] = dict.fromkeys(wanted)
    for rule in app.url_map.iter_rules():
        for area, paths in wanted.items():
            if found[area] is None and rule.rule in paths and "GET" in (rule.methods or ()):
                found[area] = rule.endpoint
    return found


def _nav_flags(endpoints: dict[str, str | None]) -> dict[str, Any]:
    if not current_user.is_authenticated:
        return {"user": None}
    name = current_user.display_name or current_user.username
    if must_change_password(current_user):
        # Every link but signing out would lead back to the change-password page.
        return {"user": name, "must_change_password": True}
    roles = current_user.roles
    return {
        "user": name,
        "admin": can_manage_users(roles),
        "import_endpoint": endpoints["import"] if can_import(roles) else None,
        "audit_endpoint": endpoints["audit"] if can_read_audit(roles) else None,
    }
