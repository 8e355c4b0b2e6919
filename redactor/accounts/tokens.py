"""Personal access tokens: the only way to authenticate to the JSON API.

A token is a random secret (``rdk_`` and 43 URL-safe characters) handed out once, when it is
made; only its SHA-256 is stored, so a copy of the database holds no usable token. A token
acts as its user with the user's *current* roles and clearance, and stops working when it is
revoked, when it expires, or when its user is deactivated; it authenticates nothing while its
user must change a password an administrator chose (``User.must_change_password``). A
password change or reset and a deactivation revoke all of the user's tokens for good
(:func:`revoke_all_tokens`), so that neither a reset after a compromise nor a later
reactivation brings a stolen token back.

Services in the sense of ``docs/architecture.md``: the acting user is an argument (``None`` is
the local administrator at the command line), policy is checked (``NotPermitted``), the change
is audited (``token.create``, ``token.revoke``; the audit payload names the token by id and
prefix, never the secret) and flushed, never committed.

Who may do what: everyone makes, lists and revokes their own tokens; administrators those of
anyone. :func:`resolve_token` is called on every API request and checks no policy: it only
answers who the secret belongs to, if anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from redactor import audit
from redactor.db import allow_writes
from redactor.errors import InvalidInput, NotFound, NotPermitted
from redactor.models import ApiToken, User
from redactor.review.policy import can_manage_users

SECRET_PREFIX = "rdk_"
#: Characters of the secret kept for display (``rdk_`` and 8 more).
PREFIX_LENGTH = 12
MAX_NAME_LENGTH = 100
#: Longer than any secret this module makes: anything longer is not looked up at all.
MAX_SECRET_LENGTH = 200
#: ``last_used_at`` is written at most this often per token, so that reading is not a write.
LAST_USED_GRANULARITY = timedelta(minutes=1)


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; every stored time is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def token_hash(secret: str) -> str:
    """The SHA-256 (hex) of ``secret``: what is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def can_manage_token(actor: User | None, owner_id: int) -> bool:
    """True if ``actor`` may see and revoke tokens of user ``owner_id``: the owner, an
    administrator, or the local administrator (``None``). An inactive actor may not."""
    if actor is None:
        return True
    if not actor.active:
        return False
    return actor.id == owner_id or can_manage_users(actor.roles)


def _check_name(name: object) -> str:
    if not isinstance(name, str):
        raise InvalidInput("the token name must be text")
    clean = name.strip()
    if not clean:
        raise InvalidInput("give the token a name (what it is for)")
    if len(clean) > MAX_NAME_LENGTH:
        raise InvalidInput(f"the token name is longer than {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in clean):
        raise InvalidInput("the token name contains control or invisible characters")
    return clean


def _check_expiry(expires_at: object) -> datetime | None:
    if expires_at is None:
        return None
    if not isinstance(expires_at, datetime):
        raise InvalidInput("the expiry must be a date and time")
    moment = _aware(expires_at)
    if moment <= _now():
        raise InvalidInput("the expiry must lie in the future")
    return moment


def _describe(token: ApiToken) -> dict:
    return {
        "token_id": token.id,
        "user_id": token.user_id,
        "name": token.name,
        "prefix": token.prefix,
        "expires_at": _aware(token.expires_at).isoformat() if token.expires_at else None,
    }


def create_token(
    session: Session,
    actor: User | None,
    user: User,
    name: str,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Make a token for ``user`` named ``name``; returns ``(token, secret)``.

    The secret is returned here and never again. ``expires_at`` (None: never) must lie in
    the future; a naive datetime is taken as UTC. Raises ``NotPermitted`` (not ``user``
    nor an administrator, or an inactive actor or user), ``InvalidInput`` (name, expiry).
    Audits ``token.create``; flushes.
    """
    if not can_manage_token(actor, user.id):
        raise NotPermitted("only the user themselves or an administrator makes their tokens")
    if not user.active:
        raise NotPermitted("an inactive user cannot hold tokens")
    if user.must_change_password is not False:
        raise NotPermitted("the user must first change the password an administrator set")
    clean_name = _check_name(name)
    expiry = _check_expiry(expires_at)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=clean_name,
        token_hash=token_hash(secret),
        prefix=secret[:PREFIX_LENGTH],
        created_at=_now(),
        expires_at=expiry,
    )
    session.add(token)
    session.flush()
    audit.record(session, actor, "token.create", subject=("user", user.id), data=_describe(token))
    return token, secret


def get_token(session: Session, actor: User | None, token_id: object) -> ApiToken:
    """Token ``token_id`` if ``actor`` may manage it; ``NotFound`` otherwise (also for an
    id that is not a small positive integer), so other people's tokens are not revealed."""
    if type(token_id) is not int or not 0 < token_id < 2**31:
        raise NotFound("no such token")
    token = session.get(ApiToken, token_id)
    if token is None or not can_manage_token(actor, token.user_id):
        raise NotFound("no such token")
    return token


def revoke_token(session: Session, actor: User | None, token: ApiToken) -> ApiToken:
    """Revoke ``token`` for good. Revoking a revoked token changes nothing (and is not
    audited again). Raises ``NotFound`` when ``actor`` may not manage it. Audits
    ``token.revoke``; flushes."""
    if not can_manage_token(actor, token.user_id):
        raise NotFound("no such token")
    if token.revoked_at is not None:
        return token
    token.revoked_at = _now()
    session.flush()
    audit.record(
        session, actor, "token.revoke", subject=("user", token.user_id), data=_describe(token)
    )
    return token


def revoke_all_tokens(session: Session, user: User) -> int:
    """Revoke every unrevoked token of ``user``; returns how many. Not audited on its own:
    the change that calls for it (a password change or reset, a deactivation) is, with the
    count. Called by :mod:`redactor.accounts.service`, which has checked the policy."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=_now())
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return result.rowcount or 0


def list_tokens(session: Session, actor: User | None, user: User | None = None) -> list[ApiToken]:
    """The tokens of ``user`` (of everyone when None: administrators only), newest first.

    Raises ``NotPermitted`` when ``actor`` may not see them."""
    query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user is None:
        if actor is not None and not (actor.active and can_manage_users(actor.roles)):
            raise NotPermitted("only administrators list everyone's tokens")
    else:
        if not can_manage_token(actor, user.id):
            raise NotPermitted("only the user themselves or an administrator lists their tokens")
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query))


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and _aware(token.expires_at) <= (now or _now()):
        return "expired"
    return "active"


def resolve_token(session: Session, secret: object) -> User | None:
    """The user ``secret`` authenticates, or None: unknown, malformed, revoked, expired, its
    user inactive, or its user still holding a password an administrator chose (fail closed:
    a reset revokes the tokens, and nothing else may bring one back in between). Notes the
    time of use (at most once a minute per token); flushes."""
    if not isinstance(secret, str) or not secret.startswith(SECRET_PREFIX):
        return None
    if len(secret) > MAX_SECRET_LENGTH or not secret.isascii() or not secret.isprintable():
        return None
    digest = token_hash(secret)
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).one_or_none()
    # The lookup is by digest; the comparison in constant time is belt and braces.
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    now = _now()
    if token_state(token, now) != "active":
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active or user.must_change_password is not False:
        return None
    if token.last_used_at is None or now - _aware(token.last_used_at) >= LAST_USED_GRANULARITY:
        allow_writes(session)
        token.last_used_at = now
        session.flush()
    return user
