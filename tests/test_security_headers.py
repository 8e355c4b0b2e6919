"""Security headers on every response, and errors mapped to clear pages (never a 500)."""

from __future__ import annotations

import pytest

from redactor.review.policy import Level, Role
from redactor.web.blueprints import CONTENT_SECURITY_POLICY

EXPECTED = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def test_csp_forbids_inline_script_and_framing():
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "object-src 'none'" in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path", ["/login", "/cables", "/no-such-page", "/static/css/app.css", "/"]
)
def test_every_response_has_the_security_headers(client, path):
    response = client.get(path)
    response.close()  # a static file response holds the file open
    for header, value in EXPECTED.items():
        assert response.headers.get(header) == value, (path, header)


def test_authenticated_pages_are_not_stored(client, make_user, login):
    _user, password = make_user("alice")
    login(client, "alice", password)
    for path in ("/cables", "/account/password"):
        assert client.get(path).headers["Cache-Control"] == "no-store"


def test_hsts_only_when_secure_cookies_are_on(client, app):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    app.config["SECURE_COOKIES"] = True
    assert "max-age" in client.get("/login").headers["Strict-Transport-Security"]


def test_unknown_page_is_a_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Not found" in response.get_data(as_text=True)


def test_errors_under_api_are_json_in_the_api_error_shape(client):
    # Anything under /api/, even outside /api/v1/, answers in docs/api.md's one error shape.
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"]["code"] == "not_found"


def test_too_large_request_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/login", data={"username": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "larger than this server accepts" in response.get_data(as_text=True)


def test_pages_carry_no_inline_script_or_style(client, make_user, login):
    _user, password = make_user("bob", roles=[Role.ADMIN], clearance=Level.SECRET)
    login(client, "bob", password)
    for path in ("/login", "/cables", "/admin/users", "/account/password"):
        page = client.get(path).get_data(as_text=True)
        assert "<script" not in page.lower() and "style=" not in page.lower(), path


@pytest.mark.parametrize(
    "query",
    [
        "page=-1", "page=abc", "page=99999999999999999999", "classification=BOGUS",
        "status=nope", "q=%00", "q=" + "x" * 5000, "origin=%ff", "q=\"unbalanced",
        "q=NEAR(a b)", "q=*",
    ],
)
def test_bad_list_arguments_never_cause_a_server_error(client, make_user, login, query):
    _user, password = make_user("carol")
    login(client, "carol", password)
    # A NUL is refused (400) everywhere, as PostgreSQL cannot store or compare it.
    assert client.get(f"/cables?{query}").status_code == (400 if "%00" in query else 200)


def test_domain_errors_map_to_their_status(app, client):
    from flask import Blueprint

    from redactor.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted

    raising = Blueprint("raising", __name__)
    for path, exc in [("nf", NotFound), ("np", NotPermitted), ("it", IllegalTransition),
                      ("ii", InvalidInput)]:
        raising.add_url_rule(f"/raise/{path}", path, lambda exc=exc: (_ for _ in ()).throw(
            exc("something specific")))
        raising.add_url_rule(f"/api/raise/{path}", f"api_{path}", lambda exc=exc: (
            _ for _ in ()).throw(exc("something specific")))
    app.register_blueprint(raising)
    expected = {"nf": 404, "np": 403, "it": 409, "ii": 422}
    for path, status in expected.items():
        page = client.get(f"/raise/{path}")
        assert page.status_code == status
        api = client.get(f"/api/raise/{path}")
        assert api.status_code == status and api.is_json
    # A 404 never echoes why: "above your clearance" would itself be a disclosure.
    assert "something specific" not in client.get("/raise/nf").get_data(as_text=True)
    assert "something specific" in client.get("/raise/ii").get_data(as_text=True)
