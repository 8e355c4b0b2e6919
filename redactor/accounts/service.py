"""Accounts: users, passwords, login with a shared rate limit, and server-side sessions.

Every function here is a service in the sense of ``docs/architecture.md``: it takes the acting
user (``None`` means the local administrator at the command line), checks policy, mutates,
writes the audit entry and flushes. It never commits.

Passwords are hashed with argon2id. The cost parameters come from a named profile (see
:func:`set_hash_profile`): the default is RFC 9106's second recommended option (64 MiB, t=3,
p=4, argon2-cffi's default); ``"test"`` is argon2-cffi's cheapest profile, for test suites
only. A stored hash made with other parameters is replaced on the next successful login.

Sessions (:mod:`redactor.accounts.sessions`, re-exported here): :func:`start_session`
returns a random token for the cookie and stores only its SHA-256, so a copy of the database
does not hold usable sessions. Changing a password, deactivating a user or changing their
roles or clearance revokes all their sessions; changing or resetting a password and
deactivating also revoke all their API tokens.

Login rate limiting lives in :mod:`redactor.accounts.limits`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from redactor import audit
from redactor.accounts import limits, tokens
from redactor.accounts.limits import LoginRateLimited
from redactor.accounts.sessions import count_open_sessions as count_open_sessions
from redactor.accounts.sessions import end_session as end_session
from redactor.accounts.sessions import resolve_session as resolve_session
from redactor.accounts.sessions import revoke_all_sessions
from redactor.accounts.sessions import start_session as start_session
from redactor.errors import DomainError, InvalidInput, NotPermitted
from redactor.models import User, UserRole
from redactor.review.policy import Level, Role, can_manage_users

USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{2,64}")
MIN_PASSWORD_LENGTH = 12
# Hashing a megabyte-long "password" costs nothing extra with argon2, but there is no reason
# to accept one.
MAX_PASSWORD_LENGTH = 1024
MAX_DISPLAY_NAME_LENGTH = 200

#: Named argon2id cost profiles; ``ARGON2_PROFILE`` in the settings picks one.
HASH_PROFILES = {
    "rfc9106": profiles.RFC_9106_LOW_MEMORY,
    "rfc9106-high-memory": profiles.RFC_9106_HIGH_MEMORY,
    "test": profiles.CHEAPEST,
}
DEFAULT_HASH_PROFILE = "rfc9106"

_hasher = PasswordHasher.from_parameters(HASH_PROFILES[DEFAULT_HASH_PROFILE])
_hash_profile = DEFAULT_HASH_PROFILE
_dummy_hash: str | None = None

LOGIN_REFUSED_MESSAGE = "Invalid username or password."


class LoginRefused(DomainError):
    """Unknown user, wrong password or inactive account: one message for all of them."""

    code = "login_refused"

    def __init__(self, message: str = LOGIN_REFUSED_MESSAGE) -> None:
        super().__init__(message)


class WrongPassword(InvalidInput):
    """The current password given to confirm a change is wrong."""

    code = "wrong_password"


def set_hash_profile(name: str) -> None:
    """Use the argon2id cost profile ``name`` for new hashes (one of :data:`HASH_PROFILES`).

    Raises ``ValueError`` for an unknown name.
    """
    global _hasher, _hash_profile, _dummy_hash
    if name not in HASH_PROFILES:
        raise ValueError(f"unknown ARGON2_PROFILE {name!r}; one of {sorted(HASH_PROFILES)}")
    if name != _hash_profile:
        _hasher = PasswordHasher.from_parameters(HASH_PROFILES[name])
        _hash_profile = name
        _dummy_hash = None


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string) of ``password`` with the current profile."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches ``password_hash``; False for a mismatch or a bad hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _burn_verification(password: str) -> None:
    # An unknown username costs the same time as a wrong password, so timing does not tell
    # which usernames exist.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    verify_password(_dummy_hash, password)


def generate_password(username: str = "") -> str:
    """A random password (20 URL-safe characters, 120 bits) that satisfies the policy for
    ``username`` (a random string can, rarely, contain a name: draw again then)."""
    while True:
        password = secrets.token_urlsafe(15)
        try:
            check_password_policy(password, username=username)
        except InvalidInput:
            continue
        return password


def check_password_policy(password: str, *, username: str = "") -> None:
    """Raise ``InvalidInput`` with a clear message unless ``password`` is acceptable."""
    if not isinstance(password, str):
        raise InvalidInput("The password must be text.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must be at least {MIN_PASSWORD_LENGTH} characters long.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"The password must be at most {MAX_PASSWORD_LENGTH} characters long.")
    if not password.strip():
        raise InvalidInput("The password must not be only spaces.")
    if len(set(password)) < 4:
        raise InvalidInput("The password must use at least 4 different characters.")
    if len(username) >= 4 and username.lower() in password.lower():
        raise InvalidInput("The password must not contain the username.")


def normalize_username(username: str) -> str:
    """The canonical form of a username (trimmed, lower case); no validation."""
    return (username or "").strip().lower()


def check_username(username: str) -> str:
    """The normalized ``username``; raises ``InvalidInput`` unless it matches the rules."""
    name = normalize_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise InvalidInput(
            "A username is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-'."
        )
    return name


def parse_roles(roles: Iterable[Role | str]) -> frozenset[Role]:
    """The roles named by ``roles``; raises ``InvalidInput`` for an unknown one."""
    found: set[Role] = set()
    for role in roles:
        try:
            found.add(Role(str(role).strip().lower()))
        except ValueError as exc:
            known = ", ".join(r.value for r in Role)
            raise InvalidInput(f"Unknown role {role!r}; the roles are: {known}.") from exc
    return frozenset(found)


def parse_level(value: Level | int | str) -> Level:
    """The clearance level named by ``value`` (``2``, ``"SECRET"``, ``"top_secret"``...).

    Raises ``InvalidInput`` for anything else.
    """
    try:
        if isinstance(value, Level):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return Level(value)
        text = str(value).strip()
        if text.isdigit():
            return Level(int(text))
        return Level.from_classification(text.replace("_", " "))
    except ValueError as exc:
        known = ", ".join(level.name for level in Level)
        raise InvalidInput(f"Unknown clearance {value!r}; the levels are: {known}.") from exc


def _now() -> datetime:
    return datetime.now(UTC)


def _require_admin(actor: User | None) -> None:
    # ``None`` is the local administrator at the command line.
    if actor is not None and not (actor.active and can_manage_users(actor.roles)):
        raise NotPermitted("only administrators manage users")


def _state(user: User) -> dict:
    return {
        "roles": sorted(role.value for role in user.roles),
        "clearance": Level(user.clearance).name,
        "active": bool(user.active),
    }


def _addr(client_addr: str | None) -> str:
    return (client_addr or "")[:64]


# -- users ------------------------------------------------------------------------------------


def get_user_by_username(session: Session, username: str) -> User | None:
    """The user called ``username`` (normalized), or None."""
    name = normalize_username(username)
    return session.scalars(select(User).where(User.username == name)).one_or_none()


def list_users(session: Session, actor: User | None) -> list[User]:
    """Every user, by username. Raises ``NotPermitted`` unless ``actor`` manages users."""
    _require_admin(actor)
    return list(session.scalars(select(User).order_by(User.username)))


def create_user(
    session: Session,
    actor: User | None,
    username: str,
    password: str,
    roles: Iterable[Role | str],
    clearance: Level | int | str,
    display_name: str = "",
    *,
    must_change_password: bool = False,
) -> User:
    """Create an active user; audited as ``user.create``.

    ``must_change_password`` (for a password the administrator chose, typed or generated):
    the user must choose their own before anything else (see :func:`must_change_password`).
    Raises ``NotPermitted`` unless ``actor`` is an administrator (or ``None``), and
    ``InvalidInput`` for a bad or taken username, a weak password, an unknown role or level.
    """
    _require_admin(actor)
    name = check_username(username)
    check_password_policy(password, username=name)
    role_set = parse_roles(roles)
    level = parse_level(clearance)
    display = (display_name or "").strip()
    if len(display) > MAX_DISPLAY_NAME_LENGTH:
        raise InvalidInput(f"The display name is at most {MAX_DISPLAY_NAME_LENGTH} characters.")
    if get_user_by_username(session, name) is not None:
        raise InvalidInput(f"The username {name!r} is taken.")
    user = User(
        username=name,
        display_name=display,
        password_hash=hash_password(password),
        clearance=int(level),
        active=True,
        session_version=1,
        must_change_password=bool(must_change_password),
    )
    user.role_rows = [UserRole(role=role) for role in sorted(role_set)]
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        "user.create",
        subject=("user", user.id),
        data={
            "username": name,
            "display_name": display,
            **_state(user),
            "must_change_password": bool(user.must_change_password),
        },
    )
    return user


def _update(session: Session, actor: User | None, user: User, before: dict) -> User:
    after = _state(user)
    if after != before:
        revoke_all_sessions(session, user)
        audit.record(
            session,
            actor,
            "user.update",
            subject=("user", user.id),
            data={"username": user.username, "before": before, "after": after},
        )
    session.flush()
    return user


def set_roles(
    session: Session, actor: User | None, user: User, roles: Iterable[Role | str]
) -> User:
    """Give ``user`` exactly ``roles``; revokes their sessions; audited as ``user.update``.

    An administrator cannot remove their own admin role (so nobody locks themselves out).
    Raises ``NotPermitted`` or ``InvalidInput``.
    """
    _require_admin(actor)
    role_set = parse_roles(roles)
    if actor is not None and actor.id == user.id and Role.ADMIN not in role_set:
        raise InvalidInput("You cannot remove your own admin role.")
    before = _state(user)
    if role_set != user.roles:
        user.role_rows = [UserRole(role=role) for role in sorted(role_set)]
        session.flush()
    return _update(session, actor, user, before)


def set_clearance(
    session: Session, actor: User | None, user: User, clearance: Level | int | str
) -> User:
    """Set ``user``'s clearance; revokes their sessions; audited as ``user.update``.

    Raises ``NotPermitted`` or ``InvalidInput``.
    """
    _require_admin(actor)
    level = parse_level(clearance)
    before = _state(user)
    user.clearance = int(level)
    return _update(session, actor, user, before)


def set_active(session: Session, actor: User | None, user: User, active: bool) -> User:
    """Deactivate or reactivate ``user``; audited as ``user.update``.

    Deactivation revokes every session and every API token of the user. An administrator
    cannot deactivate themselves. Raises ``NotPermitted`` or ``InvalidInput``.
    """
    _require_admin(actor)
    if actor is not None and actor.id == user.id and not active:
        raise InvalidInput("You cannot deactivate your own account.")
    before = _state(user)
    user.active = bool(active)
    if not user.active:
        # For good: reactivating the account must not bring back a token stolen before.
        tokens.revoke_all_tokens(session, user)
    return _update(session, actor, user, before)


def set_password(
    session: Session,
    actor: User | None,
    user: User,
    new_password: str,
    *,
    must_change_password: bool = False,
) -> User:
    """Reset ``user``'s password (administrators); revokes their sessions and API tokens.

    ``must_change_password``: the user must choose their own password before anything else
    (see :func:`must_change_password`); without it the flag is cleared (the reset password
    is then the user's own, e.g. typed by them at the administrator's console). Audited as
    ``user.password_change`` (never with the password, with the flag). Raises
    ``NotPermitted`` or ``InvalidInput`` for a weak password.
    """
    _require_admin(actor)
    check_password_policy(new_password, username=user.username)
    _store_password(
        session, actor, user, new_password, reset=True, must_change=bool(must_change_password)
    )
    return user


def must_change_password(user: User | None) -> bool:
    """Whether ``user`` holds a password an administrator chose and has not yet replaced.

    Such a user may sign in, see the change-password page and sign out; every other page
    sends them to the change-password page, and their API tokens authenticate nothing
    (:func:`redactor.accounts.tokens.resolve_token`). Fail closed: anything but an explicit
    False (a row loaded before the column was filled, say) counts as set."""
    return user is not None and user.must_change_password is not False


def change_own_password(
    session: Session,
    user: User,
    old_password: str,
    new_password: str,
    *,
    rules: limits.LoginLimits | None = None,
    client_addr: str | None = None,
) -> User:
    """Change ``user``'s own password, confirmed by the current one; revokes all sessions
    and API tokens, and clears :func:`must_change_password` (never for the same password).

    With ``rules``, the confirmation counts like a login: a wrong current password is a
    failure of the account (so a stolen session cannot guess the password without limit),
    and an account at its limit raises ``LoginRateLimited`` without a check. A wrong current
    password is audited as ``user.password_change_refused``; the caller commits then too.
    Raises ``WrongPassword`` (an ``InvalidInput``) for a wrong current password and
    ``InvalidInput`` for a weak new one.
    """
    if not user.active:
        raise NotPermitted("inactive account")
    key, now, addr = limits.username_key(session, user.username), _now(), _addr(client_addr)
    if rules is not None:
        limits.lock_username(session, key)
        limits.forget_expired(session, rules, now)
        limits.check_allowed(session, key, addr, rules, now)
    if not verify_password(user.password_hash, old_password or ""):
        if rules is not None:
            limits.record_failure(session, key, addr, now)
        audit.record(
            session,
            user,
            "user.password_change_refused",
            subject=("user", user.id),
            data={"reason": "wrong_password"},
        )
        raise WrongPassword("The current password is wrong.")
    check_password_policy(new_password, username=user.username)
    if new_password == old_password:
        # The same password again would clear a must-change flag and leave the password one
        # the administrator knows.
        raise InvalidInput("The new password must differ from the current one.")
    _store_password(session, user, user, new_password, reset=False, must_change=False)
    return user


def _store_password(
    session: Session,
    actor: User | None,
    user: User,
    password: str,
    *,
    reset: bool,
    must_change: bool,
) -> None:
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    # A new password is what one does after a compromise: whatever the old one opened --
    # login sessions and API tokens -- is closed with it.
    revoke_all_sessions(session, user)
    revoked_tokens = tokens.revoke_all_tokens(session, user)
    audit.record(
        session,
        actor,
        "user.password_change",
        subject=("user", user.id),
        data={
            "username": user.username,
            "reset_by_admin": reset,
            "tokens_revoked": revoked_tokens,
            "must_change_password": must_change,
        },
    )
    session.flush()


# -- login --------------------------------------------------------------------------------------


def _login_audit(user: User | None, key: str, extra: dict) -> tuple[tuple[str, Any] | None, dict]:
    # A known account is named by its id (and canonical username); an unknown name only by
    # its keyed digest: what was typed is often a password, and auditors read this log.
    if user is not None:
        return ("user", user.id), {"user_id": user.id, "username": user.username, **extra}
    return None, {"username_hmac": key, **extra}


def authenticate(
    session: Session,
    username: str,
    password: str,
    client_addr: str | None,
    *,
    max_failures: int,
    window_seconds: int,
    address_ceiling: int | None = None,
) -> User:
    """The active user whose ``username`` and ``password`` match; audited as ``auth.login``.

    Failures are counted in ``login_attempts`` (shared by every worker) under the rules of
    :mod:`redactor.accounts.limits`: ``max_failures`` per account within ``window_seconds``
    from any address, and a spraying ceiling per address (``address_ceiling``, default ten
    times ``max_failures``) that never locks out a username with no failure from there.
    When an attempt may not be checked, raises ``LoginRateLimited`` without verifying the
    password. Otherwise a mismatch records a failure, audits ``auth.login_failed`` (the
    account's id for a known account, a keyed digest of the name otherwise; never the typed
    text, never the password) and raises ``LoginRefused`` -- with the same message for an
    unknown user, a wrong password and an inactive account. The caller commits in either
    case, so that the failure is counted.
    """
    name = normalize_username(username)
    addr = _addr(client_addr)
    now = _now()
    rules = limits.LoginLimits.of(max_failures, window_seconds, address_ceiling)
    key = limits.username_key(session, name)
    limits.lock_username(session, key)
    limits.forget_expired(session, rules, now)
    # Only a name that could be a username is looked up (a NUL or a 200-character string
    # never is, and PostgreSQL refuses NUL in a query parameter).
    user = get_user_by_username(session, name) if USERNAME_PATTERN.fullmatch(name) else None

    try:
        limits.check_allowed(session, key, addr, rules, now)
    except LoginRateLimited:
        subject, data = _login_audit(user, key, {"reason": "rate_limited"})
        audit.record(session, None, "auth.login_failed", subject=subject, data=data)
        raise

    if user is None:
        _burn_verification(password or "")
        ok = False
    else:
        ok = verify_password(user.password_hash, password or "") and bool(user.active)
    if not ok:
        limits.record_failure(session, key, addr, now)
        subject, data = _login_audit(user, key, {})
        audit.record(session, None, "auth.login_failed", subject=subject, data=data)
        raise LoginRefused()

    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    limits.clear_username(session, key)
    audit.record(session, user, "auth.login", subject=("user", user.id), data={})
    session.flush()
    return user
