"""Flask extension objects, created unbound and bound in :func:`redactor.web.create_app`.

Kept in their own module so blueprints can import them without importing the factory.
"""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_login import LoginManager
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from redactor.db import read_only

#: Requests that change nothing: their database session never takes SQLite's write lock.
_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

login_manager = LoginManager()
csrf = CSRFProtect()


def db_session() -> Session:
    """The request's database session, opened on first use and closed at teardown.

    Views commit it once, after the service call; anything not committed is rolled back.
    The session of a GET or HEAD request is read-only (:func:`redactor.db.read_only`): a
    service that writes during one (an audited view, a download) calls
    :func:`redactor.db.allow_writes` first.
    """
    if "db_session" not in g:
        g.db_session = current_app.extensions["redactor.sessions"]()
        if has_request_context() and request.method in _READ_ONLY_METHODS:
            read_only(g.db_session)
        # Audit entries record where a request came from (see redactor.audit).
        g.db_session.info["client_addr"] = (
            (request.remote_addr or "") if has_request_context() else ""
        )
    return g.db_session


def close_db_session(_exc: BaseException | None = None) -> None:
    """Teardown: roll back what was not committed and close the request's session."""
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
