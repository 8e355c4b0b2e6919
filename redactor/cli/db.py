"""``redactor db``: the database schema (``redactor db upgrade``)."""

from __future__ import annotations

import click

from redactor.cli.store import upgrade_configured_database


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
