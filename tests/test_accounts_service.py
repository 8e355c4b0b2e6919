"""The accounts service: hashing, password and username rules, login rate limits, sessions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher, profiles
from sqlalchemy import func, select

from redactor.accounts import limits
from redactor.accounts import service as accounts
from redactor.errors import InvalidInput, NotPermitted
from redactor.models import AuditEntry, LoginAttempt, UserSession
from redactor.review.policy import Level, Role

LIMITS = {"max_failures": 3, "window_seconds": 600}


def _entries(session, action: str) -> list[dict]:
    rows = session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
    return [json.loads(row.payload) for row in rows]


def _login(session, username, password, addr="10.0.0.1"):
    return accounts.authenticate(session, username, password, addr, **LIMITS)


def _failures(session, username, password, addr, times):
    for _ in range(times):
        with pytest.raises(accounts.LoginRefused):
            _login(session, username, password, addr)
    session.commit()


# -- hashing and rules ---------------------------------------------------------------------------


def test_password_is_stored_as_an_argon2id_hash_not_the_password(session, make_user):
    user, password = make_user("alice")
    assert user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash
    assert accounts.verify_password(user.password_hash, password)
    assert not accounts.verify_password(user.password_hash, password + "x")


def test_default_hash_profile_is_rfc9106():
    default = accounts.HASH_PROFILES[accounts.DEFAULT_HASH_PROFILE]
    assert default == profiles.RFC_9106_LOW_MEMORY
    assert default.memory_cost == 64 * 1024 and default.time_cost == 3


def test_login_rehashes_a_password_hashed_with_other_parameters(session, make_user):
    user, password = make_user("bob")
    old = PasswordHasher(time_cost=1, memory_cost=16, parallelism=1, hash_len=16).hash(password)
    user.password_hash = old
    session.commit()
    _login(session, "bob", password)
    assert user.password_hash != old
    assert accounts.verify_password(user.password_hash, password)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short-pw1", "at least 12"),
        ("            ", "only spaces"),
        ("aaaaaaaaaaaaaaaa", "4 different"),
        ("x" * 1025, "at most"),
        ("carol-is-my-password", "username"),
    ],
)
def test_weak_password_is_refused_with_a_clear_message(session, password, message):
    with pytest.raises(InvalidInput, match=message):
        accounts.create_user(session, None, "carol", password, [Role.REVIEWER], Level.SECRET)


@pytest.mark.parametrize("name", ["a", "Bad Name", "x" * 65, "semi;colon", "ünï", ""])
def test_bad_username_is_refused(session, name):
    with pytest.raises(InvalidInput, match="username"):
        accounts.create_user(session, None, name, "correct horse battery", [], 0)


def test_usernames_are_case_insensitive_and_unique(session, make_user):
    make_user("dave")
    with pytest.raises(InvalidInput, match="taken"):
        accounts.create_user(session, None, " DAVE ", "correct horse battery", [], 0)


def test_unknown_role_or_level_is_refused(session):
    with pytest.raises(InvalidInput, match="role"):
        accounts.create_user(session, None, "erin", "correct horse battery", ["king"], 0)
    with pytest.raises(InvalidInput, match="clearance"):
        accounts.create_user(session, None, "erin", "correct horse battery", [], "COSMIC")


def test_create_user_is_audited_without_the_password(session):
    user = accounts.create_user(
        session, None, "frank", "correct horse battery", ["approver"], "SECRET", "Frank F."
    )
    session.commit()
    (entry,) = _entries(session, "user.create")
    assert entry["username"] == "frank" and entry["roles"] == ["approver"]
    assert entry["clearance"] == "SECRET"
    assert user.roles == {Role.APPROVER} and user.clearance == Level.SECRET
    raw = " ".join(session.scalars(select(AuditEntry.payload)).all())
    assert "correct horse battery" not in raw


# -- who may manage users ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_only_admins_manage_users(session, make_user, role):
    actor, _ = make_user("actor", roles=[role])
    target, _ = make_user("target")
    with pytest.raises(NotPermitted):
        accounts.create_user(session, actor, "newbie", "correct horse battery", [], 0)
    for change in (
        lambda: accounts.set_roles(session, actor, target, [Role.ADMIN]),
        lambda: accounts.set_clearance(session, actor, target, Level.TOP_SECRET),
        lambda: accounts.set_active(session, actor, target, False),
        lambda: accounts.set_password(session, actor, target, "correct horse battery"),
        lambda: accounts.list_users(session, actor),
    ):
        with pytest.raises(NotPermitted):
            change()


def test_a_deactivated_admin_manages_nobody(session, make_user):
    admin, _ = make_user("admin", roles=[Role.ADMIN], active=False)
    with pytest.raises(NotPermitted):
        accounts.list_users(session, admin)


def test_admin_cannot_lock_themselves_out(session, make_user):
    admin, _ = make_user("admin", roles=[Role.ADMIN])
    with pytest.raises(InvalidInput):
        accounts.set_roles(session, admin, admin, [Role.REVIEWER])
    with pytest.raises(InvalidInput):
        accounts.set_active(session, admin, admin, False)


def test_role_and_clearance_changes_are_audited_with_before_and_after(session, make_user):
    admin, _ = make_user("admin", roles=[Role.ADMIN])
    user, _ = make_user("gina", roles=[Role.REVIEWER], clearance=Level.CONFIDENTIAL)
    accounts.set_roles(session, admin, user, [Role.APPROVER, Role.REVIEWER])
    accounts.set_clearance(session, admin, user, "SECRET")
    accounts.set_active(session, admin, user, False)
    session.commit()
    updates = _entries(session, "user.update")
    assert [u["after"] for u in updates] == [
        {"roles": ["approver", "reviewer"], "clearance": "CONFIDENTIAL", "active": True},
        {"roles": ["approver", "reviewer"], "clearance": "SECRET", "active": True},
        {"roles": ["approver", "reviewer"], "clearance": "SECRET", "active": False},
    ]
    assert updates[0]["before"]["roles"] == ["reviewer"]


# -- login and rate limits -----------------------------------------------------------------------


def test_unknown_user_and_wrong_password_get_the_same_refusal(session, make_user):
    make_user("hana", password="her long passphrase")
    with pytest.raises(accounts.LoginRefused) as unknown:
        _login(session, "nobody", "whatever it is here")
    with pytest.raises(accounts.LoginRefused) as wrong:
        _login(session, "hana", "not her passphrase")
    assert str(unknown.value) == str(wrong.value)


def test_failed_login_is_audited_with_the_account_id_but_never_the_password(session, make_user):
    user, _ = make_user("ivan")
    with pytest.raises(accounts.LoginRefused):
        _login(session, "IVAN ", "SeCrEt-guess-123")
    session.commit()
    assert _entries(session, "auth.login_failed") == [{"user_id": user.id, "username": "ivan"}]
    raw = " ".join(session.scalars(select(AuditEntry.payload)).all())
    assert "SeCrEt-guess-123" not in raw


def test_successful_login_is_audited_and_returns_the_user(session, make_user):
    user, password = make_user("jack")
    assert _login(session, "JACK", password) is user
    assert len(_entries(session, "auth.login")) == 1


def test_inactive_user_cannot_log_in_even_with_the_right_password(session, make_user):
    _user, password = make_user("kate", active=False)
    with pytest.raises(accounts.LoginRefused):
        _login(session, "kate", password)


def test_account_is_rate_limited_after_max_failures_from_any_address(session, make_user):
    _user, password = make_user("liam")
    for n in range(LIMITS["max_failures"]):
        _failures(session, "liam", "wrong password!", f"10.0.1.{n}", 1)
    with pytest.raises(accounts.LoginRateLimited) as limited:
        _login(session, "liam", password, "10.0.9.9")  # even the right password
    assert 0 < limited.value.retry_after <= LIMITS["window_seconds"]
    assert "try again in 10 minutes" in str(limited.value)


def test_failures_of_other_accounts_from_the_address_do_not_lock_an_account(session, make_user):
    # The office behind one proxy shares an address: others' failures must not lock mia out.
    _user, password = make_user("mia")
    for name in ("x1", "x2", "x3"):
        _failures(session, name, "wrong password!", "10.0.2.1", 1)
    assert _login(session, "mia", password, "10.0.2.1").username == "mia"


def test_spraying_address_gets_one_guess_per_username(session, make_user):
    _user, password = make_user("mia")
    ceiling = {**LIMITS, "address_ceiling": 4}
    for name in ("x1", "x2", "x3", "x4"):
        with pytest.raises(accounts.LoginRefused):
            accounts.authenticate(session, name, "wrong password!", "10.0.2.1", **ceiling)
    # Over the ceiling: a name that failed from here is refused unchecked ...
    with pytest.raises(accounts.LoginRateLimited):
        accounts.authenticate(session, "x1", "wrong password!", "10.0.2.1", **ceiling)
    # ... not one that did not, nor the same name from elsewhere.
    assert accounts.authenticate(session, "mia", password, "10.0.2.1", **ceiling) is _user
    with pytest.raises(accounts.LoginRefused):
        accounts.authenticate(session, "x1", "wrong password!", "10.0.2.2", **ceiling)


def test_failures_older_than_the_window_do_not_count(session, make_user):
    _user, password = make_user("noah")
    _failures(session, "noah", "wrong password!", "10.0.3.1", LIMITS["max_failures"])
    past = datetime.now(UTC) - timedelta(seconds=LIMITS["window_seconds"] + 5)
    for attempt in session.scalars(select(LoginAttempt)):
        attempt.at = past
    session.commit()
    assert _login(session, "noah", password, "10.0.3.1").username == "noah"


def test_a_successful_login_clears_the_accounts_failures(session, make_user):
    _user, password = make_user("olga")
    _failures(session, "olga", "wrong password!", "10.0.4.1", LIMITS["max_failures"] - 1)
    _login(session, "olga", password, "10.0.4.2")
    session.commit()
    key = limits.username_key(session, "olga")
    count = session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.username_key == key)
    )
    assert count == 0


# -- sessions ------------------------------------------------------------------------------------


def _start(session, user):
    return accounts.start_session(session, user, lifetime_seconds=3600, client_addr="10.0.5.1")


def test_only_the_sha256_of_a_session_token_is_stored(session, make_user):
    user, _ = make_user("paul")
    token = _start(session, user)
    session.commit()
    (stored,) = session.scalars(select(UserSession.token_hash)).all()
    assert token not in stored and len(stored) == 64
    assert accounts.resolve_session(session, token) is user


@pytest.mark.parametrize("token", [None, "", "nope", "x" * 5000, 42])
def test_unknown_or_malformed_tokens_resolve_to_nobody(session, token):
    assert accounts.resolve_session(session, token) is None


def test_logout_revokes_the_session(session, make_user):
    user, _ = make_user("quinn")
    token = _start(session, user)
    accounts.end_session(session, token)
    assert accounts.resolve_session(session, token) is None
    assert len(_entries(session, "auth.logout")) == 1


def test_expired_session_resolves_to_nobody(session, make_user):
    user, _ = make_user("rosa")
    token = _start(session, user)
    for row in session.scalars(select(UserSession)):
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    assert accounts.resolve_session(session, token) is None


def test_changing_own_password_revokes_all_sessions(session, make_user):
    user, password = make_user("sam")
    tokens = [_start(session, user) for _ in range(2)]
    accounts.change_own_password(session, user, password, "a brand new passphrase")
    session.commit()
    assert all(accounts.resolve_session(session, t) is None for t in tokens)
    assert _login(session, "sam", "a brand new passphrase") is user
    assert _entries(session, "user.password_change") == [
        {"username": "sam", "reset_by_admin": False, "tokens_revoked": 0,
         "must_change_password": False}
    ]


def test_changing_own_password_needs_the_current_one(session, make_user):
    user, _ = make_user("tina")
    with pytest.raises(accounts.WrongPassword):
        accounts.change_own_password(session, user, "not the password", "a brand new passphrase")


@pytest.mark.parametrize(
    "change",
    [
        lambda s, admin, u: accounts.set_active(s, admin, u, False),
        lambda s, admin, u: accounts.set_password(s, admin, u, "reset by the admin!"),
        lambda s, admin, u: accounts.set_roles(s, admin, u, [Role.AUDITOR]),
        lambda s, admin, u: accounts.set_clearance(s, admin, u, Level.UNCLASSIFIED),
    ],
    ids=["deactivate", "reset-password", "roles", "clearance"],
)
def test_admin_changes_revoke_the_users_sessions(session, make_user, change):
    admin, _ = make_user("admin", roles=[Role.ADMIN])
    user, _ = make_user("uma", roles=[Role.REVIEWER], clearance=Level.SECRET)
    token = _start(session, user)
    change(session, admin, user)
    session.commit()
    assert accounts.resolve_session(session, token) is None


def test_a_reactivated_users_old_sessions_stay_revoked(session, make_user):
    user, _ = make_user("vera")
    token = _start(session, user)
    accounts.set_active(session, None, user, False)
    accounts.set_active(session, None, user, True)
    assert accounts.resolve_session(session, token) is None


def test_generated_passwords_never_contain_the_username(monkeypatch):
    # Force the first random draws to contain the name: the generator must draw again.
    draws = iter(["xxANNAxxxxxxxxxxxxxx", "yyannayyyyyyyyyyyyyy", "a-good-random-draw-1"])
    monkeypatch.setattr(accounts.secrets, "token_urlsafe", lambda _n: next(draws))
    assert accounts.generate_password("anna") == "a-good-random-draw-1"
