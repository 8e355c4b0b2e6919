"""A new user changes the generated password first (issue 14, item 5), in the browser: an
admin creates the account from the admin page, the new user signs in with the password shown
once, lands on the change-password page, finds every link leading back there, and after the
change lands on the dashboard. Clicks only, from the sign-in page."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import expect

from redactor.review.policy import Role

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE = os.environ.get("REDACTOR_UPDATE_SCREENSHOTS", "") == "1"
NEW = "a passphrase of her own 31"


def test_a_new_user_is_asked_to_change_the_generated_password(
    browser, person, live_server, artifacts
):
    admin = person("ada", roles=(Role.ADMIN,))
    watched = admin.sign_in()
    page = watched.page
    page.click("nav.site-nav >> text=Admin")
    page.fill("#username", "nell")
    page.check("input[name=roles][value=reviewer]")
    page.select_option("#clearance", "SECRET")
    with page.expect_navigation():
        page.click("button:has-text('Create user')")
    expect(page.locator("#must-change-note")).to_be_visible()
    password = page.locator("code.secret").inner_text().strip()

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        newbie = context.new_page()
        errors: list[str] = []
        newbie.on("pageerror", lambda error: errors.append(str(error)))
        newbie.goto(f"{live_server}/login")
        newbie.fill("input[name=username]", "nell")
        newbie.fill("input[name=password]", password)
        with newbie.expect_navigation():
            newbie.click("button[type=submit]")
        assert newbie.url.endswith("/account/password")
        expect(newbie.locator("#password-required")).to_be_visible()
        # Only signing out is offered; the brand link, the one other link, leads back here.
        assert newbie.locator("nav.site-nav .nav-links").count() == 0
        newbie.screenshot(path=str(artifacts / "password-change.png"))
        with newbie.expect_navigation():
            newbie.click("a.brand")
        assert newbie.url.endswith("/account/password")
        # The same password again is refused and changes nothing.
        newbie.fill("#current_password", password)
        newbie.fill("#new_password", password)
        newbie.fill("#confirm", password)
        with newbie.expect_navigation():
            newbie.click("button:has-text('Change password')")
        expect(newbie.locator(".alert-error")).to_contain_text("must differ")
        newbie.fill("#current_password", password)
        newbie.fill("#new_password", NEW)
        newbie.fill("#confirm", NEW)
        with newbie.expect_navigation():
            newbie.click("button:has-text('Change password')")
        assert newbie.url.endswith("/dashboard")
        with newbie.expect_navigation():
            newbie.click("nav.site-nav >> text=Cables")
        assert newbie.url.endswith("/cables")
        assert errors == []
    finally:
        context.close()
    watched.assert_quiet()
    if UPDATE:
        shot, target = artifacts / "password-change.png", DOCS / "password-change.png"
        if not target.exists() or target.read_bytes() != shot.read_bytes():
            shutil.copyfile(shot, target)
