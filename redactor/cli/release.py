"""``redactor export-package``: write a release package (ZIP) of released cables.

Run by the local operator (no signed-in user): the package holds, for the newest release of
each named cable (of every released cable when none is named), its PDF, text and JSON files
and a ``manifest.json`` with every file's SHA-256, the release records and the audit head.
The export is audited (``release.export``); the file is written only once the audit entry is
committed, and atomically (a temporary file renamed into place).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from redactor.cli.store import open_store
from redactor.errors import NotFound
from redactor.release.service import export_package, latest_releases


def _write_atomically(path: Path, data: bytes) -> None:
    path = path.resolve()
    handle, temporary = tempfile.mkstemp(prefix=".package-", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@click.command("export-package")
@click.option(
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The ZIP file to write.",
)
@click.argument("reference_ids", nargs=-1)
def export_package_command(out_path: Path, reference_ids: tuple[str, ...]) -> None:
    """Write the release package of REFERENCE_ID... (default: every released cable)."""
    with open_store() as (settings, session):
        try:
            ids = latest_releases(session, list(reference_ids))
        except NotFound as exc:
            raise click.ClickException(str(exc)) from exc
        if not ids:
            raise click.ClickException("nothing has been released yet")
        package = export_package(
            session, None, ids, names_staff=bool(settings.get("MANIFEST_NAMES_STAFF"))
        )
        session.commit()
    _write_atomically(out_path, package)
    click.echo(f"{out_path}: {len(ids)} release(s), {len(package)} bytes")
