"""``redactor audit``: verify the audit chain, sign checkpoints, export the log.

``verify`` checks the chain against every checkpoint in ``INSTANCE/checkpoints`` by default
(a checkpoint nobody compares with catches nothing), plus any ``--checkpoint FILE`` given, for
instance one kept on another machine; ``--no-instance-checkpoints`` skips the folder. The
trusted public key is ``INSTANCE/audit-signing.pub`` unless ``--public-key`` names a copy kept
elsewhere, which is the stronger choice: whoever can rewrite the instance folder could also
replace the key there. Any fault, a forged checkpoint included, exits with status 1.

Verifications and exports are themselves audited (``audit.verify``, ``audit.export``,
``audit.checkpoint``). The entry is appended in a transaction of its own once the work is
done, so the verification never reads its own entry and a failed export records nothing.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from redactor import audit, audit_log
from redactor.cli.store import open_store


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        return ""


def _record(session: Session, action: str, data: dict[str, Any]) -> None:
    audit.record(
        session, None, action, ("audit", ""), {**data, "via": "cli", "os_user": _operator()}
    )
    session.commit()


@click.group("audit")
def audit_group() -> None:
    """Verify, checkpoint and export the tamper-evident audit log."""


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    "checkpoint_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checkpoint file to compare with (repeatable).",
)
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The trusted checkpoint public key (default: INSTANCE/audit-signing.pub).",
)
@click.option(
    "--no-instance-checkpoints",
    is_flag=True,
    help="Do not compare with the checkpoints in INSTANCE/checkpoints.",
)
def verify_command(
    checkpoint_files: tuple[Path, ...], public_key: Path | None, no_instance_checkpoints: bool
) -> None:
    """Recompute the chain; print "ok: ..." or the first bad entry (exit status 1)."""
    with open_store() as (settings, session):
        try:
            report = audit.verify_instance(
                session,
                session.info["audit_key"],
                settings["INSTANCE"],
                extra_checkpoints=checkpoint_files,
                public_key=public_key,
                include_instance_checkpoints=not no_instance_checkpoints,
            )
        except audit.CheckpointError as exc:  # the public key itself is unusable
            raise click.ClickException(str(exc)) from exc
        session.rollback()  # end the reading transaction before appending
        _record(session, "audit.verify", report.as_dict())
    click.echo(report.summary())
    for fault in sorted(report.faults, key=lambda f: (f.seq is None, f.seq or 0))[1:]:
        click.echo(f"  also {fault}")
    if not report.ok:
        sys.exit(1)


@audit_group.command("checkpoint")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the checkpoint to (default: INSTANCE/checkpoints).",
)
def checkpoint_command(out_dir: Path | None) -> None:
    """Verify the chain, then sign its head into a checkpoint file and print its path.

    Copy the file (and INSTANCE/audit-signing.pub) somewhere the database's administrators
    cannot rewrite: it is what shows later that no entry was removed from the end.
    """
    with open_store() as (settings, session):
        try:
            path = audit.write_checkpoint(session, settings["INSTANCE"], out_dir)
        except audit.AuditChainError as exc:
            click.echo(f"refused: the chain does not verify: {exc.report.summary()}", err=True)
            sys.exit(1)
        except audit.CheckpointError as exc:
            raise click.ClickException(str(exc)) from exc
        summary = audit.chain_head_summary(session)
        session.rollback()
        _record(session, "audit.checkpoint", {**summary, "file": path.name})
    click.echo(str(path))


@audit_group.command("export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(audit_log.EXPORT_WRITERS)),
    required=True,
    help="csv (formula-like cells neutralised) or jsonl (one entry per line).",
)
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="File to write (default: standard output).",
)
def export_command(fmt: str, out_file: Path | None) -> None:
    """Export every entry, oldest first, with both MACs so the file can be rechecked."""
    writer = audit_log.EXPORT_WRITERS[fmt]
    with open_store() as (_settings, session):
        records = (audit_log.export_record(entry) for entry in audit_log.iter_entries(session))
        if out_file is None:
            count = writer(records, sys.stdout)
        else:
            with out_file.open("w", encoding="utf-8", newline="") as handle:
                count = writer(records, handle)
        session.rollback()
        _record(
            session,
            "audit.export",
            {"format": fmt, "count": count, "out": out_file.name if out_file else "-"},
        )
    if out_file is not None:
        click.echo(f"exported {count} entries to {out_file}", err=True)
