"""Login rate limiting that an attacker cannot turn against the office.

Failed logins are rows of ``login_attempts`` (in the database, so every worker sees the same
counts). A row holds the client address and ``username_key``, a keyed digest of the username
typed (:func:`username_key`): the limiter counts per username without the text, which is
often a password typed into the wrong field, ever being stored.

Three rules, checked before a password is verified (:func:`check_allowed`):

1. **Per account.** ``max_failures`` failures for a username within the window, from any
   address, lock that username (every address) until the oldest of them leaves the window.
   This bounds password guessing against one account however many addresses the attacker has.
2. **Per address, without locking others out.** The address's failures are *not* counted
   against other usernames: the whole office behind one reverse proxy shares an address, and
   one person's typos (or an attacker's) must not lock everybody out.
3. **Spraying ceiling.** An address with ``address_ceiling`` failures within the window is
   spraying. From it, a username that already failed from that address within the window is
   refused without a check; a username with no failure from it is still checked. So someone
   spraying wrong passwords at many accounts from the office's proxy gets one guess per
   account per window and can no longer lock accounts (rule 1) from there, while a colleague
   typing the right password for an account that is not itself locked still signs in.
   Unknown and known usernames are treated alike, so the answers reveal nothing about which
   usernames exist.

Concurrency: the check, the password verification and the recording of a failure must not
interleave for one username, or several workers could each see "4 failures" and all verify.
On SQLite a login transaction starts with ``BEGIN IMMEDIATE`` and is therefore alone; on
PostgreSQL :func:`lock_username` takes a transaction-scoped advisory lock on the username's
digest (attempts for *other* usernames are not held up).

Services in the sense of ``docs/architecture.md``: no Flask, flush only, never commit.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from redactor.errors import DomainError
from redactor.models import LoginAttempt

#: Label of the sub-key derived from the audit key for username digests (domain separation:
#: the audit key itself never MACs anything but the chain).
_USERNAME_KEY_LABEL = b"redactor/login-attempt-username/v1"
#: First key of PostgreSQL's two-key advisory locks taken by :func:`lock_username`: its own
#: key space, apart from the audit chain's one-key lock.
_PG_LOGIN_LOCK_CLASS = 0x4C4F_4749  # "LOGI"
#: Default spraying ceiling, as a multiple of the per-account limit.
DEFAULT_ADDRESS_CEILING_FACTOR = 10


class LoginRateLimited(DomainError):
    """Too many failed logins for the account, or a spraying address; ``retry_after`` s."""

    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        self.retry_after = max(1, int(retry_after))
        minutes = -(-self.retry_after // 60)
        super().__init__(
            f"Too many attempts, try again in {minutes} minute{'s' if minutes != 1 else ''}."
        )


@dataclass(frozen=True)
class LoginLimits:
    """The limits of :func:`check_allowed`: per account, the window, the spraying ceiling."""

    max_failures: int
    window_seconds: int
    address_ceiling: int

    @classmethod
    def of(
        cls, max_failures: int, window_seconds: int, address_ceiling: int | None = None
    ) -> LoginLimits:
        """Limits with the ceiling defaulting to ``DEFAULT_ADDRESS_CEILING_FACTOR`` times
        ``max_failures``; every value is at least 1."""
        max_failures = max(1, int(max_failures))
        ceiling = address_ceiling or max_failures * DEFAULT_ADDRESS_CEILING_FACTOR
        return cls(max_failures, max(1, int(window_seconds)), max(1, int(ceiling)))


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; every stored time is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def username_key(session: Session, normalized_username: str) -> str:
    """The keyed digest (HMAC-SHA256, hex) of a normalized username, as stored.

    The key is derived from the audit key (``session.info["audit_key"]``), which lives outside
    the database: someone holding the database cannot test guesses against the digests, yet
    repeated attempts for the same string can be correlated. Raises ``RuntimeError`` when the
    session carries no audit key.
    """
    audit_key = session.info.get("audit_key")
    if not audit_key:
        raise RuntimeError("the database session carries no audit key")
    sub_key = hmac.new(audit_key, _USERNAME_KEY_LABEL, hashlib.sha256).digest()
    data = normalized_username.encode("utf-8", "surrogatepass")
    return hmac.new(sub_key, data, hashlib.sha256).hexdigest()


def lock_username(session: Session, key: str) -> None:
    """Serialise login attempts for the username ``key`` until the transaction ends
    (PostgreSQL; on SQLite the write transaction already does)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    second = int.from_bytes(bytes.fromhex(key[:8]), "big", signed=True)
    session.execute(
        text("SELECT pg_advisory_xact_lock(:first, :second)"),
        {"first": _PG_LOGIN_LOCK_CLASS, "second": second},
    )


def forget_expired(session: Session, limits: LoginLimits, now: datetime) -> None:
    """Delete failures older than the window: they count for nothing any more."""
    since = now - timedelta(seconds=limits.window_seconds)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))


def _recent(session: Session, condition, since: datetime, limit: int) -> list[datetime]:
    # The newest ``limit`` failures matching ``condition`` in the window, newest first.
    return [
        _aware(at)
        for at in session.scalars(
            select(LoginAttempt.at)
            .where(condition, LoginAttempt.at >= since)
            .order_by(LoginAttempt.at.desc())
            .limit(limit)
        )
    ]


def check_allowed(
    session: Session, key: str, client_addr: str, limits: LoginLimits, now: datetime
) -> None:
    """Raise ``LoginRateLimited`` if an attempt for username ``key`` from ``client_addr``
    may not have its password checked now (the rules of the module docstring)."""
    window = timedelta(seconds=limits.window_seconds)
    since = now - window

    def retry_after(lifts_at: datetime) -> int:
        return int((lifts_at - now).total_seconds()) + 1

    account = _recent(session, LoginAttempt.username_key == key, since, limits.max_failures)
    if len(account) >= limits.max_failures:
        # The lock lifts when the oldest of the last ``max_failures`` leaves the window.
        raise LoginRateLimited(retry_after(account[-1] + window))

    address = _recent(
        session, LoginAttempt.client_addr == client_addr, since, limits.address_ceiling
    )
    if len(address) < limits.address_ceiling:
        return
    pair = _recent(
        session,
        (LoginAttempt.client_addr == client_addr) & (LoginAttempt.username_key == key),
        since,
        1,
    )
    if pair:
        # Lifts when this username's failure from here leaves the window, or when the address
        # falls below the ceiling, whichever comes first.
        raise LoginRateLimited(retry_after(min(pair[0], address[-1]) + window))


def record_failure(session: Session, key: str, client_addr: str, now: datetime) -> None:
    """Count a failed login for username ``key`` from ``client_addr``."""
    session.add(LoginAttempt(username_key=key, client_addr=client_addr, at=now))
    session.flush()


def clear_username(session: Session, key: str) -> None:
    """Forget the failures of username ``key`` (after a successful login). The address's
    other failures stay: one good account must not let an address keep guessing at others."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.username_key == key))
