"""``redactor db``: the database schema (``redactor db upgrade``); and the configured
store as the other commands open it (:func:`open_store`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from redactor import audit
from redactor.config import load_settings
from redactor.db import make_engine, make_session_factory
from redactor.migrations import upgrade_database


@contextmanager
def open_store() -> Iterator[tuple[dict[str, Any], Session]]:
    """The settings and a session on the configured database, its audit entries marked as
    made from the command line (the session is closed and the engine disposed after)."""
    settings = load_settings()
    engine = make_engine(settings["DATABASE_URL"])
    try:
        key = audit.load_audit_key(settings["INSTANCE"], settings["AUDIT_KEY"])
        session = make_session_factory(engine, audit_key=key)()
        session.info["client_addr"] = "cli"
        try:
            yield settings, session
        finally:
            session.close()
    finally:
        engine.dispose()


def upgrade_configured_database() -> str:
    """Migrate the configured database to the newest schema (idempotent).

    Creates the instance folder first (the default SQLite database lives in it). Returns the
    database URL with any password hidden, for messages.
    """
    settings = load_settings()
    Path(settings["INSTANCE"]).mkdir(parents=True, exist_ok=True)
    upgrade_database(settings["DATABASE_URL"])
    return make_url(settings["DATABASE_URL"]).render_as_string(hide_password=True)


@click.group("db")
def db_group() -> None:
    """Manage the database schema."""


@db_group.command("upgrade")
def upgrade_command() -> None:
    """Bring the configured database (REDACTOR_DATABASE_URL) up to the newest schema."""
    try:
        shown = upgrade_configured_database()
    except ValueError as exc:  # a malformed REDACTOR_* setting
        raise click.ClickException(str(exc)) from exc
    click.echo(f"database is up to date: {shown}")
