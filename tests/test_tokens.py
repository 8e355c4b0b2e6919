"""Personal access tokens: the service, the ``/account/tokens`` page and ``redactor token``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from redactor.accounts import service as accounts
from redactor.accounts import tokens
from redactor.cli.tokens import token_group
from redactor.errors import InvalidInput, NotFound, NotPermitted
from redactor.models import ApiToken, AuditEntry
from redactor.review.policy import Role
from tests.fixtures_accounts import find_csrf_token

# --------------------------------------------------------------------------- service


def test_a_token_resolves_to_its_user_and_only_its_hash_is_stored(session, make_user):
    user, _ = make_user("tina")
    token, secret = tokens.create_token(session, user, user, "laptop")
    session.commit()
    assert secret.startswith("rdk_") and len(secret) > 40
    assert token.token_hash == tokens.token_hash(secret) and secret not in token.token_hash
    assert token.prefix == secret[:12]
    assert tokens.resolve_token(session, secret).id == user.id
    stored = session.scalars(select(AuditEntry).where(AuditEntry.action == "token.create")).one()
    assert secret not in stored.payload and json.loads(stored.payload)["prefix"] == token.prefix


@pytest.mark.parametrize(
    "secret", [None, "", 42, "rdk_", "rdk_nope", "x" * 300, "rdk_" + "é" * 40, "rdk_\x00abc"]
)
def test_unknown_or_malformed_secrets_resolve_to_nobody(session, make_user, secret):
    user, _ = make_user("tom")
    tokens.create_token(session, None, user, "real")
    session.commit()
    assert tokens.resolve_token(session, secret) is None


def test_revoked_expired_and_deactivated_tokens_resolve_to_nobody(session, make_user):
    user, _ = make_user("uma")
    revoked, revoked_secret = tokens.create_token(session, user, user, "one")
    _expiring, expiring_secret = tokens.create_token(
        session, user, user, "two", datetime.now(UTC) + timedelta(hours=1)
    )
    _kept, kept_secret = tokens.create_token(session, user, user, "three")
    tokens.revoke_token(session, user, revoked)
    session.commit()
    assert tokens.resolve_token(session, revoked_secret) is None
    assert tokens.resolve_token(session, expiring_secret) is not None
    _expiring.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.commit()
    assert tokens.resolve_token(session, expiring_secret) is None
    assert tokens.resolve_token(session, kept_secret) is not None
    accounts.set_active(session, None, user, False)
    session.commit()
    assert tokens.resolve_token(session, kept_secret) is None


def test_users_manage_their_own_tokens_and_admins_anyones(session, make_user):
    alice, _ = make_user("alice")
    bob, _ = make_user("bob")
    admin, _ = make_user("admin", roles=(Role.ADMIN,))
    with pytest.raises(NotPermitted):
        tokens.create_token(session, alice, bob, "not mine")
    token, _ = tokens.create_token(session, admin, bob, "for bob")
    with pytest.raises(NotFound):
        tokens.get_token(session, alice, token.id)
    with pytest.raises(NotFound):
        tokens.revoke_token(session, alice, token)
    with pytest.raises(NotPermitted):
        tokens.list_tokens(session, alice, bob)
    with pytest.raises(NotPermitted):
        tokens.list_tokens(session, alice)
    assert [t.id for t in tokens.list_tokens(session, bob, bob)] == [token.id]
    assert tokens.revoke_token(session, admin, token).revoked_at is not None
    session.commit()
    actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
    assert actions[-2:] == ["token.create", "token.revoke"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there", 7, "zero\u200bwidth"])
def test_a_token_needs_a_plain_name(session, make_user, name):
    user, _ = make_user("vic")
    with pytest.raises(InvalidInput):
        tokens.create_token(session, user, user, name)


def test_an_expiry_must_lie_in_the_future(session, make_user):
    user, _ = make_user("wes")
    with pytest.raises(InvalidInput):
        tokens.create_token(session, user, user, "old", datetime.now(UTC) - timedelta(days=1))


def test_revoking_twice_is_recorded_once(session, make_user):
    user, _ = make_user("xia")
    token, _ = tokens.create_token(session, user, user, "x")
    tokens.revoke_token(session, user, token)
    first = token.revoked_at
    tokens.revoke_token(session, user, token)
    session.commit()
    assert token.revoked_at == first
    count = len(session.scalars(select(AuditEntry).where(AuditEntry.action == "token.revoke"))
                .all())
    assert count == 1


# --------------------------------------------------------------------------- page


def _secret_on(page: str) -> str:
    match = re.search(r'<code class="token-secret">(rdk_[A-Za-z0-9_-]+)</code>', page)
    assert match, "no secret on the page"
    return match.group(1)


def test_the_page_creates_a_token_shows_it_once_and_revokes_it(client, make_user, login):
    _user, password = make_user("yan")
    login(client, "yan", password)
    page = client.get("/account/tokens").get_data(as_text=True)
    created = client.post(
        "/account/tokens",
        data={"name": "script", "expires_days": "30", "csrf_token": find_csrf_token(page)},
    )
    assert created.status_code == 200
    secret = _secret_on(created.get_data(as_text=True))
    assert client.get("/api/v1/cables", headers={"Authorization": f"Bearer {secret}"}
                      ).status_code == 200
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in listing and secret[:12] in listing and "script" in listing
    token_id = re.search(r'/account/tokens/(\d+)/revoke', listing).group(1)
    revoked = client.post(
        f"/account/tokens/{token_id}/revoke", data={"csrf_token": find_csrf_token(listing)}
    )
    assert revoked.status_code == 302
    assert client.get("/api/v1/cables", headers={"Authorization": f"Bearer {secret}"}
                      ).status_code == 401


def test_the_page_refuses_posts_without_csrf_and_other_peoples_tokens(
    client, make_user, login, session
):
    other, _ = make_user("zed")
    token, _ = tokens.create_token(session, other, other, "zed's")
    session.commit()
    _user, password = make_user("amy")
    login(client, "amy", password)
    assert client.post("/account/tokens", data={"name": "x"}).status_code == 400
    page = client.get("/account/tokens").get_data(as_text=True)
    assert "zed&#39;s" not in page and "zed's" not in page
    response = client.post(
        f"/account/tokens/{token.id}/revoke", data={"csrf_token": find_csrf_token(page)}
    )
    assert response.status_code == 404
    assert session.get(ApiToken, token.id).revoked_at is None


def test_the_page_needs_a_login(client):
    response = client.get("/account/tokens")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_bad_name_is_refused_on_the_page(client, make_user, login):
    _user, password = make_user("ben")
    login(client, "ben", password)
    page = client.get("/account/tokens").get_data(as_text=True)
    response = client.post(
        "/account/tokens",
        data={"name": "", "expires_days": "0", "csrf_token": find_csrf_token(page)},
    )
    assert response.status_code == 422 and "token-secret" not in response.get_data(as_text=True)


# --------------------------------------------------------------------------- command line


@pytest.fixture
def run(app_config):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(
            token_group, list(args), obj={"config": dict(app_config)}, catch_exceptions=False
        )

    return invoke


def test_the_command_line_creates_lists_and_revokes_tokens(app, run, make_user, session):
    make_user("cli-user")
    created = run("create", "cli-user", "--name", "ci", "--expires-days", "7")
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip()
    assert secret.startswith("rdk_") and "\n" not in secret
    with app.extensions["redactor.sessions"]() as fresh:
        assert tokens.resolve_token(fresh, secret).username == "cli-user"
        fresh.commit()
    listed = run("list", "cli-user")
    assert listed.exit_code == 0 and secret[:12] in listed.stdout and secret not in listed.stdout
    token_id = session.scalar(select(ApiToken.id))
    session.rollback()
    revoked = run("revoke", str(token_id))
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert "revoked" in run("list").stdout
    assert run("revoke", "999").exit_code != 0
    assert run("create", "nobody").exit_code != 0


def test_a_password_reset_revokes_every_token_of_the_user_and_says_how_many(session, make_user):
    user, _ = make_user("rita")
    other, _ = make_user("otto")
    for name in ("laptop", "script"):
        tokens.create_token(session, user, user, name)
    _kept, kept_secret = tokens.create_token(session, other, other, "laptop")
    session.commit()
    accounts.set_password(session, None, user, "a brand new passphrase 7")
    session.commit()
    assert {tokens.token_state(t) for t in tokens.list_tokens(session, None, user)} == {"revoked"}
    assert tokens.resolve_token(session, kept_secret).id == other.id
    change = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "user.password_change")
    ).one()
    assert json.loads(change.payload)["tokens_revoked"] == 2


def test_deactivation_revokes_tokens_so_reactivation_does_not_revive_them(session, make_user):
    user, _ = make_user("rosa")
    _token, secret = tokens.create_token(session, user, user, "laptop")
    session.commit()
    accounts.set_active(session, None, user, False)
    accounts.set_active(session, None, user, True)
    session.commit()
    assert tokens.resolve_token(session, secret) is None
