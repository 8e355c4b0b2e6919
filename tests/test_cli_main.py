"""The ``redactor`` command offers every area's commands."""

from __future__ import annotations

from click.testing import CliRunner

from redactor.cli import main


def test_redactor_help_lists_every_command():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    names = ("parse", "import", "db", "user", "token", "audit", "export-package", "demo", "serve")
    for name in names:
        assert f"  {name} " in result.output, name


def test_unknown_command_fails_with_a_usage_error():
    result = CliRunner().invoke(main, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output
