"""The audit log's keys and signed checkpoints (split from :mod:`redactor.audit`).

The HMAC key (hex, from the configuration or ``INSTANCE/audit.key``) proves that entries were
written by the application; the Ed25519 signing key (``INSTANCE/audit-signing.key``, its public
half exported beside it) proves that a checkpoint was. A checkpoint is a signed statement of
the chain's head (seq, MAC, count); :func:`redactor.audit.verify` compares the chain with the
checkpoints loaded here. Every name is also reachable as ``redactor.audit.<name>``.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

AUDIT_KEY_FILE = "audit.key"
SIGNING_KEY_FILE = "audit-signing.key"
PUBLIC_KEY_FILE = "audit-signing.pub"
CHECKPOINT_DIR = "checkpoints"


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: the one form payloads are
    stored in, and the form checkpoints are signed in."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class AuditKeyError(RuntimeError):
    """The audit key is missing or malformed."""


class CheckpointError(ValueError):
    """A checkpoint file is unreadable, malformed, or its signature does not verify."""



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



@dataclass(frozen=True)
class Fault:
    """One thing wrong: at entry ``seq`` (None when it concerns no single entry)."""

    seq: int | None
    kind: str
    detail: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "checkpoint"
        return f"{where}: {self.kind}: {self.detail}"


