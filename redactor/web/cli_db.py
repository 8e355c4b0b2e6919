"""``redactor db``: the database schema (``redactor db upgrade``)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from redactor.config import load_settings
from redactor.migrations import upgrade_database


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
