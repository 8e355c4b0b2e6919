"""Helpers for the API tests (no tests here): users with tokens, and a bearer-token client."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redactor.accounts import tokens
from redactor.models import User
from redactor.review.policy import Level, Role

#: A cable text small enough to reason about offsets in: two marked portions.
BODY = (
    "1. (C) Summary: Ambassador QZJNAMEONE met the minister on Tuesday.\n\n"
    "2. (C) Comment: nothing further to report. End comment."
)


@dataclass
class Api:
    """A test client that sends ``Authorization: Bearer <secret>`` and JSON bodies."""

    client: Any
    secret: str
    user: User

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}", **(extra or {})}

    def get(self, path: str, **kwargs: Any):
        return self.client.get(path, headers=self._headers(kwargs.pop("headers", None)), **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any):
        headers = self._headers(kwargs.pop("headers", None))
        if json is None and "data" not in kwargs:
            return self.client.post(path, headers=headers, **kwargs)
        if "data" in kwargs:
            return self.client.post(path, headers=headers, **kwargs)
        return self.client.post(path, headers=headers, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any):
        return self.client.patch(
            path, headers=self._headers(kwargs.pop("headers", None)), json=json, **kwargs
        )


def issue_token(session, user: User, name: str = "tests", expires_at=None) -> str:
    """A fresh token secret for ``user`` (committed)."""
    _token, secret = tokens.create_token(session, None, user, name, expires_at)
    session.commit()
    return secret


def api_factory(app, session, make_user):
    """For a ``make_api`` fixture: ``make_api(username, roles=(...), clearance=TOP_SECRET)
    -> Api``, a user with a fresh token and a client of their own."""

    def make(
        username: str,
        roles: tuple[Role, ...] = (Role.REVIEWER,),
        clearance: Level = Level.TOP_SECRET,
    ) -> Api:
        user, _password = make_user(username, roles=roles, clearance=clearance)
        return Api(app.test_client(), issue_token(session, user), user)

    return make


def error_code(response) -> str:
    """The ``error.code`` of an API error response (asserting its shape)."""
    body = response.get_json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"}, body
    return body["error"]["code"]


def offsets_of(text: str, needle: str) -> tuple[int, int]:
    """``[start, end)`` of ``needle`` in ``text`` (code points)."""
    start = text.index(needle)
    return start, start + len(needle)
