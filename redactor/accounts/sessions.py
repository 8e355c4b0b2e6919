"""Server-side login sessions: the cookie carries a random token, the database its SHA-256.

Split from :mod:`redactor.accounts.service` (which re-exports these names). Services in the
sense of ``docs/architecture.md``: no Flask, flush only, never commit. Logout revokes one
session (:func:`end_session`); a password change, a deactivation or a change of roles or
clearance revokes all of a user's sessions (:func:`revoke_all_sessions`, called by the service
that makes the change and audits it).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, joinedload

from redactor import audit
from redactor.models import User, UserSession


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; every stored time is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _addr(client_addr: str | None) -> str:
    return (client_addr or "")[:64]


def start_session(
    session: Session, user: User, *, lifetime_seconds: int, client_addr: str | None
) -> str:
    """Open a login session for ``user``; returns its token (only its SHA-256 is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            created_at=_now(),
            expires_at=_now() + timedelta(seconds=lifetime_seconds),
            client_addr=_addr(client_addr),
        )
    )
    session.flush()
    return token


def _plausible_token(token: object) -> bool:
    # Anything else cannot be one of ours: not worth hashing or looking up.
    return isinstance(token, str) and 0 < len(token) <= 200


def _find_session(session: Session, token: str | None) -> UserSession | None:
    if not _plausible_token(token):
        return None
    return session.scalars(
        select(UserSession).where(UserSession.token_hash == _token_hash(token))
    ).one_or_none()


def resolve_session(session: Session, token: str | None) -> User | None:
    """The user of the session ``token``; None if unknown, revoked, expired or inactive.

    One query (session row, user and roles together): it runs before every request.
    """
    if not _plausible_token(token):
        return None
    found = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .options(joinedload(User.role_rows))
        .where(UserSession.token_hash == _token_hash(token))
    ).unique().one_or_none()
    if found is None:
        return None
    row, user = found
    if row.revoked_at is not None or _aware(row.expires_at) <= _now() or not user.active:
        return None
    return user


def end_session(session: Session, token: str | None) -> None:
    """Revoke the session ``token`` (logout); audited as ``auth.logout``. Unknown: no-op."""
    row = _find_session(session, token)
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = _now()
    user = session.get(User, row.user_id)
    audit.record(session, user, "auth.logout", subject=("user", row.user_id), data={})
    session.flush()


def revoke_all_sessions(session: Session, user: User) -> int:
    """Revoke every open session of ``user``; returns how many. Not audited on its own:
    the change that calls for it is."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=_now())
    )
    user.session_version = (user.session_version or 0) + 1
    session.flush()
    return result.rowcount or 0


def count_open_sessions(session: Session, user: User) -> int:
    """How many unrevoked, unexpired sessions ``user`` has."""
    return session.scalar(
        select(func.count())
        .select_from(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > _now(),
        )
    ) or 0
