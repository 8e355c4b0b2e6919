"""Configuration: defaults, then ``REDACTOR_*`` environment variables, then the caller's dict."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from redactor.db import sqlite_url

#: Every setting the application reads, with its default. ``None`` means "derived" or "must
#: be given" (see :func:`load_settings`).
DEFAULTS: dict[str, Any] = {
    # Folder holding the SQLite database, the audit key and checkpoints.
    "INSTANCE": "redactor-instance",
    # SQLAlchemy URL; default: SQLite inside INSTANCE.
    "DATABASE_URL": None,
    # Flask's signing key; required outside demo and testing.
    "SECRET_KEY": None,
    # HMAC key of the audit chain (hex); default: a file in INSTANCE created on first use.
    "AUDIT_KEY": None,
    # Largest cable file accepted by import, in bytes.
    "MAX_IMPORT_BYTES": 5 * 1024 * 1024,
    # Largest request body (uploads of several files or a zip).
    "MAX_CONTENT_LENGTH": 64 * 1024 * 1024,
    # Zip archives: file members, and decompressed bytes of all members (counted as read),
    # of one upload (all its archives together) or of one archive on the command line.
    "ZIP_MAX_MEMBERS": 10_000,
    "ZIP_MAX_TOTAL_BYTES": 64 * 1024 * 1024,
    # Approvals a proposal needs before it takes effect.
    "APPROVALS_REQUIRED": 1,
    # Login rate limit: failures allowed per account (from any address) in the window.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_WINDOW_SECONDS": 900,
    # Spraying ceiling: failures from one address in the window after which a username that
    # already failed from there is refused unchecked (others behind it still sign in).
    "LOGIN_MAX_FAILURES_PER_ADDRESS": 50,
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none,
    # the headers are ignored; 1: one proxy such as nginx on the same host).
    "TRUSTED_PROXIES": 0,
    # Lifetime of a login session, in seconds.
    "SESSION_LIFETIME_SECONDS": 8 * 3600,
    # argon2id cost profile for password hashes: "rfc9106" (RFC 9106, 64 MiB, t=3; the
    # default), "rfc9106-high-memory" (2 GiB, t=1), or "test" (cheapest: test suites only).
    "ARGON2_PROFILE": "rfc9106",
    # Serve cookies with the Secure flag (turn on behind HTTPS).
    "SECURE_COOKIES": False,
    # Whether a release package's manifest names the staff who proposed, approved and
    # released (off: the package a requester receives names nobody).
    "MANIFEST_NAMES_STAFF": False,
    "TESTING": False,
    "DEMO": False,
}

_INT_KEYS = {key for key, value in DEFAULTS.items() if isinstance(value, int)} - {
    "TESTING",
    "DEMO",
    "SECURE_COOKIES",
}
_BOOL_KEYS = {"TESTING", "DEMO", "SECURE_COOKIES"}
_BOOL_KEYS.add("MANIFEST_NAMES_STAFF")
_INT_KEYS -= _BOOL_KEYS


def _from_environment(environ: dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key in DEFAULTS:
        raw = environ.get(f"REDACTOR_{key}")
        if raw is None:
            continue
        if key in _INT_KEYS:
            try:
                found[key] = int(raw)
            except ValueError as exc:
                raise ValueError(f"REDACTOR_{key} must be an integer, got {raw!r}") from exc
        elif key in _BOOL_KEYS:
            found[key] = raw.strip().lower() in {"1", "true", "yes", "on"}
        else:
            found[key] = raw
    return found


def load_settings(
    overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None
) -> dict[str, Any]:
    """Merge defaults, ``REDACTOR_*`` variables and ``overrides`` into one settings dict.

    ``INSTANCE`` becomes an absolute path and ``DATABASE_URL`` defaults to SQLite inside it.
    Raises ``ValueError`` for a malformed environment value.
    """
    settings = dict(DEFAULTS)
    settings.update(_from_environment(dict(os.environ) if environ is None else environ))
    settings.update(overrides or {})
    settings["INSTANCE"] = str(Path(settings["INSTANCE"]).expanduser().resolve())
    if not settings["DATABASE_URL"]:
        settings["DATABASE_URL"] = sqlite_url(settings["INSTANCE"])
    return settings
