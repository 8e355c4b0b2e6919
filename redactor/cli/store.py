"""The configured store as every command opens it: settings, database sessions, the schema.

Settings come from ``REDACTOR_*`` variables as for the server (``REDACTOR_INSTANCE``,
``REDACTOR_DATABASE_URL``...); tests may pass overrides as ``obj={"config": {...}}`` to the
commands that take a click context. Audit entries made through these sessions are marked as
made from the command line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from redactor.accounts import service as accounts
from redactor.audit import load_audit_key
from redactor.config import load_settings
from redactor.db import make_engine, make_session_factory
from redactor.migrations import upgrade_database


def settings_from_context(ctx: click.Context | None, **overrides: Any) -> dict[str, Any]:
    """Settings: defaults, ``REDACTOR_*`` variables, ``ctx.obj["config"]``, then ``overrides``."""
    config: dict[str, Any] = {}
    obj = ctx.find_object(dict) if ctx is not None else None
    if obj and isinstance(obj.get("config"), dict):
        config.update(obj["config"])
    config.update({key: value for key, value in overrides.items() if value is not None})
    return load_settings(config)


@contextmanager
def store_session(settings: dict[str, Any], client_addr: str = "cli") -> Iterator[Session]:
    """A database session on the store ``settings`` name; the caller commits.

    Raises ``click.ClickException`` when the database is missing or not migrated.
    """
    accounts.set_hash_profile(settings.get("ARGON2_PROFILE") or "rfc9106")
    engine = make_engine(settings["DATABASE_URL"])
    key = load_audit_key(settings["INSTANCE"], settings["AUDIT_KEY"])
    session = make_session_factory(engine, audit_key=key)()
    session.info["client_addr"] = client_addr
    try:
        yield session
    except (OperationalError, ProgrammingError) as exc:
        raise click.ClickException(
            f"the database is not ready ({exc.orig}); run `redactor db upgrade` first?"
        ) from exc
    finally:
        session.close()
        engine.dispose()


@contextmanager
def open_store() -> Iterator[tuple[dict[str, Any], Session]]:
    """The settings (from the environment alone) and a session on the configured database."""
    settings = load_settings()
    with store_session(settings) as session:
        yield settings, session


def upgrade_configured_database() -> str:
    """Migrate the configured database to the newest schema (idempotent).

    Creates the instance folder first (the default SQLite database lives in it). Returns the
    database URL with any password hidden, for messages.
    """
    settings = load_settings()
    Path(settings["INSTANCE"]).mkdir(parents=True, exist_ok=True)
    upgrade_database(settings["DATABASE_URL"])
    return make_url(settings["DATABASE_URL"]).render_as_string(hide_password=True)
