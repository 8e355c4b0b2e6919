"""``redactor twins``: the twin index from the command line (rebuild, with a progress bar).

Imports keep the index up to date (:mod:`redactor.consistency.twins`); a rebuild is for a
store imported before the index existed (after migration 0019) or after a change of the
index's parameters. It runs here, off the request path, committing in batches.
"""

from __future__ import annotations

import click
from sqlalchemy import func, select

from redactor.audit import load_audit_key
from redactor.config import load_settings
from redactor.consistency import twins
from redactor.db import make_engine, make_session_factory
from redactor.models import Cable


@click.group("twins")
def twins_group() -> None:
    """The index of twins: the same passages in other cables."""


@twins_group.command("rebuild")
@click.option("--batch", default=200, show_default=True, help="Cables per transaction.")
def rebuild_command(batch: int) -> None:
    """Index every cable's current version again (the index is emptied first)."""
    settings = load_settings()
    engine = make_engine(settings["DATABASE_URL"])
    factory = make_session_factory(
        engine, audit_key=load_audit_key(settings["INSTANCE"], settings["AUDIT_KEY"])
    )
    try:
        with factory() as session:
            total = session.scalar(select(func.count()).select_from(Cable)) or 0
        with click.progressbar(length=total, label="Indexing cables") as bar:
            done = twins.rebuild(factory, batch=max(1, batch), progress=bar.update)
        with factory() as session:
            bands, pairs, cables = twins.count_indexed(session)
    finally:
        engine.dispose()
    click.echo(f"indexed {done} cables: {pairs} twin portions, {cables} duplicate cables "
               f"({bands} band keys)")
