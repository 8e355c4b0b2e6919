"""The application factory and the migrated schema."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from redactor.web import create_app


def test_create_app_without_secret_key_outside_demo_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("REDACTOR_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="REDACTOR_SECRET_KEY"):
        create_app({"INSTANCE": str(tmp_path)})


def test_environment_variables_configure_the_app(tmp_path, monkeypatch):
    monkeypatch.setenv("REDACTOR_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("REDACTOR_APPROVALS_REQUIRED", "2")
    app = create_app({"INSTANCE": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["APPROVALS_REQUIRED"] == 2
    assert app.config["DATABASE_URL"].endswith("redactor.sqlite3")
    app.extensions["redactor.engine"].dispose()


def test_migrations_create_every_model_table(app):
    from redactor.models import Base

    tables = set(inspect(app.extensions["redactor.engine"]).get_table_names())
    assert set(Base.metadata.tables) <= tables
