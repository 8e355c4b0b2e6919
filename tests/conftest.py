"""Shared fixtures: a migrated database per test, the app, a session and a test client.

The database is SQLite by default. With ``REDACTOR_TEST_POSTGRES_URL`` set (a URL of a
PostgreSQL server's maintenance database that may create databases), every test gets its own
PostgreSQL database instead, cloned from a template migrated once per run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from redactor.migrations import upgrade_database
from redactor.web import create_app

pytest_plugins = ["tests.fixtures_accounts", "tests.fixtures_store"]

POSTGRES_ADMIN_URL = os.environ.get("REDACTOR_TEST_POSTGRES_URL", "")
TEST_AUDIT_KEY = "5e" * 32
TEST_SECRET_KEY = "test-secret-key-not-for-production"


def _postgres_admin_engine():
    return create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per run: a file (SQLite) or a database name (PG)."""
    if POSTGRES_ADMIN_URL:
        name = f"redactor_template_{uuid.uuid4().hex[:8]}"
        admin = _postgres_admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        upgrade_database(make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False))
        yield name
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        upgrade_database(f"sqlite:///{path}")
        yield str(path)


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated, empty database for this test alone."""
    with fresh_database(template_database, tmp_path / "redactor.sqlite3") as url:
        yield url


@contextmanager
def fresh_database(template_database: str, sqlite_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database made from the template, dropped on leaving: a copy
    of the template file at ``sqlite_path``, or on PostgreSQL a database of a random name."""
    if POSTGRES_ADMIN_URL:
        name = f"redactor_test_{uuid.uuid4().hex[:12]}"
        admin = _postgres_admin_engine()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        shutil.copyfile(template_database, sqlite_path)
        yield f"sqlite:///{sqlite_path}"


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict:
    """The settings the test app is built with; tests may change them before ``app``."""
    instance = tmp_path / "instance"
    instance.mkdir()
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "INSTANCE": str(instance),
        "SECRET_KEY": TEST_SECRET_KEY,
        "AUDIT_KEY": TEST_AUDIT_KEY,
    }


@pytest.fixture
def app(app_config: dict):
    """The application on this test's database."""
    application = create_app(app_config)
    yield application
    application.extensions["redactor.engine"].dispose()


@pytest.fixture
def session(app):
    """A database session outside any request; the test commits what it wants kept."""
    db = app.extensions["redactor.sessions"]()
    yield db
    db.close()


@pytest.fixture
def client(app):
    """A test client (CSRF is on, as in production)."""
    return app.test_client()
