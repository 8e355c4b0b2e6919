"""The ``redactor`` command: one click group; each area's commands live in their own module."""

from __future__ import annotations

import click

from redactor.web.cli_audit import audit_group
from redactor.web.cli_db import db_group
from redactor.web.cli_declassify import declassify_group
from redactor.web.cli_import import import_command
from redactor.web.cli_parse import parse_command
from redactor.web.cli_release import export_package_command
from redactor.web.cli_serve import demo_command, serve_command
from redactor.web.cli_tokens import token_group
from redactor.web.cli_users import user_group


@click.group()
@click.version_option(package_name="redactor")
def main() -> None:
    """redactor: a declassification redaction workbench for diplomatic cables."""


for command in (
    parse_command,
    import_command,
    db_group,
    user_group,
    token_group,
    audit_group,
    export_package_command,
    demo_command,
    serve_command,
    declassify_group,
):
    main.add_command(command)
