"""Signing in and out through the web: server-side sessions, cookies, CSRF, rate limits."""

from __future__ import annotations

import pytest

from redactor.review.policy import Level, Role


def _cookie_header(response) -> str:
    (header,) = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return header


def test_login_page_renders_a_form_with_a_csrf_token(client):
    response = client.get("/login")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="csrf_token"' in page and 'name="password"' in page


def test_pages_redirect_to_login_when_signed_out(client):
    response = client.get("/cables")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_then_cable_list_then_logout(client, make_user, login, csrf_token):
    make_user("alice", password="my own passphrase!")
    response = login(client, "alice", "my own passphrase!")
    assert response.headers["Location"] == "/dashboard"  # issue 14: one lands on one's queues
    assert client.get("/cables").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf_token(client, "/cables")})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/cables").status_code == 302


def test_login_follows_a_local_next_but_not_an_external_one(client, make_user, csrf_token):
    _user, password = make_user("bob")
    for target, expected in [("/cables?page=2", "/cables?page=2"),
                             ("//evil.example/x", "/dashboard"),
                             ("https://evil.example/", "/dashboard"),
                             ("/\\evil.example", "/dashboard")]:
        token = csrf_token(client, "/login")
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"username": "bob", "password": password, "csrf_token": token},
        )
        assert response.headers["Location"] == expected
        client.post("/logout", data={"csrf_token": csrf_token(client, "/cables")})


def test_wrong_password_and_unknown_user_show_the_same_generic_message(client, make_user, login):
    make_user("carol")
    wrong = login(client, "carol", "definitely wrong", check=False)
    unknown = login(client, "nobody-here", "definitely wrong", check=False)
    assert wrong.status_code == unknown.status_code == 200
    assert "Invalid username or password." in wrong.get_data(as_text=True)
    assert "Invalid username or password." in unknown.get_data(as_text=True)
    assert client.get("/cables").status_code == 302


def test_rate_limited_login_answers_429_with_the_wait(app, client, make_user, login):
    app.config["LOGIN_MAX_FAILURES"] = 2
    _user, password = make_user("dave")
    for _ in range(2):
        login(client, "dave", "definitely wrong", check=False)
    response = login(client, "dave", password, check=False)
    assert response.status_code == 429
    assert "too many attempts, try again in 15 minutes" in response.get_data(as_text=True).lower()


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user, login):
    _user, password = make_user("erin")
    header = _cookie_header(login(client, "erin", password))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # plain HTTP in tests; SECURE_COOKIES turns it on


def test_session_cookie_is_secure_when_configured(app_config, make_user, login):
    from redactor.web import create_app

    app = create_app({**app_config, "SECURE_COOKIES": True})
    try:
        client = app.test_client()
        _user, password = make_user("frank")
        assert "Secure" in _cookie_header(login(client, "frank", password))
    finally:
        app.extensions["redactor.engine"].dispose()


def test_session_cookie_does_not_carry_the_password(client, make_user, login):
    _user, password = make_user("gina")
    header = _cookie_header(login(client, "gina", password))
    assert password not in header


def test_replayed_session_cookie_is_refused_after_logout(app, client, make_user, login, csrf_token):
    _user, password = make_user("hana")
    login(client, "hana", password)
    cookie = client.get_cookie("session").value
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cables")})

    thief = app.test_client()
    thief.set_cookie("session", cookie)
    response = thief.get("/cables")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_replayed_session_cookie_is_refused_after_deactivation(
    app, client, session, make_user, login
):
    from redactor.accounts import service as accounts

    user, password = make_user("ivan")
    login(client, "ivan", password)
    assert client.get("/cables").status_code == 200
    accounts.set_active(session, None, user, False)
    session.commit()
    assert client.get("/cables").status_code == 302


def test_login_issues_a_new_session_cookie(client, make_user, login):
    # No session fixation: whatever the visitor carried before is replaced.
    _user, password = make_user("jack")
    client.get("/login")
    before = client.get_cookie("session").value
    login(client, "jack", password)
    assert client.get_cookie("session").value != before


def test_post_without_csrf_token_is_refused_with_400(client, make_user):
    _user, password = make_user("kate")
    response = client.post("/login", data={"username": "kate", "password": password})
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert client.get("/cables").status_code == 302


def test_logout_is_post_only(client, make_user, login):
    _user, password = make_user("liam")
    login(client, "liam", password)
    assert client.get("/logout").status_code == 405
    assert client.get("/cables").status_code == 200


def test_change_own_password_keeps_this_session_and_ends_the_others(
    app, client, make_user, login, csrf_token
):
    _user, password = make_user("mia")
    other = app.test_client()
    login(other, "mia", password)
    login(client, "mia", password)
    response = client.post(
        "/account/password",
        data={
            "current_password": password,
            "new_password": "a fresh passphrase 42",
            "confirm": "a fresh passphrase 42",
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert response.status_code == 302
    assert client.get("/cables").status_code == 200
    assert other.get("/cables").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cables")})
    login(client, "mia", "a fresh passphrase 42")


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong current pw", "a fresh passphrase 42", "a fresh passphrase 42", "current password"),
        (None, "short", "short", "at least 12"),
        (None, "a fresh passphrase 42", "another passphrase", "differ"),
    ],
)
def test_change_own_password_errors_are_422_with_a_message(
    client, make_user, login, csrf_token, current, new, confirm, message
):
    _user, password = make_user("noah")
    login(client, "noah", password)
    response = client.post(
        "/account/password",
        data={
            "current_password": current or password,
            "new_password": new,
            "confirm": confirm,
            "csrf_token": csrf_token(client, "/account/password"),
        },
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_role_required_gives_403_to_a_user_without_the_role(client, make_user, login):
    _user, password = make_user("olga", roles=[Role.REVIEWER], clearance=Level.SECRET)
    login(client, "olga", password)
    assert client.get("/admin/users").status_code == 403


def test_nav_shows_admin_link_to_admins_only(client, make_user, login, csrf_token):
    _admin, admin_pw = make_user("admin", roles=[Role.ADMIN])
    _rev, rev_pw = make_user("rev", roles=[Role.REVIEWER])
    login(client, "admin", admin_pw)
    assert 'href="/admin/users"' in client.get("/cables").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/cables")})
    login(client, "rev", rev_pw)
    assert 'href="/admin/users"' not in client.get("/cables").get_data(as_text=True)
