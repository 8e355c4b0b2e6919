"""The ``redactor`` command: one click group; each command group lives in its own module.

The command line is a door of its own beside the web application (:mod:`redactor.web`): it
calls the same services, opening the configured store through :mod:`redactor.cli.store`.
Only ``redactor serve``/``demo`` reach into the web layer, to build the application.
"""

from __future__ import annotations

import click

from redactor.cli.audit import audit_group
from redactor.cli.db import db_group
from redactor.cli.declassify import declassify_group
from redactor.cli.importing import import_command
from redactor.cli.parse import parse_command
from redactor.cli.release import export_package_command
from redactor.cli.serve import demo_command, serve_command
from redactor.cli.tokens import token_group
from redactor.cli.twins import twins_group
from redactor.cli.users import user_group


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
    twins_group,
):
    main.add_command(command)
