"""The hash-chained, append-only record of every action.

Each entry's ``mac`` is HMAC-SHA256(key, previous entry's mac + canonical JSON of the entry),
so editing, removing or reordering an entry breaks the chain from there on; the key lives
outside the database. :func:`record` appends in the caller's transaction, so an action and
its entry are committed together or not at all.

The session carries what every entry needs but no service should have to pass around:
``session.info["audit_key"]`` (bytes, set by the session factory) and, in a request,
``session.info["client_addr"]``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from redactor.models import AuditEntry, User

GENESIS_MAC = "0" * 64
AUDIT_KEY_FILE = "audit.key"

# Any fixed number: the PostgreSQL advisory lock that serialises appends to the chain.
_PG_CHAIN_LOCK = 0x5245_4441


class AuditKeyError(RuntimeError):
    """The audit key is missing or malformed."""


def load_audit_key(instance_path: str | Path, configured: str | None) -> bytes:
    """The audit HMAC key: ``configured`` (hex) if given, else the instance's key file.

    The file is created with mode 0600 on first use. Raises ``AuditKeyError`` for a key that
    is not hex or shorter than 32 bytes.
    """
    if configured:
        raw = configured.strip()
    else:
        path = Path(instance_path) / AUDIT_KEY_FILE
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
        raw = path.read_text().strip()
    try:
        key = bytes.fromhex(raw)
    except ValueError as exc:
        raise AuditKeyError("the audit key must be hexadecimal") from exc
    if len(key) < 32:
        raise AuditKeyError("the audit key must be at least 32 bytes (64 hex digits)")
    return key


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: the form that is MACed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_body(entry: AuditEntry) -> dict[str, Any]:
    """The fields of ``entry`` covered by its MAC (everything but the MACs themselves)."""
    return {
        "seq": entry.seq,
        "at": _iso(entry.at),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "payload": json.loads(entry.payload),
        "client_addr": entry.client_addr,
    }


def compute_mac(key: bytes, prev_mac: str, body: dict[str, Any]) -> str:
    """HMAC-SHA256 of the previous MAC and the canonical JSON of ``body``, in hex."""
    message = prev_mac.encode("ascii") + canonical_json(body).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def _iso(moment: datetime) -> str:
    # SQLite gives back naive datetimes; every stored time is UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _lock_chain(session: Session) -> None:
    # SQLite: the transaction already holds the write lock (BEGIN IMMEDIATE), so appends are
    # serialised. PostgreSQL: take a transaction-scoped lock before reading the head.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHAIN_LOCK})


def head(session: Session) -> AuditEntry | None:
    """The newest entry of the chain, or None when it is empty."""
    return session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).first()


def record(
    session: Session,
    actor: User | None,
    action: str,
    subject: tuple[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append an entry for ``action`` by ``actor`` on ``subject`` (object type, id).

    ``data`` is the JSON payload (before/after, hashes...). Flushes, never commits: the entry
    lands with the caller's transaction. Raises ``AuditKeyError`` if the session has no key.
    """
    key = session.info.get("audit_key")
    if not key:
        raise AuditKeyError("the database session carries no audit key")
    _lock_chain(session)
    previous = head(session)
    object_type, object_id = subject if subject is not None else ("", "")
    entry = AuditEntry(
        seq=(previous.seq + 1) if previous else 1,
        at=datetime.now(UTC),
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else "",
        action=action,
        object_type=object_type,
        object_id="" if object_id is None else str(object_id),
        payload=canonical_json(data or {}),
        client_addr=session.info.get("client_addr", "") or "",
        prev_mac=previous.mac if previous else GENESIS_MAC,
    )
    entry.mac = compute_mac(key, entry.prev_mac, entry_body(entry))
    session.add(entry)
    session.flush()
    return entry
