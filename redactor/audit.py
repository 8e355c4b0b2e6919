"""The hash-chained, append-only record of every action.

Each entry's ``mac`` is HMAC-SHA256(key, previous entry's mac + canonical JSON of the entry),
so editing, removing or reordering an entry breaks the chain from there on; the key lives
outside the database. :func:`record` appends in the caller's transaction, so an action and
its entry are committed together or not at all.

The session carries what every entry needs but no service should have to pass around:
``session.info["audit_key"]`` (bytes, set by the session factory) and, in a request,
``session.info["client_addr"]``.

A chain alone cannot show that its newest entries were removed, or that the whole database was
put back to an older copy: both leave a shorter chain that is still valid. Signed
*checkpoints* close that gap. :func:`write_checkpoint` signs the head (seq, MAC, count) with an
Ed25519 key kept in the instance folder and writes it as a small JSON file meant to be copied
somewhere the database's administrators cannot rewrite; :func:`verify` compares the chain with
every checkpoint it is given. The HMAC key proves entries were written by the application; the
signing key proves a checkpoint was, so a checkpoint found next to a database cannot be forged
by someone who only holds the database.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import Select, String, and_, func, insert, or_, select, text
from sqlalchemy.orm import Session

from redactor.db import allow_writes
from redactor.models import AuditEntry, Cable, User

GENESIS_MAC = "0" * 64
AUDIT_KEY_FILE = "audit.key"
SIGNING_KEY_FILE = "audit-signing.key"
PUBLIC_KEY_FILE = "audit-signing.pub"
CHECKPOINT_DIR = "checkpoints"

# Any fixed number: the PostgreSQL advisory lock that serialises appends to the chain.
_PG_CHAIN_LOCK = 0x5245_4441

# Rows fetched per round trip while verifying or exporting: memory stays flat on long logs.
_STREAM_BATCH = 2000

# More faults than this are counted but not kept: the first one is what matters.
_MAX_FAULTS = 100

#: Columns of the audit export, in order (CSV header, JSON Lines keys).
EXPORT_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "payload",
    "client_addr",
    "prev_mac",
    "mac",
)


class AuditKeyError(RuntimeError):
    """The audit key is missing or malformed."""


class CheckpointError(ValueError):
    """A checkpoint file is unreadable, malformed, or its signature does not verify."""


class AuditChainError(RuntimeError):
    """The chain failed verification where a sound chain is required (``report`` says why)."""

    def __init__(self, report: VerifyReport) -> None:
        super().__init__(report.summary())
        self.report = report


# --------------------------------------------------------------------------------------------
# Keys


def _create_secret_file(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` with mode 0600, unless the file already exists.

    The content is written to a private temporary file first and then linked into place, so a
    concurrent reader never sees a half-written key and two processes never both win.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process created it first: theirs is the key
    finally:
        temporary.unlink(missing_ok=True)


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
            _create_secret_file(path, (secrets.token_hex(32) + "\n").encode("ascii"))
        raw = path.read_text().strip()
    try:
        key = bytes.fromhex(raw)
    except ValueError as exc:
        raise AuditKeyError("the audit key must be hexadecimal") from exc
    if len(key) < 32:
        raise AuditKeyError("the audit key must be at least 32 bytes (64 hex digits)")
    return key


def load_signing_key(instance_path: str | Path) -> Ed25519PrivateKey:
    """The instance's checkpoint signing key, created (mode 0600) on first use.

    The public half is exported beside it as ``audit-signing.pub`` (PEM) whenever that file is
    missing. Raises ``CheckpointError`` if the key file holds something else than an Ed25519
    private key.
    """
    folder = Path(instance_path)
    path = folder / SIGNING_KEY_FILE
    if not path.exists():
        fresh = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        _create_secret_file(path, fresh)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError as exc:
        raise CheckpointError(f"{path.name} is not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path.name} is not an Ed25519 key")
    public_path = folder / PUBLIC_KEY_FILE
    if not public_path.exists():
        pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        temporary = public_path.with_name(f".{public_path.name}.{secrets.token_hex(8)}")
        temporary.write_bytes(pem)
        os.replace(temporary, public_path)
    return key


def load_public_key(source: Ed25519PublicKey | bytes | str | Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a key object, PEM bytes, 64 hex digits, or a PEM file path.

    Raises ``CheckpointError`` for anything else.
    """
    if isinstance(source, Ed25519PublicKey):
        return source
    if isinstance(source, Path):
        try:
            source = source.read_bytes()
        except OSError as exc:
            raise CheckpointError(f"cannot read public key {source.name}: {exc}") from exc
    try:
        if isinstance(source, str):
            return Ed25519PublicKey.from_public_bytes(bytes.fromhex(source.strip()))
        if source.lstrip().startswith(b"-----"):
            key = serialization.load_pem_public_key(source)
        else:
            key = Ed25519PublicKey.from_public_bytes(source)
    except ValueError as exc:
        raise CheckpointError("not an Ed25519 public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError("not an Ed25519 public key")
    return key


def instance_public_key(instance_path: str | Path) -> Ed25519PublicKey | None:
    """The public checkpoint key exported in the instance folder, or None if there is none."""
    path = Path(instance_path) / PUBLIC_KEY_FILE
    return load_public_key(path) if path.exists() else None


def _public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


# --------------------------------------------------------------------------------------------
# Appending


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: the form that is MACed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_body(entry: AuditEntry) -> dict[str, Any]:
    """The fields of ``entry`` covered by its MAC (everything but the MACs themselves).

    ``entry`` may also be a result row with the same attributes. Raises ``ValueError`` if the
    stored payload is not JSON.
    """
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


def chain_head_summary(session: Session) -> dict[str, Any]:
    """``{"seq": ..., "mac": ...}`` of the newest entry (seq 0 and the genesis MAC if none).

    This is what a release manifest carries, so that a later verification can tell whether the
    log still reaches the state it had when the release was made.
    """
    newest = session.execute(
        select(AuditEntry.seq, AuditEntry.mac).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    if newest is None:
        return {"seq": 0, "mac": GENESIS_MAC}
    return {"seq": newest.seq, "mac": newest.mac}


def _start_append(session: Session) -> tuple[bytes, dict[str, Any]]:
    """The audit key and the chain's head, read under the chain lock: what every append
    (:func:`record`, :func:`record_many`) starts with.

    In a read-only session (a GET request) the read transaction is ended first and the
    entries go in a write transaction (:func:`redactor.db.allow_writes`): reads that must
    leave a trace, such as viewing a classified cable, are the only entries such requests
    make."""
    key = session.info.get("audit_key")
    if not key:
        raise AuditKeyError("the database session carries no audit key")
    allow_writes(session)
    _lock_chain(session)
    return key, chain_head_summary(session)


def _now() -> datetime:
    return datetime.now(UTC)


#: What one entry is about: ``(action, subject, data)``, the arguments of :func:`record`.
EntrySpec = tuple[str, tuple[str, Any] | None, dict[str, Any] | None]


def _chain_entries(
    session: Session,
    key: bytes,
    actor: User | None,
    specs: Iterable[EntrySpec],
    previous: dict[str, Any],
) -> Iterator[dict[str, Any]]:
    """The column values of the entries for ``specs``, chained on from ``previous`` (the
    head: seq and MAC). The one place an entry is built, for :func:`record` and
    :func:`record_many` alike."""
    seq, prev_mac = previous["seq"], previous["mac"]
    actor_id = actor.id if actor is not None else None
    actor_name = actor.username if actor is not None else ""
    client_addr = session.info.get("client_addr", "") or ""
    for action, subject, data in specs:
        object_type, object_id = subject if subject is not None else ("", "")
        seq += 1
        fields: dict[str, Any] = {
            "seq": seq,
            "at": _now(),
            "actor_id": actor_id,
            "actor_name": actor_name,
            "action": action,
            "object_type": object_type,
            "object_id": "" if object_id is None else str(object_id),
            "payload": canonical_json(data or {}),
            "client_addr": client_addr,
            "prev_mac": prev_mac,
        }
        # entry_body reads attributes, as it does from a stored row.
        fields["mac"] = compute_mac(key, prev_mac, entry_body(SimpleNamespace(**fields)))
        prev_mac = fields["mac"]
        yield fields


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
    key, previous = _start_append(session)
    (fields,) = _chain_entries(session, key, actor, [(action, subject, data)], previous)
    entry = AuditEntry(**fields)
    session.add(entry)
    session.flush()
    return entry


def record_many(
    session: Session, actor: User | None, specs: Iterable[EntrySpec]
) -> dict[str, Any]:
    """Append one entry per ``(action, subject, data)`` of ``specs``, in order, by ``actor``.

    The entries (seq, prev_mac, mac, every field) are those that calling :func:`record` once
    per spec would write, but they are inserted with one statement and no ORM objects: for
    a batch that audits hundreds of actions at once. Flushes pending ORM changes first (as
    reading the head does), never commits. Returns the new head, ``{"seq": ..., "mac": ...}``
    (the old one if ``specs`` is empty). Raises ``AuditKeyError`` if the session has no key.
    """
    key, previous = _start_append(session)
    rows = list(_chain_entries(session, key, actor, specs, previous))
    if not rows:
        return previous
    session.execute(insert(AuditEntry.__table__), rows)
    return {"seq": rows[-1]["seq"], "mac": rows[-1]["mac"]}


# --------------------------------------------------------------------------------------------
# Checkpoints


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement that the chain had ``count`` entries ending in ``seq`` / ``mac``."""

    seq: int
    mac: str
    at: str
    count: int
    public_key: str
    signature: str
    source: str = ""  # the file it was read from, for messages

    def signed_part(self) -> dict[str, Any]:
        """The fields covered by the signature."""
        return {
            "seq": self.seq,
            "mac": self.mac,
            "at": self.at,
            "count": self.count,
            "public_key": self.public_key,
        }


def write_checkpoint(
    session: Session, instance_path: str | Path, out_dir: str | Path | None = None
) -> Path:
    """Sign the chain's head and write it to ``out_dir`` (default ``INSTANCE/checkpoints``).

    Before signing, the whole chain is verified with the session's audit key, together with
    the checkpoints already in ``out_dir``: a checkpoint never blesses a broken chain or one
    that went back in time. Raises ``AuditChainError`` (nothing written) if that fails.
    Returns the path of the new file, ``checkpoint-<seq>-<time>.json``.
    """
    key = session.info.get("audit_key")
    if not key:
        raise AuditKeyError("the database session carries no audit key")
    signing_key = load_signing_key(instance_path)
    public = signing_key.public_key()
    folder = Path(out_dir) if out_dir is not None else Path(instance_path) / CHECKPOINT_DIR
    earlier, problems = load_checkpoint_dir(folder, public)
    report = verify(session, key, checkpoints=earlier)
    report = report.with_faults(problems)
    if not report.ok:
        raise AuditChainError(report)

    now = datetime.now(UTC)
    unsigned = {
        "seq": report.head_seq,
        "mac": report.head_mac,
        "at": now.isoformat(timespec="microseconds"),
        "count": report.count,
        "public_key": _public_hex(public),
    }
    signature = signing_key.sign(canonical_json(unsigned).encode("utf-8")).hex()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"checkpoint-{report.head_seq:010d}-{now.strftime('%Y%m%dT%H%M%S%fZ')}.json"
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps({**unsigned, "signature": signature}, indent=2) + "\n")
    os.replace(temporary, path)
    return path


def load_checkpoint(
    path: str | Path, public_key: Ed25519PublicKey | bytes | str | Path
) -> Checkpoint:
    """Read the checkpoint at ``path`` and check its signature against ``public_key``.

    The trusted key is the argument, never the one written in the file. Raises
    ``CheckpointError`` for an unreadable or malformed file, a checkpoint signed by another
    key, or a signature that does not verify (a forged or edited checkpoint).
    """
    path = Path(path)
    trusted = load_public_key(public_key)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CheckpointError(f"{path.name}: unreadable checkpoint ({exc})") from exc
    expected = {"seq", "mac", "at", "count", "public_key", "signature"}
    if not isinstance(raw, dict) or set(raw) != expected:
        raise CheckpointError(f"{path.name}: not a checkpoint (fields {sorted(expected)})")
    if not (
        type(raw["seq"]) is int
        and type(raw["count"]) is int
        and raw["seq"] >= 0
        and all(isinstance(raw[name], str) for name in expected - {"seq", "count"})
    ):
        raise CheckpointError(f"{path.name}: malformed checkpoint")
    checkpoint = Checkpoint(**raw, source=path.name)
    if checkpoint.public_key != _public_hex(trusted):
        raise CheckpointError(f"{path.name}: signed by another key")
    try:
        trusted.verify(
            bytes.fromhex(checkpoint.signature),
            canonical_json(checkpoint.signed_part()).encode("utf-8"),
        )
    except (ValueError, InvalidSignature) as exc:
        raise CheckpointError(f"{path.name}: the signature does not verify (forged?)") from exc
    return checkpoint


def load_checkpoint_dir(
    folder: str | Path, public_key: Ed25519PublicKey | bytes | str | Path | None
) -> tuple[list[Checkpoint], list[Fault]]:
    """Every ``*.json`` checkpoint in ``folder`` (none if it does not exist).

    A file that does not load is returned as a :class:`Fault` instead of raising, so that one
    bad file is reported alongside the chain's own state. Without a public key, any
    checkpoint present is a fault (it cannot be checked).
    """
    folder = Path(folder)
    paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return load_checkpoint_files(paths, public_key, label=lambda path: path.name)


def load_checkpoint_files(
    paths: Iterable[Path],
    public_key: Ed25519PublicKey | bytes | str | Path | None,
    *,
    label: Callable[[Path], str] = str,
) -> tuple[list[Checkpoint], list[Fault]]:
    """The checkpoints in ``paths``; each file that does not load (or cannot be checked, with
    no public key) becomes a :class:`Fault` named by ``label(path)`` instead of raising."""
    loaded: list[Checkpoint] = []
    problems: list[Fault] = []
    for path in paths:
        if public_key is None:
            problems.append(Fault(None, "checkpoint unverifiable", f"{label(path)}: no public key"))
            continue
        try:
            loaded.append(load_checkpoint(path, public_key))
        except CheckpointError as exc:
            problems.append(Fault(None, "bad checkpoint", str(exc)))
    return loaded, problems


# --------------------------------------------------------------------------------------------
# Verification


@dataclass(frozen=True)
class Fault:
    """One thing wrong: at entry ``seq`` (None when it concerns no single entry)."""

    seq: int | None
    kind: str
    detail: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "checkpoint"
        return f"{where}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of :func:`verify`: ``ok`` when there is no fault at all."""

    count: int
    head_seq: int
    head_mac: str
    checkpoints: int = 0
    faults: tuple[Fault, ...] = field(default_factory=tuple)
    more_faults: int = 0  # found but not kept

    @property
    def ok(self) -> bool:
        return not self.faults

    @property
    def first_fault(self) -> Fault | None:
        """The fault at the lowest seq (entry faults first, then checkpoint problems)."""
        if not self.faults:
            return None
        return min(self.faults, key=lambda f: (f.seq is None, f.seq or 0))

    def with_faults(self, extra: Iterable[Fault]) -> VerifyReport:
        """A copy with ``extra`` faults added."""
        return VerifyReport(
            self.count,
            self.head_seq,
            self.head_mac,
            self.checkpoints,
            self.faults + tuple(extra),
            self.more_faults,
        )

    def summary(self) -> str:
        """One line: ``ok: N entries, head seq S mac M`` or ``FAULT at seq S: ...``."""
        if self.ok:
            text_ = f"ok: {self.count} entries, head seq {self.head_seq} mac {self.head_mac}"
            if self.checkpoints:
                text_ += f", {self.checkpoints} checkpoint(s) match"
            return text_
        total = len(self.faults) + self.more_faults
        return f"FAULT {self.first_fault} ({total} fault(s) in all)"

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view (for the audit entry of a verification)."""
        first = self.first_fault
        return {
            "ok": self.ok,
            "count": self.count,
            "head_seq": self.head_seq,
            "head_mac": self.head_mac,
            "checkpoints": self.checkpoints,
            "faults": len(self.faults) + self.more_faults,
            "first_fault": None if first is None else str(first),
        }


_CHAIN_COLUMNS = (
    AuditEntry.seq,
    AuditEntry.at,
    AuditEntry.actor_id,
    AuditEntry.actor_name,
    AuditEntry.action,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.payload,
    AuditEntry.client_addr,
    AuditEntry.prev_mac,
    AuditEntry.mac,
)


def _stream(session: Session, query: Select) -> Iterator[Any]:
    """Rows of ``query`` fetched in batches (a server-side cursor on PostgreSQL)."""
    result = session.execute(query.execution_options(yield_per=_STREAM_BATCH))
    try:
        yield from result
    finally:
        result.close()


def verify(session: Session, key: bytes, *, checkpoints: Iterable[Checkpoint] = ()) -> VerifyReport:
    """Recompute the chain from seq 1 with ``key`` and compare it with ``checkpoints``.

    Per entry, in this order: the seq follows the previous one (else "sequence gap"), the
    stored ``prev_mac`` is the previous entry's MAC ("prev_mac mismatch": reordered or
    removed entries), the payload is JSON ("malformed payload"), and the MAC recomputes
    ("mac mismatch": an edited field, or an entry re-MACed without the key). Each entry is
    then checked against its own stored MACs, so one edit yields one fault rather than a
    cascade. Against each checkpoint: the chain must reach its seq ("tail missing": entries
    deleted from the end, or the database restored from an older copy) and hold its MAC there
    ("checkpoint mismatch": history rewritten or restored and continued).

    Rows are streamed, never all loaded. Returns a :class:`VerifyReport`; raises nothing for
    a broken chain.
    """
    wanted: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        wanted.setdefault(checkpoint.seq, []).append(checkpoint)
    seen_at: dict[int, str] = {}
    faults: list[Fault] = []
    dropped = 0

    def fault(seq: int | None, kind: str, detail: str) -> None:
        nonlocal dropped
        if len(faults) < _MAX_FAULTS:
            faults.append(Fault(seq, kind, detail))
        else:
            dropped += 1

    count = 0
    previous_seq = 0
    previous_mac = GENESIS_MAC
    query = select(*_CHAIN_COLUMNS).order_by(AuditEntry.seq)
    for row in _stream(session, query):
        count += 1
        if row.seq in wanted:
            seen_at[row.seq] = row.mac
        if row.seq != previous_seq + 1:
            missing = (
                f"seq {previous_seq + 1}"
                if row.seq == previous_seq + 2
                else f"seq {previous_seq + 1}..{row.seq - 1}"
            )
            fault(row.seq, "sequence gap", f"{missing} missing before this entry")
        elif row.prev_mac != previous_mac:
            fault(
                row.seq,
                "prev_mac mismatch",
                f"links to {row.prev_mac[:16]}..., the previous entry is {previous_mac[:16]}...",
            )
        else:
            try:
                body = entry_body(row)
            except ValueError:
                fault(row.seq, "malformed payload", "the stored payload is not JSON")
            else:
                if not hmac.compare_digest(compute_mac(key, row.prev_mac, body), row.mac):
                    fault(
                        row.seq,
                        "mac mismatch",
                        f"{row.action!r} by {row.actor_name!r}: content changed since written",
                    )
        previous_seq, previous_mac = row.seq, row.mac

    checked = 0
    for seq in sorted(wanted):
        for checkpoint in wanted[seq]:
            checked += 1
            name = checkpoint.source or f"checkpoint at seq {seq}"
            if seq > previous_seq:
                fault(
                    previous_seq + 1,
                    "tail missing",
                    f"the log ends at seq {previous_seq} but {name} was signed at seq {seq}: "
                    "entries were deleted from the end or the database was restored from an "
                    "older copy",
                )
            elif seq == 0:
                if checkpoint.mac != GENESIS_MAC:
                    fault(None, "checkpoint mismatch", f"{name}: seq 0 with a non-genesis MAC")
            elif seq not in seen_at:
                pass  # the entry itself is missing: already reported as a sequence gap
            elif not hmac.compare_digest(seen_at[seq], checkpoint.mac):
                fault(
                    seq,
                    "checkpoint mismatch",
                    f"the MAC differs from {name}: the log was rewritten, or restored from an "
                    "older copy and continued",
                )
    return VerifyReport(
        count=count,
        head_seq=previous_seq,
        head_mac=previous_mac,
        checkpoints=checked,
        faults=tuple(faults),
        more_faults=dropped,
    )


def verify_instance(
    session: Session,
    key: bytes,
    instance_path: str | Path,
    *,
    extra_checkpoints: Iterable[str | Path] = (),
    public_key: Ed25519PublicKey | bytes | str | Path | None = None,
    include_instance_checkpoints: bool = True,
) -> VerifyReport:
    """:func:`verify` against the checkpoints in ``INSTANCE/checkpoints`` and ``extra``.

    The trusted public key is ``public_key`` if given, else the instance's exported one. A
    checkpoint that fails to load (forged, wrong key, malformed) is a fault in the report.
    """
    trusted = (
        load_public_key(public_key)
        if public_key is not None
        else instance_public_key(instance_path)
    )
    checkpoints: list[Checkpoint] = []
    problems: list[Fault] = []
    if include_instance_checkpoints:
        checkpoints, problems = load_checkpoint_dir(Path(instance_path) / CHECKPOINT_DIR, trusted)
    extra, extra_problems = load_checkpoint_files(map(Path, extra_checkpoints), trusted)
    checkpoints += extra
    problems += extra_problems
    return verify(session, key, checkpoints=checkpoints).with_faults(problems)


# --------------------------------------------------------------------------------------------
# Reading and exporting


@dataclass(frozen=True)
class AuditFilter:
    """What an auditor narrows the log to; every field optional. Dates are inclusive, UTC."""

    actor: str = ""
    action: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None
    cable_entries: bool = True  # False: leave out every entry about a cable


def select_entries(criteria: AuditFilter) -> Select[tuple[AuditEntry]]:
    """A SELECT of the entries matching ``criteria``, unordered (add order and limits).

    ``object_id`` matches the stored object id; for a cable that is its reference id or its
    row id, so both are tried when the value names a cable.
    """
    query = select(AuditEntry)
    if criteria.actor:
        query = query.where(AuditEntry.actor_name == criteria.actor)
    if criteria.action:
        query = query.where(AuditEntry.action == criteria.action)
    if criteria.object_id:
        by_row_id = (
            select(func.cast(Cable.id, String))
            .where(Cable.reference_id == criteria.object_id)
            .scalar_subquery()
        )
        query = query.where(
            or_(
                AuditEntry.object_id == criteria.object_id,
                and_(AuditEntry.object_type == "cable", AuditEntry.object_id == by_row_id),
            )
        )
    if not criteria.cable_entries:
        query = query.where(AuditEntry.object_type != "cable")
    if criteria.since is not None:
        query = query.where(AuditEntry.at >= datetime.combine(criteria.since, time(), UTC))
    if criteria.until is not None:
        end = datetime.combine(criteria.until + timedelta(days=1), time(), UTC)
        query = query.where(AuditEntry.at < end)
    return query


@dataclass(frozen=True)
class EntryPage:
    """One page of the log, newest first, and whether there is more on either side."""

    entries: tuple[AuditEntry, ...]
    has_newer: bool
    has_older: bool


def page_entries(
    session: Session,
    criteria: AuditFilter,
    *,
    before: int | None = None,
    after: int | None = None,
    limit: int = 50,
) -> EntryPage:
    """Up to ``limit`` matching entries, newest first: those below seq ``before`` (older),
    or above seq ``after`` (newer), or the newest ones. Keyset paging: every page costs the
    same however deep it is.
    """
    query = select_entries(criteria)
    if after is not None:
        rows = list(
            session.scalars(
                query.where(AuditEntry.seq > after).order_by(AuditEntry.seq).limit(limit + 1)
            )
        )
        more_newer = len(rows) > limit
        entries = rows[:limit][::-1]
    else:
        if before is not None:
            query = query.where(AuditEntry.seq < before)
        rows = list(session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit + 1)))
        more_newer = False
        entries = rows[:limit]
    if not entries:
        return EntryPage((), False, False)

    def exists_beyond(condition: Any) -> bool:
        probe = select_entries(criteria).where(condition).with_only_columns(AuditEntry.seq)
        return session.scalar(probe.limit(1)) is not None

    has_newer = more_newer or exists_beyond(AuditEntry.seq > entries[0].seq)
    has_older = (before is None and after is None and len(rows) > limit) or exists_beyond(
        AuditEntry.seq < entries[-1].seq
    )
    return EntryPage(tuple(entries), has_newer, has_older)


def distinct_actions(session: Session) -> list[str]:
    """Every action name the log holds, sorted (for a filter menu)."""
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


WITHHELD = "(withheld)"


def hidden_cable_keys(session: Session, actor: User) -> frozenset[str]:
    """The ``object_id`` values that name a cable above ``actor``'s clearance.

    Entries name a cable by reference id or by row id; both are included. A reader of the log
    sees such entries with object and payload withheld, exactly as the cable list never shows
    such a cable (see :mod:`redactor.cables.access`).
    """
    rows = session.execute(
        select(Cable.id, Cable.reference_id).where(Cable.level > actor.clearance)
    ).all()
    return frozenset(str(row.id) for row in rows) | frozenset(row.reference_id for row in rows)


_CABLE_PAYLOAD_KEYS = ("cable_id", "reference_id")


def is_withheld(entry: AuditEntry, hidden: frozenset[str]) -> bool:
    """True if ``entry`` names a cable in ``hidden`` (see :func:`hidden_cable_keys`): as its
    object, or in its payload's ``cable_id`` / ``reference_id`` (a redaction's entry names
    its cable there)."""
    if not hidden:
        return False
    if entry.object_type == "cable" and entry.object_id in hidden:
        return True
    try:
        payload = json.loads(entry.payload)
    except ValueError:
        return False
    if not isinstance(payload, dict):
        return False
    return any(str(payload[name]) in hidden for name in _CABLE_PAYLOAD_KEYS if name in payload)


def restrict_object_filter(criteria: AuditFilter, hidden: frozenset[str]) -> AuditFilter:
    """``criteria`` for a reader who may not see the ``hidden`` cables: asking for a hidden
    cable's reference id (or row id) finds no cable entries, as for an unknown one."""
    if criteria.object_id and criteria.object_id in hidden:
        return replace(criteria, cable_entries=False)
    return criteria


def cable_reference_ids(session: Session, ids: Iterable[str]) -> dict[str, str]:
    """Row id (as text) to reference id, for the numeric ``ids`` that name a cable."""
    numbers = {int(value) for value in ids if value.isdigit() and len(value) < 19}
    if not numbers:
        return {}
    rows = session.execute(select(Cable.id, Cable.reference_id).where(Cable.id.in_(numbers)))
    return {str(row.id): row.reference_id for row in rows}


def export_record(entry: AuditEntry) -> dict[str, Any]:
    """One entry as an export row: every field, so the MACs can be rechecked from the file."""
    try:
        payload: Any = json.loads(entry.payload)
    except ValueError:
        payload = entry.payload
    return {
        "seq": entry.seq,
        "at": _iso(entry.at),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "payload": payload,
        "client_addr": entry.client_addr,
        "prev_mac": entry.prev_mac,
        "mac": entry.mac,
    }


def iter_entries(session: Session, query: Select | None = None) -> Iterator[AuditEntry]:
    """The entries of ``query`` (default: all, oldest first), streamed in batches."""
    if query is None:
        query = select(AuditEntry).order_by(AuditEntry.seq)
    # The session's identity map holds unmodified objects weakly, so streamed entries that
    # the caller drops are freed as it goes.
    for row in _stream(session, query):
        yield row[0]


_SPREADSHEET_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(_SPREADSHEET_TRIGGERS):
        return "'" + value
    return value


def write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write ``records`` as CSV with a header; formula-like cells neutralised. Returns rows."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_FIELDS)
    count = 0
    for item in records:
        cells = []
        for name in EXPORT_FIELDS:
            value = item[name]
            if name == "payload" and not isinstance(value, str):
                value = canonical_json(value)
            cells.append(csv_safe("" if value is None else value))
        writer.writerow(cells)
        count += 1
    return count


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    """Write ``records`` as JSON Lines (one object per line). Returns the number of rows."""
    count = 0
    for item in records:
        out.write(canonical_json(item) + "\n")
        count += 1
    return count


EXPORT_WRITERS = {"csv": write_csv, "jsonl": write_jsonl}
