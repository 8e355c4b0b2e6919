"""Engine and session factory, SQLite pragmas, and the migrations hook.

SQLite is the default (one file in the instance folder); PostgreSQL is chosen by giving a
``postgresql+psycopg://`` URL. On SQLite a transaction that may write starts with ``BEGIN
IMMEDIATE``: with SQLite's default deferred ``BEGIN`` two transactions that read and then
write fail with "database is locked" instead of waiting, which would lose a reviewer's
decision.

Sessions can be marked read-only (:func:`read_only`; the web layer does so for GET
requests). Their transactions start with a deferred ``BEGIN`` under ``PRAGMA query_only`` on
SQLite, so readers never take the write lock and never wait for each other, and with ``SET
TRANSACTION READ ONLY`` on PostgreSQL: on both engines a write in them fails loudly instead of
racing. The few reads that must leave a trace (viewing a classified cable, a download) call
:func:`allow_writes` first.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000
#: How long a writer waiting for SQLite's write lock sleeps between tries.
_BEGIN_RETRY_SECONDS = 0.0005

#: ``session.info`` key: True while the session's transactions are read-only.
_READ_ONLY = "redactor.read_only"
#: Execution option of the connections sessions use: their BEGIN is emitted by
#: :func:`_begin_session_transaction`, which knows whether the session is read-only.
_SESSION_BEGINS = "redactor_session_begins"
#: ``Connection.info`` key (it lives as long as the DBAPI connection): the connection's
#: current ``PRAGMA query_only``, so that it is only sent when it changes.
_QUERY_ONLY = "redactor.query_only"


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
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(_SESSION_BEGINS):
            return  # a session's transaction: see _begin_session_transaction
        _begin_sqlite(connection, read_only=False)


def _begin_sqlite(connection: Connection, *, read_only: bool) -> None:
    if connection.info.get(_QUERY_ONLY, False) != read_only:
        connection.exec_driver_sql(f"PRAGMA query_only={int(read_only)}")
        connection.info[_QUERY_ONLY] = read_only
    if read_only:
        connection.exec_driver_sql("BEGIN")
    else:
        _begin_immediate(connection)


def _begin_immediate(connection: Connection) -> None:
    """``BEGIN IMMEDIATE``, waiting for the write lock up to the busy timeout.

    SQLite's own busy handler sleeps in growing steps (up to 100 ms) between tries, so a
    writer that arrives just after another one typically waits far longer than the other
    holds the lock: under load that makes the slowest requests. This tries again every half
    millisecond instead; once the lock is held, the busy timeout applies again as before.
    """
    raw: sqlite3.Connection = connection.connection.driver_connection
    raw.execute("PRAGMA busy_timeout=0")
    try:
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if getattr(error, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
                    break  # not a matter of waiting
            time.sleep(_BEGIN_RETRY_SECONDS)
        # Timed out, or failed otherwise: the last try raises the error as SQLAlchemy
        # reports any other (OperationalError: database is locked).
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def _begin_session_transaction(
    session: Session, transaction: SessionTransaction, connection: Connection
) -> None:
    if transaction.nested:
        return  # a savepoint inside a transaction already begun
    read_only = is_read_only(session)
    if connection.dialect.name == "sqlite":
        if connection.get_execution_options().get(_SESSION_BEGINS):
            _begin_sqlite(connection, read_only=read_only)
    elif read_only:
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")


def make_session_factory(engine: Engine, *, audit_key: bytes) -> sessionmaker[Session]:
    """A session factory whose sessions carry the audit key in ``session.info``.

    Sessions do not expire objects on commit, since views render after committing. They
    write unless marked :func:`read_only`.
    """
    bind = engine
    if engine.dialect.name == "sqlite":
        bind = engine.execution_options(**{_SESSION_BEGINS: True})
    factory = sessionmaker(bind=bind, expire_on_commit=False, info={"audit_key": audit_key})
    event.listen(factory, "after_begin", _begin_session_transaction)
    return factory


def read_only(session: Session) -> None:
    """Make the transactions ``session`` begins from now on read-only (see the module
    docstring). Call it before the session's first query."""
    session.info[_READ_ONLY] = True


def is_read_only(session: Session) -> bool:
    """True if ``session`` was marked :func:`read_only` and not given :func:`allow_writes`."""
    return bool(session.info.get(_READ_ONLY))


def allow_writes(session: Session) -> None:
    """Let ``session`` write from now on: a no-op for a session that already may.

    A read-only transaction in progress is ended first; it holds no changes (the database
    refuses them in it), and loaded objects stay usable since sessions do not expire them on
    commit. The next statement begins a write transaction (``BEGIN IMMEDIATE`` on SQLite).
    """
    if not is_read_only(session):
        return
    session.info[_READ_ONLY] = False
    if session.in_transaction():
        session.commit()


def is_sqlite(engine_or_session: Engine | Session) -> bool:
    """True if the engine (or the session's bind) is SQLite."""
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else (
        engine_or_session
    )
    return bind.dialect.name == "sqlite"
