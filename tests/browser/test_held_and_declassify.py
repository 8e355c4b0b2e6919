"""Held imports and declassification, walked from the sign-in page by links and buttons.

A file that a low importer sent for a SECRET cable waits, held; a cleared reviewer finds it
from the dashboard, compares it with the cable's text and applies it. A reviewer asks, on the
cable page, for the cable to be lowered; an approver finds the request on the dashboard and
approves it, and the cable shows its new classification.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from redactor.cables.service import import_cable
from redactor.models import Cable, HeldImport
from redactor.review.policy import Level, Role
from tests.fixtures_store import MAX_BYTES, cable_text

REF = "09BRHELD1"
NEW_WORD = "PLATYPUS"


def test_a_cleared_reviewer_applies_a_held_import(person, make_cable, make_user, session, query):
    make_cable(REF, "SECRET", subject="HARBOR TALKS")
    sender, _ = make_user("sam", roles=[Role.REVIEWER], clearance=Level.CONFIDENTIAL)
    text = cable_text(REF, "SECRET", subject=f"HARBOR TALKS {NEW_WORD}")
    import_cable(session, sender, "harbor.txt", text.encode(), max_bytes=MAX_BYTES)
    session.commit()
    rosa = person("rosa", roles=(Role.REVIEWER,), clearance=Level.SECRET)
    watched = rosa.sign_in()
    page = watched.page
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.get_by_role("link", name="Held imports (1)").click()
    expect(page.get_by_role("heading", name="Held imports (1)")).to_be_visible()
    page.get_by_role("link", name="harbor.txt").click()
    expect(page.locator("#held-diff ins").first).to_contain_text(NEW_WORD)
    page.click("#held-apply")
    expect(page.locator(".flash")).to_contain_text(f"Applied: {REF} is now at version 2.")
    expect(page.locator("#held-list")).to_have_count(0)

    def read(db):
        cable = db.scalars(select(Cable).where(Cable.reference_id == REF)).one()
        held = db.scalars(select(HeldImport)).one()
        return cable.current_version, held.status.value, held.decided_by_id

    assert query(read) == (2, "applied", rosa.user_id)
    watched.assert_quiet()


def test_a_declassification_asked_by_one_and_approved_by_another(person, make_cable, query):
    make_cable(REF, "SECRET", subject="HARBOR TALKS")
    rita = person("rita", roles=(Role.REVIEWER,), clearance=Level.SECRET)
    alan = person("alan", roles=(Role.APPROVER,), clearance=Level.SECRET)
    watched = rita.sign_in()
    page = watched.page
    page.get_by_role("link", name="Cables").first.click()
    page.get_by_role("link", name=REF).first.click()
    page.get_by_text("Request a lower level…").click()
    page.select_option("#declass-level", label="CONFIDENTIAL")
    page.fill("#declass-reason", "The talks are public now.")
    page.click("#declass-request")
    expect(page.locator("#declass-status")).to_contain_text("pending")
    watched.assert_quiet()

    watched = alan.sign_in()
    page = watched.page
    page.get_by_role("link", name="Dashboard", exact=True).click()
    queue = page.locator("section[aria-labelledby=q-declass]")
    queue.get_by_role("link").first.click()
    page.click("#declass-approve")
    expect(page.locator("#declass-status")).to_contain_text("approved")
    page.get_by_role("link", name="The cable").click()
    expect(page.locator("h1 .badge")).to_have_text("CONFIDENTIAL")
    watched.assert_quiet()

    def read(db):
        cable = db.scalars(select(Cable).where(Cable.reference_id == REF)).one()
        return cable.level, cable.classification

    assert query(read) == (Level.CONFIDENTIAL, "CONFIDENTIAL")
