"""Fixtures for users and logging in (make_user, login, csrf_token).

Password hashing uses argon2-cffi's cheapest profile in tests (``REDACTOR_ARGON2_PROFILE=test``
is set for the whole run, unless the environment already says otherwise): argon2id with the
real parameters is slow by design and the suite logs in many times.
"""

from __future__ import annotations

import html
import itertools
import os
import re
from collections.abc import Callable, Iterable

import pytest

from redactor.accounts import service as accounts
from redactor.models import User
from redactor.review.policy import Level, Role

_CSRF_INPUT = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')
_CSRF_META = re.compile(r'<meta[^>]*name="csrf-token"[^>]*content="([^"]+)"')


def pytest_configure(config: pytest.Config) -> None:
    os.environ.setdefault("REDACTOR_ARGON2_PROFILE", "test")
    accounts.set_hash_profile(os.environ["REDACTOR_ARGON2_PROFILE"])


def find_csrf_token(page: str) -> str:
    """The CSRF token in an HTML page (a form's hidden field or the meta tag).

    Raises ``AssertionError`` when the page has none.
    """
    match = _CSRF_INPUT.search(page) or _CSRF_META.search(page)
    assert match, "no CSRF token in the page"
    return html.unescape(match.group(1))


@pytest.fixture
def make_user(session) -> Callable[..., tuple[User, str]]:
    """Factory: ``make_user(username=None, roles=(REVIEWER,), clearance=TOP_SECRET,
    password=None, display_name="", active=True) -> (User, password)``.

    Creates and commits the user through the accounts service (as the local administrator);
    a random password is generated when none is given. The user belongs to the ``session``
    fixture.
    """
    counter = itertools.count(1)

    def factory(
        username: str | None = None,
        roles: Iterable[Role | str] = (Role.REVIEWER,),
        clearance: Level | int | str = Level.TOP_SECRET,
        password: str | None = None,
        *,
        display_name: str = "",
        active: bool = True,
    ) -> tuple[User, str]:
        name = username or f"user{next(counter)}"
        secret = password or accounts.generate_password(name)
        user = accounts.create_user(
            session, None, name, secret, roles, clearance, display_name=display_name
        )
        if not active:
            accounts.set_active(session, None, user, False)
        session.commit()
        return user, secret

    return factory


@pytest.fixture
def csrf_token() -> Callable[..., str]:
    """``csrf_token(client, path="/login") -> str``: fetch ``path`` and read its CSRF token."""

    def fetch(client, path: str = "/login") -> str:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return find_csrf_token(response.get_data(as_text=True))

    return fetch


@pytest.fixture
def login(csrf_token) -> Callable[..., object]:
    """``login(client, username, password, *, check=True) -> Response``.

    Logs in through the login form: fetches ``/login``, reads the CSRF token from the form,
    posts the credentials. With ``check`` (the default) asserts the login succeeded (a
    redirect away from the login page).
    """

    def do_login(client, username: str, password: str, *, check: bool = True):
        token = csrf_token(client, "/login")
        response = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": token},
        )
        if check:
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
            assert "/login" not in response.headers["Location"]
        return response

    return do_login
