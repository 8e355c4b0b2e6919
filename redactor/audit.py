"""The hash-chained, append-only record of every action.

Each entry's ``mac`` is HMAC-SHA256(key, previous entry's mac + the entry's fields as
canonical JSON, the payload spliced in exactly as stored): editing any stored byte (a
duplicate key, a re-indented payload, another cable id), removing or reordering an entry
breaks the chain from there on; the key lives outside the database. Payloads are written in
one canonical form (sorted keys, no insignificant whitespace), so what an auditor is shown is
what was MACed. :func:`record` appends in the caller's transaction, so an action and its entry
are committed together or not at all.

Every entry stores the cable it concerns, if any (``cable_id``, found by
:func:`redactor.audit_subjects.concerned_cable`), which is what hides it from readers not
cleared for that cable (:mod:`redactor.audit_log`); the MAC covers it. Entries written before
that column existed were MACed without it (their ``cable_id`` was filled in by migration 0011
and is outside their MAC); :func:`verify` accepts such a "legacy" body only where the current
one fails, which a forger without the key can exploit for neither kind.

The session carries what every entry needs but no service should have to pass around:
``session.info["audit_key"]`` (bytes, set by the session factory) and, in a request,
``session.info["client_addr"]``.

A chain alone cannot show that its newest entries were removed, or that the whole database was
put back to an older copy: both leave a shorter chain that is still valid. Signed
*checkpoints* close that gap (:mod:`redactor.audit_signing`). :func:`write_checkpoint` signs
the head (seq, MAC, count) with an Ed25519 key kept in the instance folder and writes it as a
small JSON file meant to be copied somewhere the database's administrators cannot rewrite;
:func:`verify` compares the chain with every checkpoint it is given.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Select, insert, select, text
from sqlalchemy.orm import Session

# Keys and checkpoints live in their own module; their names stay reachable from here.
from redactor.audit_signing import AUDIT_KEY_FILE as AUDIT_KEY_FILE
from redactor.audit_signing import CHECKPOINT_DIR as CHECKPOINT_DIR
from redactor.audit_signing import PUBLIC_KEY_FILE as PUBLIC_KEY_FILE
from redactor.audit_signing import SIGNING_KEY_FILE as SIGNING_KEY_FILE
from redactor.audit_signing import AuditKeyError as AuditKeyError
from redactor.audit_signing import Checkpoint as Checkpoint
from redactor.audit_signing import CheckpointError as CheckpointError
from redactor.audit_signing import Fault as Fault
from redactor.audit_signing import _public_hex
from redactor.audit_signing import canonical_json as canonical_json
from redactor.audit_signing import instance_public_key as instance_public_key
from redactor.audit_signing import load_audit_key as load_audit_key
from redactor.audit_signing import load_checkpoint as load_checkpoint
from redactor.audit_signing import load_checkpoint_dir as load_checkpoint_dir
from redactor.audit_signing import load_checkpoint_files as load_checkpoint_files
from redactor.audit_signing import load_public_key as load_public_key
from redactor.audit_signing import load_signing_key as load_signing_key
from redactor.audit_subjects import concerned_cable
from redactor.db import allow_writes
from redactor.models import AuditEntry, Cable, User

GENESIS_MAC = "0" * 64

# Any fixed number: the PostgreSQL advisory lock that serialises appends to the chain.
_PG_CHAIN_LOCK = 0x5245_4441

# Rows fetched per round trip while verifying or exporting: memory stays flat on long logs.
_STREAM_BATCH = 2000

# More faults than this are counted but not kept: the first one is what matters.
_MAX_FAULTS = 100


class AuditChainError(RuntimeError):
    """The chain failed verification where a sound chain is required (``report`` says why)."""

    def __init__(self, report: VerifyReport) -> None:
        super().__init__(report.summary())
        self.report = report


# --------------------------------------------------------------------------------------------
# Appending


#: The fields of an entry covered by its MAC, besides the payload (its stored text).
_MAC_FIELDS = (
    "seq", "at", "actor_id", "actor_name", "action", "object_type", "object_id", "client_addr",
)


def entry_body(entry: AuditEntry, *, legacy: bool = False) -> dict[str, Any]:
    """The fields of ``entry`` covered by its MAC (everything but the MACs themselves).

    ``payload`` is the stored text itself, not what it parses to: the MAC covers the bytes a
    reader is shown. ``cable_id`` is covered too, except in the ``legacy`` body, that of the
    entries written before the column existed (see :func:`verify`). ``entry`` may also be a
    result row with the same attributes.
    """
    body: dict[str, Any] = {name: getattr(entry, name) for name in _MAC_FIELDS}
    body["at"] = _iso(entry.at)
    body["payload"] = entry.payload
    if not legacy:
        body["cable_id"] = entry.cable_id
    return body


def mac_message(prev_mac: str, body: dict[str, Any]) -> bytes:
    """What is MACed: the previous MAC, then ``body`` as canonical JSON in which the payload
    is spliced in as it is stored, character for character.

    A payload given as a string is the stored text; any other value is first written in the
    canonical form (as :func:`record` stores it), which lets an export row be rechecked.
    Entries written before the payload was MACed as stored carry canonical payloads, so this
    message is byte for byte the one their MAC was computed over: they still verify.
    """
    parts = []
    for name in sorted(body):
        value = body[name]
        if name == "payload":
            encoded = value if isinstance(value, str) else canonical_json(value)
        else:
            encoded = canonical_json(value)
        parts.append(canonical_json(name) + ":" + encoded)
    return prev_mac.encode("ascii") + ("{" + ",".join(parts) + "}").encode("utf-8")


def compute_mac(key: bytes, prev_mac: str, body: dict[str, Any]) -> str:
    """HMAC-SHA256 of :func:`mac_message` of ``prev_mac`` and ``body``, in hex."""
    return hmac.new(key, mac_message(prev_mac, body), hashlib.sha256).hexdigest()


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


#: What one entry is about: ``(action, subject, data)``, the arguments of :func:`record`;
#: optionally a fourth item, the cable it concerns (see :func:`record`).
EntrySpec = (
    tuple[str, tuple[str, Any] | None, dict[str, Any] | None]
    | tuple[str, tuple[str, Any] | None, dict[str, Any] | None, Any]
)


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
    for spec in specs:
        action, subject, data = spec[:3]
        cable = spec[3] if len(spec) > 3 else None
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
            "cable_id": concerned_cable(session, subject, data, cable),
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
    *,
    cable: Cable | int | None = None,
) -> AuditEntry:
    """Append an entry for ``action`` by ``actor`` on ``subject`` (object type, id).

    ``data`` is the JSON payload (before/after, reasons...), stored in canonical form.
    ``cable`` (a cable or its row id) is the cable the entry concerns; when not given it is
    found from ``subject`` and ``data`` (:func:`concerned_cable`). An entry concerning a cable
    is shown only to readers cleared for it (:mod:`redactor.audit_log`). Flushes, never
    commits: the entry lands with the caller's transaction. Raises ``AuditKeyError`` if the
    session has no key.
    """
    key, previous = _start_append(session)
    spec = (action, subject, data, cable)
    (fields,) = _chain_entries(session, key, actor, [spec], previous)
    entry = AuditEntry(**fields)
    session.add(entry)
    session.flush()
    return entry


def record_many(
    session: Session, actor: User | None, specs: Iterable[EntrySpec]
) -> dict[str, Any]:
    """Append one entry per ``(action, subject, data[, cable])`` of ``specs``, in order.

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


# --------------------------------------------------------------------------------------------
# Verification


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
    AuditEntry.cable_id,
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


def _mac_holds(key: bytes, row: Any) -> bool:
    """True if ``row``'s MAC recomputes: over the current body, or (for an entry written
    before ``cable_id`` was MACed) over the legacy body without it."""
    for legacy in (False, True):
        expected = compute_mac(key, row.prev_mac, entry_body(row, legacy=legacy))
        if hmac.compare_digest(expected, row.mac):
            return True
    return False


def _is_canonical(payload: str) -> bool:
    try:
        return canonical_json(json.loads(payload)) == payload
    except (ValueError, RecursionError):
        return False


def verify(session: Session, key: bytes, *, checkpoints: Iterable[Checkpoint] = ()) -> VerifyReport:
    """Recompute the chain from seq 1 with ``key`` and compare it with ``checkpoints``.

    Per entry, in this order: the seq follows the previous one (else "sequence gap"), the
    stored ``prev_mac`` is the previous entry's MAC ("prev_mac mismatch": reordered or
    removed entries), and the MAC recomputes over the fields and the payload's text exactly
    as stored: else "malformed payload" when the stored text is not canonical JSON (not
    JSON, a duplicate key, a re-indent), "mac mismatch" otherwise (an edited field, or an
    entry re-MACed without the key). Each entry is
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
        elif not _mac_holds(key, row):
            if not _is_canonical(row.payload):
                # Every payload is written canonically: this one was rewritten in place.
                fault(
                    row.seq,
                    "malformed payload",
                    f"{row.action!r} by {row.actor_name!r}: the stored payload is not the "
                    "canonical JSON it was written as (changed since written)",
                )
            else:
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


