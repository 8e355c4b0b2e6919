"""``redactor import PATH...``: import cable files, folders and zip archives.

The schema is migrated first (idempotent), then :func:`~redactor.cables.service.import_batch`
commits every 200 files. Each failure is printed to stderr with its reason as it happens;
a counter of files done is kept on stderr only when stderr is a terminal, so CI logs get the
failures and the summary and nothing else. The summary line goes to stdout:
``imported N, unchanged N, new versions N, failed N``. Exit status 1 if any file failed, and
so for a zip without any file or a folder without any ``.txt`` file, and for a zip over the
caps (``--zip-max-members``/``--zip-max-bytes`` raise them for one run). Names are recorded
relative to the paths given, never as the server's absolute paths.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from sqlalchemy import select

from redactor.audit import load_audit_key
from redactor.cables.service import (
    ImportOutcome,
    ImportStatus,
    ZipLimits,
    import_batch,
    iter_import_sources,
)
from redactor.cli.store import upgrade_configured_database
from redactor.config import load_settings
from redactor.db import make_engine, make_session_factory
from redactor.models import User

_REFRESH_SECONDS = 0.2


class _Counter:
    """Progress on stderr: a self-overwriting counter on a terminal, failures always."""

    def __init__(self, live: bool) -> None:
        self.live = live
        self.failed = 0
        self._shown_at = 0.0

    def __call__(self, done: int, outcome: ImportOutcome) -> None:
        if outcome.status is ImportStatus.FAILED:
            self.failed += 1
            self._clear()
            click.echo(f"failed: {outcome.error}", err=True)
        now = time.monotonic()
        if self.live and now - self._shown_at >= _REFRESH_SECONDS:
            self._shown_at = now
            click.echo(f"\r{done:,} files, {self.failed:,} failed", nl=False, err=True)

    def _clear(self) -> None:
        if self.live:
            click.echo("\r\033[K", nl=False, err=True)

    def finish(self) -> None:
        self._clear()


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--user",
    "username",
    default=None,
    help="Record this user as the importer (default: the system, no user).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a running count on stderr (default: only when stderr is a terminal).",
)
@click.option(
    "--zip-max-members",
    type=click.IntRange(min=1),
    default=None,
    help="Most files one zip archive may hold (default: REDACTOR_ZIP_MAX_MEMBERS, 10,000).",
)
@click.option(
    "--zip-max-bytes",
    type=click.IntRange(min=1),
    default=None,
    help="Most bytes one zip archive may expand to (default: REDACTOR_ZIP_MAX_TOTAL_BYTES, "
    "64 MiB).",
)
def import_command(
    paths: tuple[Path, ...],
    username: str | None,
    progress: bool | None,
    zip_max_members: int | None,
    zip_max_bytes: int | None,
) -> None:
    """Import cable files: PATH is a .txt file, a folder (its *.txt files, recursively) or a
    .zip archive. A changed text of a known cable becomes a new version; the same text again
    is reported unchanged. A zip over a cap imports nothing."""
    try:
        upgrade_configured_database()
        settings = load_settings()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    engine = make_engine(settings["DATABASE_URL"])
    try:
        key = load_audit_key(settings["INSTANCE"], settings["AUDIT_KEY"])
        factory = make_session_factory(engine, audit_key=key)
        factory.configure(info={"audit_key": key, "client_addr": "cli"})
        actor_id = None
        if username is not None:
            with factory() as session:
                actor_id = session.scalar(select(User.id).where(User.username == username))
            if actor_id is None:
                raise click.ClickException(f"no user named {username!r}")
        live = progress if progress is not None else _stderr_is_terminal()
        counter = _Counter(live)
        try:
            summary = import_batch(
                factory,
                actor_id,
                iter_import_sources(paths, zip_limits=_zip_limits(settings, zip_max_members,
                                                                  zip_max_bytes)),
                max_bytes=int(settings["MAX_IMPORT_BYTES"]),
                progress=counter,
            )
        finally:
            counter.finish()
    finally:
        engine.dispose()
    click.echo(summary.line())
    if not summary.ok:
        raise click.exceptions.Exit(1)


def _zip_limits(settings: dict, members: int | None, total_bytes: int | None) -> ZipLimits:
    limits = ZipLimits.from_settings(settings)
    return ZipLimits(members or limits.max_members, total_bytes or limits.max_total_bytes)


def _stderr_is_terminal() -> bool:
    # sys.stderr rather than click's stream helpers: click 8.5 deprecates get_text_stream, and
    # under a test runner stderr may be a capture object without isatty().
    return bool(getattr(sys.stderr, "isatty", lambda: False)())
