"""``redactor parse FILE... [--json]``: parse cable files and show what the parser found.

Each file is read as bytes and goes through :func:`decode_cable_bytes` (the one way text
enters the system), then :func:`parse_cable`. With ``--json`` each file gives one JSON object
on its own line (JSON Lines, see :mod:`redactor.cables.jsonview`); without it, a short
readable summary. A file that cannot be read or decoded gives a one-line error on stderr
(naming the file, and the byte offset for decoding errors); the other files are still parsed
and the command exits with status 1.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from redactor.cables.jsonview import cable_to_dict
from redactor.cables.parser import Cable, CableParseError, decode_cable_bytes, parse_cable


def _summary(path: str, cable: Cable) -> str:
    d = cable_to_dict(cable, path)
    portions = [p for p in cable.paragraphs if p.kind == "portion"]
    marked = sum(1 for p in portions if p.marking is not None)
    levels = sorted({p.marking.level for p in portions if p.marking and p.marking.level})
    lines = [
        f"{path}: {d['reference_id'] or '?'}",
        f"  classification: {d['classification'] or '-'}   origin: {d['origin'] or '-'}",
        f"  created: {d['created'] or '-'}   released: {d['released'] or '-'}",
        f"  banner: {d['banner'] or '-'}   caveats: {' '.join(d['caveats']) or '-'}",
        f"  decl: {d['decl']['text'] or '-'} ({d['decl']['date'] or 'no date'})",
        f"  tags: {', '.join(d['tags']) or '-'}",
        f"  subject: {d['subject'] or '-'}",
        f"  references: {len(d['references'])} "
        f"({', '.join(r['cable_id'] for r in d['references'] if r['cable_id']) or '-'})",
        f"  classified by: {d['classified_by']['by'] or '-'} "
        f"{' '.join(d['classified_by']['reasons'])}",
        f"  portions: {len(portions)} ({marked} marked; levels {', '.join(levels) or '-'}), "
        f"headings: {len(cable.paragraphs) - len(portions)}, "
        f"page breaks: {len(cable.page_breaks)}, withheld: {len(cable.withheld)}",
        f"  signature: {d['signature'] or '-'}",
    ]
    for w in cable.warnings:
        lines.append(f"  warning {w.code} at {w.start}: {w.message}")
    return "\n".join(lines)


@click.command("parse")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file (JSON Lines).")
def parse_command(files: tuple[str, ...], as_json: bool) -> None:
    """Parse cable FILES and print what was found in each."""
    failed = False
    for name in files:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            click.echo(f"{name}: cannot read: {exc.strerror or exc}", err=True)
            failed = True
            continue
        try:
            text = decode_cable_bytes(data)
        except CableParseError as exc:
            where = f" at byte {exc.byte_offset}" if exc.byte_offset is not None else ""
            click.echo(f"{name}: cannot decode{where}: {exc}", err=True)
            failed = True
            continue
        cable = parse_cable(text)
        if as_json:
            click.echo(json.dumps(cable_to_dict(cable, name), ensure_ascii=False))
        else:
            click.echo(_summary(name, cable))
    if failed:
        raise SystemExit(1)
