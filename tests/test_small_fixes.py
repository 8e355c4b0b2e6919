"""The smaller things of issue 14, item 5, each through the Flask test client.

Each test walks what a person does (sign in, open the dashboard, fill the admin form, open
the audit log) and checks what the page shows; each fails on the code before its fix.
"""

from __future__ import annotations

import pytest

from redactor.review.policy import Level, Role
from tests.fixtures_accounts import find_csrf_token

# --------------------------------------------------------------------------- 1. landing


def test_sign_in_lands_on_the_dashboard(client, make_user, login):
    _user, password = make_user("lana")
    response = login(client, "lana", password)
    assert response.headers["Location"] == "/dashboard"
    # Already signed in: the sign-in page sends one to the dashboard too.
    assert client.get("/login").headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/cables/09X1?version=1", "/cables/09X1?version=1"),
        ("//evil.example/x", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("http:/evil.example", "/dashboard"),
    ],
)
def test_sign_in_keeps_a_local_next_and_never_leaves_the_site(
    client, make_user, csrf_token, target, expected
):
    _user, password = make_user("nina")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "nina", "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected
