"""User administration pages: admins only, every change through the service, CSRF on all."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from redactor.accounts import service as accounts
from redactor.models import AuditEntry, User
from redactor.review.policy import Level, Role


@pytest.fixture
def as_admin(client, make_user, login):
    """An admin (``admin``), logged in on ``client``."""
    user, password = make_user("admin", roles=[Role.ADMIN], clearance=Level.SECRET)
    login(client, "admin", password)
    return user


def _post(client, csrf_token, path, data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/admin/users")})


def _user(app, username) -> User:
    with app.extensions["redactor.sessions"]() as fresh:
        return accounts.get_user_by_username(fresh, username)


def test_admin_sees_every_user(client, make_user, as_admin):
    make_user("zed", roles=[Role.AUDITOR])
    page = client.get("/admin/users").get_data(as_text=True)
    assert "zed" in page and "auditor" in page and "admin" in page


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.ADMIN])
def test_non_admins_get_403_on_every_admin_page(client, make_user, login, csrf_token, role):
    target, _ = make_user("target")
    _user_obj, password = make_user("someone", roles=[role])
    login(client, "someone", password)
    assert client.get("/admin/users").status_code == 403
    assert client.get(f"/admin/users/{target.id}").status_code == 403
    token = csrf_token(client, "/cables")
    for path in ("/admin/users", f"/admin/users/{target.id}/roles",
                 f"/admin/users/{target.id}/clearance", f"/admin/users/{target.id}/active",
                 f"/admin/users/{target.id}/password"):
        response = client.post(path, data={"csrf_token": token, "username": "newbie",
                                           "roles": "admin", "clearance": "TOP_SECRET",
                                           "active": "0", "password": "correct horse battery"})
        assert response.status_code == 403, path


def test_create_user_with_typed_password(app, client, csrf_token, login, as_admin):
    response = _post(client, csrf_token, "/admin/users", {
        "username": "newbie", "display_name": "New Bie", "roles": ["reviewer", "approver"],
        "clearance": "CONFIDENTIAL", "password": "typed by the admin",
    })
    assert response.status_code == 200
    assert "typed by the admin" not in response.get_data(as_text=True)
    user = _user(app, "newbie")
    assert user.roles == {Role.REVIEWER, Role.APPROVER} and user.clearance == Level.CONFIDENTIAL
    login(app.test_client(), "newbie", "typed by the admin")


def test_create_user_with_generated_password_shows_it_once(app, client, csrf_token, login,
                                                           as_admin):
    response = _post(client, csrf_token, "/admin/users", {
        "username": "gen", "roles": "auditor", "clearance": "UNCLASSIFIED", "password": "",
    })
    page = response.get_data(as_text=True)
    password = re.search(r'<code class="secret">([^<]+)</code>', page).group(1)
    login(app.test_client(), "gen", password)
    assert password not in client.get("/admin/users").get_data(as_text=True)


def test_create_user_errors_are_422_with_the_reason(client, csrf_token, make_user, as_admin):
    make_user("taken")
    for data, reason in [
        ({"username": "taken"}, "taken"),
        ({"username": "Bad Name!"}, "username"),
        ({"username": "okname", "password": "short"}, "at least 12"),
        ({"username": "okname", "clearance": "COSMIC"}, "clearance"),
    ]:
        form = {"roles": "reviewer", "clearance": "SECRET", "password": "", **data}
        response = _post(client, csrf_token, "/admin/users", form)
        assert response.status_code == 422, data
        assert reason in response.get_data(as_text=True), data


def test_change_roles_clearance_and_deactivate(app, client, csrf_token, make_user, login,
                                               as_admin):
    target, password = make_user("target", roles=[Role.REVIEWER], clearance=Level.SECRET)
    victim = app.test_client()
    login(victim, "target", password)
    base = f"/admin/users/{target.id}"
    assert _post(client, csrf_token, f"{base}/roles", {"roles": ["approver"]}).status_code == 303
    assert _user(app, "target").roles == {Role.APPROVER}
    assert victim.get("/cables").status_code == 302  # signed out by the change
    assert _post(client, csrf_token, f"{base}/clearance", {"clearance": "UNCLASSIFIED"}
                 ).status_code == 303
    assert _user(app, "target").clearance == Level.UNCLASSIFIED
    assert _post(client, csrf_token, f"{base}/active", {"active": "0"}).status_code == 303
    assert not _user(app, "target").active
    assert login(victim, "target", password, check=False).status_code == 200  # refused
    assert _post(client, csrf_token, f"{base}/active", {"active": "1"}).status_code == 303
    login(victim, "target", password)


def test_reset_password_revokes_sessions_and_shows_the_new_one(app, client, csrf_token,
                                                               make_user, login, as_admin):
    target, old = make_user("target")
    victim = app.test_client()
    login(victim, "target", old)
    page = _post(client, csrf_token, f"/admin/users/{target.id}/password", {"password": ""}
                 ).get_data(as_text=True)
    new = re.search(r'<code class="secret">([^<]+)</code>', page).group(1)
    assert victim.get("/cables").status_code == 302
    assert login(app.test_client(), "target", old, check=False).status_code == 200
    login(app.test_client(), "target", new)


def test_admin_cannot_demote_or_deactivate_themselves(client, csrf_token, as_admin):
    base = f"/admin/users/{as_admin.id}"
    assert _post(client, csrf_token, f"{base}/roles", {"roles": ["reviewer"]}).status_code == 422
    assert _post(client, csrf_token, f"{base}/active", {"active": "0"}).status_code == 422
    assert client.get("/admin/users").status_code == 200


def test_unknown_user_id_is_404(client, csrf_token, as_admin):
    assert client.get("/admin/users/999999").status_code == 404
    assert _post(client, csrf_token, "/admin/users/999999/roles", {"roles": "reviewer"}
                 ).status_code == 404


def test_admin_forms_without_csrf_token_are_refused(app, client, make_user, as_admin):
    target, _ = make_user("target", roles=[Role.REVIEWER])
    response = client.post(f"/admin/users/{target.id}/roles", data={"roles": "admin"})
    assert response.status_code == 400
    assert _user(app, "target").roles == {Role.REVIEWER}


def test_admin_changes_are_audited_with_the_admin_as_actor(app, client, csrf_token, make_user,
                                                           session, as_admin):
    target, _ = make_user("target", roles=[Role.REVIEWER])
    _post(client, csrf_token, f"/admin/users/{target.id}/roles", {"roles": "auditor"})
    session.rollback()
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")).one()
    assert entry.actor_name == "admin" and entry.object_id == str(target.id)
