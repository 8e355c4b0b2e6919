"""``redactor demo --no-serve`` and ``redactor serve``: setup, printed passwords, gunicorn."""

from __future__ import annotations

import re
import sys

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from redactor.cli.serve import DEMO_USERS, demo_command, gunicorn_argv, serve_command
from redactor.models import Cable, User
from redactor.web import create_app

_ROW = re.compile(r"^\s+(?P<user>[a-z0-9._-]+)\s+(?P<role>[a-z_,]+)\s+(?P<level>[A-Z_]+)\s+"
                  r"(?P<password>\S{20,})$", re.MULTILINE)


@pytest.fixture
def demo(database_url, tmp_path):
    """``demo(*args) -> (Result, config)``: run ``redactor demo --no-serve`` on a temp instance."""
    instance = tmp_path / "demo-instance"
    config = {"DATABASE_URL": database_url, "AUDIT_KEY": "5e" * 32}

    def run(*args: str):
        result = CliRunner().invoke(
            demo_command, ["--no-serve", "--instance", str(instance), *args],
            obj={"config": config}, catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        return result, {**config, "INSTANCE": str(instance), "TESTING": True}

    return run


@pytest.fixture
def demo_app():
    apps = []

    def build(config):
        apps.append(create_app(config))
        return apps[-1]

    yield build
    for app in apps:
        app.extensions["redactor.engine"].dispose()


def _passwords(output: str) -> dict[str, str]:
    return {m.group("user"): m.group("password") for m in _ROW.finditer(output)}


def test_demo_creates_users_imports_samples_and_prints_passwords_once(demo, demo_app, login):
    result, config = demo()
    passwords = _passwords(result.output)
    assert set(passwords) == {spec.username for spec in DEMO_USERS}
    assert len(set(passwords.values())) == len(passwords)  # each generated on its own
    app = demo_app(config)
    with app.extensions["redactor.sessions"]() as db:
        assert db.scalar(select(func.count()).select_from(Cable)) > 0
        roles = {r for user in db.scalars(select(User)) for r in user.roles}
    assert {role.value for role in roles} == {
        "reviewer", "approver", "release_authority", "auditor", "admin"
    }
    client = app.test_client()
    login(client, "admin", passwords["admin"])
    assert client.get("/admin/users").status_code == 200


def test_low_clearance_demo_user_sees_fewer_cables(demo, demo_app, login):
    result, config = demo()
    passwords = _passwords(result.output)
    app = demo_app(config)

    def count(username):
        client = app.test_client()
        login(client, username, passwords[username])
        page = client.get("/cables").get_data(as_text=True)
        return int(re.search(r"(\d+) cables?", page).group(1))

    assert 0 < count("junior") < count("reviewer")


def test_second_demo_run_prints_no_passwords_and_keeps_them(demo, demo_app, login):
    first, config = demo()
    passwords = _passwords(first.output)
    second, _ = demo()
    assert _passwords(second.output) == {}
    assert "exist already" in second.output
    assert "imported 0" in second.output
    for password in passwords.values():
        assert password not in second.output
    login(demo_app(config).test_client(), "reviewer", passwords["reviewer"])


def test_reset_passwords_prints_new_ones(demo, demo_app, login):
    first, config = demo()
    old = _passwords(first.output)
    new = _passwords(demo("--reset-passwords")[0].output)
    assert set(new) == set(old) and all(new[u] != old[u] for u in old)
    client = demo_app(config).test_client()
    assert login(client, "auditor", old["auditor"], check=False).status_code == 200
    login(client, "auditor", new["auditor"])


def test_no_password_is_written_in_the_demo_code():
    from pathlib import Path

    import redactor.cli.serve as module

    source = Path(module.__file__).read_text()
    assert "generate_password(spec.username)" in source
    assert not re.search(r"password\s*=\s*[\"'][^\"']+[\"']", source)


def test_serve_requires_a_secret_key(monkeypatch):
    monkeypatch.delenv("REDACTOR_SECRET_KEY", raising=False)
    result = CliRunner().invoke(serve_command, [], obj={"config": {}})
    assert result.exit_code == 1
    assert "REDACTOR_SECRET_KEY" in result.output


def test_serve_runs_gunicorn_on_the_app_factory(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr("redactor.cli.serve.os.execv", lambda *a: calls.append(a))
    result = CliRunner().invoke(
        serve_command, ["--host", "127.0.0.1", "--port", "8123", "--workers", "3"],
        obj={"config": {"SECRET_KEY": "k" * 64, "INSTANCE": str(tmp_path / "inst")}},
    )
    assert result.exit_code == 0, result.output
    ((program, argv),) = calls
    assert program == sys.executable
    assert argv == gunicorn_argv("127.0.0.1", 8123, 3)
    assert argv[1:3] == ["-m", "gunicorn"] and argv[-1] == "redactor.web:create_app()"
    assert "127.0.0.1:8123" in argv and "3" in argv
    assert (tmp_path / "inst" / "audit.key").exists()


def test_gunicorn_binds_ipv6_in_brackets():
    assert "[::1]:8000" in gunicorn_argv("::1", 8000, 1)
