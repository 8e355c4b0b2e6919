"""Who sees what, in a browser: clearance everywhere, and a copied cookie after sign-out."""

from __future__ import annotations

import re

from redactor.accounts import tokens
from redactor.models import User
from redactor.review.policy import Level, Role

SECRET_REF = "09SECRET77"
SECRET_WORD = "ZANZIBARQX"
CONF_REF = "09CONFID77"
CONF_WORD = "OKAPIWORD"


def test_a_confidential_user_never_finds_a_secret_cable(person, make_cable, session):
    make_cable(SECRET_REF, "SECRET", subject=f"{SECRET_WORD} TALKS",
               body=f"1. (S) The {SECRET_WORD} plan.\n\n2. (U) Nothing more.")
    make_cable(CONF_REF, "CONFIDENTIAL", subject=f"{CONF_WORD} TALKS",
               body=f"1. (C) The {CONF_WORD} plan.\n\n2. (U) Nothing more.")
    carl = person("carl", roles=(Role.REVIEWER,), clearance=Level.CONFIDENTIAL)
    _token, secret = tokens.create_token(session, None, session.get(User, carl.user_id), "t")
    session.commit()

    watched = carl.sign_in()
    page = watched.page
    base = carl.base
    page.goto(f"{base}/cables")
    listing = page.inner_text("main")
    assert CONF_REF in listing and SECRET_REF not in listing
    for query in (SECRET_WORD, "TALKS", "plan"):
        page.goto(f"{base}/cables?q={query}")
        found = page.inner_text("main")
        assert SECRET_REF not in found and SECRET_WORD not in found, query
    page.goto(f"{base}/dashboard")
    assert SECRET_REF not in page.inner_text("main")

    # Direct URLs answer exactly as for a cable that does not exist.
    for path in ("", "/preview", "/release"):
        secret_page = page.goto(f"{base}/cables/{SECRET_REF}{path}")
        secret_status, secret_body = secret_page.status, secret_page.text()
        unknown_status = page.goto(f"{base}/cables/09NOSUCH77{path}").status
        assert secret_status in (403, 404) and secret_status == unknown_status, path
        assert SECRET_WORD not in secret_body and SECRET_REF not in secret_body, path
    assert page.goto(f"{base}/cables/{SECRET_REF}").status == 404
    assert page.goto(f"{base}/cables/{CONF_REF}").status == 200  # the control

    # The API with the same person's token.
    bearer = {"Authorization": f"Bearer {secret}"}
    api = page.request
    assert api.get(f"{base}/api/v1/cables/{SECRET_REF}", headers=bearer).status == 404
    assert api.get(f"{base}/api/v1/cables/{CONF_REF}", headers=bearer).status == 200
    listed = api.get(f"{base}/api/v1/cables", headers=bearer).json()
    assert [item["reference_id"] for item in listed["items"]] == [CONF_REF]
    searched = api.get(f"{base}/api/v1/cables?q={SECRET_WORD}", headers=bearer).json()
    assert searched["total"] == 0 and searched["items"] == []
    # The refused pages themselves are logged by the browser as failed loads: expected.
    watched_errors = [e for e in watched.console_errors if not re.search(r"status of 40[34]", e)]
    assert watched_errors == [] and watched.page_errors == [] and watched.dialogs == []


def test_a_copied_session_cookie_is_refused_after_sign_out(person, browser):
    rita = person("rita", roles=(Role.REVIEWER,))
    watched = rita.sign_in()
    page = watched.page
    cookies = rita.context.cookies()
    assert cookies, "signed in without a cookie?"

    def replay() -> str:
        """Open the cable list in a fresh context holding only the copied cookies."""
        context = browser.new_context()
        try:
            context.add_cookies(cookies)
            other = context.new_page()
            other.goto(f"{rita.base}/cables")
            return other.url
        finally:
            context.close()

    assert replay().endswith("/cables")  # the copy works while the session lives
    with page.expect_navigation():
        page.click("form[action$='/logout'] button[type=submit]")
    assert "/login" in page.url or page.url.rstrip("/").endswith(rita.base.rstrip("/"))
    assert "/login" in replay()
    page.goto(f"{rita.base}/cables")
    assert "/login" in page.url
    watched.assert_quiet()
