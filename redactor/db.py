"""Engine and session factory, SQLite pragmas, and the migrations hook.

SQLite is the default (one file in the instance folder); PostgreSQL is chosen by giving a
``postgresql+psycopg://`` URL. On SQLite every transaction starts with ``BEGIN IMMEDIATE``:
with SQLite's default deferred ``BEGIN`` two transactions that read and then write fail with
"database is locked" instead of waiting, which would lose a reviewer's decision.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000


def sqlite_url(instance_path: str | Path) -> str:
    """The URL of the default SQLite database inside ``instance_path``."""
    return f"sqlite:///{Path(instance_path) / 'redactor.sqlite3'}"


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url``; on SQLite, set the pragmas the store relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no branch - trivial
        # Take transaction control away from the sqlite3 module, so that the "begin"
        # listener below decides how each transaction starts.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine, *, audit_key: bytes) -> sessionmaker[Session]:
    """A session factory whose sessions carry the audit key in ``session.info``.

    Sessions do not expire objects on commit, since views render after committing.
    """
    return sessionmaker(bind=engine, expire_on_commit=False, info={"audit_key": audit_key})


def is_sqlite(engine_or_session: Engine | Session) -> bool:
    """True if the engine (or the session's bind) is SQLite."""
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else (
        engine_or_session
    )
    return bind.dialect.name == "sqlite"
