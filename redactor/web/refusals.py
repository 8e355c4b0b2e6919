"""Refused attempts go on the record, as actions of their own (``access.refused``,
``access.not_found``).

A self-approval, a stale or illegal decision, a refused release, a non-admin at an admin page
(403, 409) and a request for something not found or above the caller's clearance (404) are
what an auditor most wants to see. The error handlers of the browser and the API call
:func:`record_refusal` once, after the request's own work has been rolled back, and commit the
entry in a transaction of its own, so that it stays even though nothing else does.

What the entry must not become is an oracle. It names the cable asked for (when the request
named one that exists), which hides it from every reader not cleared for that cable; a 404
about no existing cable is shown only to readers of the highest clearance
(:mod:`redactor.audit_log`). So for anyone below a cable's level, asking for it and asking for
a reference id that does not exist leave entries they cannot tell apart (they see neither);
and the answer to the request is the same with or without the entry. Requests without a
signed-in user (401s, a 404 before login) and URLs that match no route are not recorded.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import g, request
from flask_login import current_user

from redactor import audit
from redactor.audit_log import NOT_FOUND_ACTION
from redactor.audit_subjects import concerned_cable
from redactor.errors import (
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    NotPermitted,
    StaleVersion,
)
from redactor.models import User
from redactor.web.extensions import db_session

REFUSED_ACTION = "access.refused"
#: HTTP status of each domain error, for the browser's and the API's handlers alike; the
#: most specific class wins (checked in order).
DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = (
    (NotFound, 404),
    (NotPermitted, 403),
    (IllegalTransition, 409),
    (StaleVersion, 409),
    (InvalidInput, 422),
)
#: Never say why something was not found: "above your clearance" is itself a disclosure.
NOT_FOUND_MESSAGE = "There is nothing here, or you may not see it."
_LOG = logging.getLogger(__name__)

# What the URL may name, by view argument: the kind of object it is (see concerned_cable).
_NAMED = (
    ("reference_id", "reference"),
    ("redaction_id", "redaction"),
    ("release_id", "release"),
    ("held_id", "held_import"),
    ("request_id", "declassification"),
)


def _caller() -> User | None:
    actor = g.get("api_actor")
    if actor is not None:
        return actor
    if request.path.startswith("/api/"):
        return None  # the API signs in with a token only, never with the browser's cookie
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def _arguments() -> dict[str, str]:
    return {name: str(value)[:100] for name, value in (request.view_args or {}).items()}


def record_refusal(status: int, code: str, message: str) -> None:
    """Record that the signed-in caller's request was refused with ``status`` (403, 404 or
    409; others are ignored), in a transaction of its own. Never raises: a failure to record
    is logged, and the refusal is answered as it would have been."""
    if status not in (403, 404, 409) or request.url_rule is None:
        return
    actor = _caller()
    if actor is None:
        return
    try:
        session = db_session()
        session.rollback()  # whatever the request did is not kept; the entry alone is
        arguments = _arguments()
        cable = None
        for name, kind in _NAMED:
            if name in arguments:
                cable = concerned_cable(session, (kind, arguments[name]), None)
                break
        audit.record(
            session,
            actor,
            NOT_FOUND_ACTION if status == 404 else REFUSED_ACTION,
            ("route", request.endpoint or ""),
            _describe(status, code, message, arguments),
            cable=cable,
        )
        session.commit()
    except Exception:  # noqa: BLE001 - the refusal must still be answered
        _LOG.exception("could not record a refused request")
        try:
            db_session().rollback()
        except Exception:  # noqa: BLE001
            _LOG.exception("could not roll back after failing to record a refusal")


def _describe(status: int, code: str, message: str, arguments: dict[str, str]) -> dict[str, Any]:
    return {
        "status": status,
        "error": code,
        "message": message[:500],
        "method": request.method,
        "path": request.path[:300],
        "arguments": arguments,
    }
