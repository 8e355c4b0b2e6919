"""Alembic environment: runs migrations on the engine :func:`redactor.db.make_engine` builds."""

from __future__ import annotations

from alembic import context

from redactor.db import make_engine
from redactor.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run the migrations in one transaction on a connection to the configured URL."""
    url = context.config.get_main_option("sqlalchemy.url")
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild a table (copy, drop, rename). With foreign keys
            # enforced, SQLite checks each copied row against tables that are themselves being
            # rebuilt and refuses a populated database; SQLite's documented procedure for a
            # rebuild is to switch enforcement off outside the transaction and to run
            # foreign_key_check before committing (below). The pragma is a no-op inside a
            # transaction, hence the raw connection before Alembic begins one.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left broken foreign keys: {broken[:5]}")
        if sqlite:
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")
    engine.dispose()


run_migrations_online()
