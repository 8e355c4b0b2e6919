"""The ``redactor`` command: one click group; each area's commands live in their own module."""

from __future__ import annotations

import click

from redactor.web.cli_parse import parse_command


@click.group()
@click.version_option(package_name="redactor")
def main() -> None:
    """redactor: a declassification redaction workbench for diplomatic cables."""


main.add_command(parse_command)
