"""Every occurrence in the cable, in a browser, by clicks only from the sign-in page: a
reviewer proposes a name and then all its other occurrences in one action; a release
authority's confirmation lists the place that still prints a withheld name, links to where
it is decided, and offers no Release button until it is.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from redactor.models import Cable, Redaction
from redactor.review.policy import Role
from tests.browser.helpers import drag_select, in_place
from tests.browser.test_release_workflow import open_cable
from tests.test_release_support import finish_review, redact

NAME = "Orsolya Brandquist"
BODY = (
    f"1. (C) The minister met {NAME} on Tuesday.\n\n"
    "2. (C) Later that day BRANDQUIST spoke to the press.\n\n"
    f"3. (C) {NAME} left at noon. Comment: nothing further. End comment."
)


def test_a_reviewer_proposes_a_name_then_all_its_occurrences_in_one_action(
    person, make_cable, session, query
):
    make_cable("09OCCWEB1", "CONFIDENTIAL", body=BODY, subject="MEETING")
    session.commit()
    reviewer = person("occwebrita", roles=(Role.REVIEWER,))
    watched = reviewer.sign_in()
    page = watched.page
    open_cable(page, "09OCCWEB1")
    drag_select(page, NAME)
    expect(page.locator("#selection-status")).to_contain_text(NAME)
    page.keyboard.press("r")
    page.check("#propose-codes input[value='B6']")
    page.fill("#propose-rationale", "A private person.")
    # The proposal is made in place; the page's list of other occurrences follows it.
    in_place(page, lambda: page.click("#propose-form button[type=submit]:not([formaction])"),
             "Redaction proposed.")

    panel = page.locator("#occurrences")
    expect(panel).to_contain_text("2 other occurrences")
    expect(panel.locator(".occ")).to_have_count(2)
    expect(panel.locator(".occ").first).to_contain_text("surname")
    expect(panel.locator(".occ").first).to_contain_text("BRANDQUIST")
    with page.expect_navigation():
        panel.locator("[data-action=propose-all]").click()
    expect(page.locator(".flash, .alert").first).to_contain_text("Proposed 2 linked redactions")
    expect(page.locator("article.proposal-pending")).to_have_count(3)
    expect(page.locator("#occurrences [data-action=propose-all]")).to_have_count(0)

    rows = query(lambda db: [
        (r.link_group, list(r.codes), r.rationale, r.status.value)
        for r in db.scalars(select(Redaction).order_by(Redaction.id))
    ])
    assert len(rows) == 3 and len({r[0] for r in rows}) == 1 and rows[0][0]
    assert all(r[1:] == (["B6"], "A private person.", "pending") for r in rows)
    watched.assert_quiet()


def test_the_confirmation_lists_a_conflict_and_links_to_its_decision(
    person, make_cable, make_user, session
):
    cable = make_cable("09OCCWEB2", "CONFIDENTIAL", body=BODY, subject="MEETING")
    rita, _ = make_user("occwebrev", roles=(Role.REVIEWER,))
    anna, _ = make_user("occwebappr", roles=(Role.APPROVER,))

    class Team:
        reviewer, approver = rita, anna

    redact(session, Team, cable, NAME, ("B6",))
    finish_review(session, Team, session.get(Cable, cable.id))
    session.commit()
    authority = person("occwebrex", roles=(Role.RELEASE_AUTHORITY,))
    watched = authority.sign_in()
    page = watched.page
    page.click("nav.site-nav a:text-is('Dashboard')")
    page.wait_for_load_state()
    with page.expect_navigation():
        page.locator("section[aria-labelledby=q-ready] tr", has_text="09OCCWEB2") \
            .locator("a.button").click()
    conflicts = page.locator("#release-conflicts")
    expect(conflicts).to_contain_text("The release is refused")
    expect(conflicts.locator("li")).to_have_count(1)
    expect(conflicts.locator("li")).to_contain_text("portion 3")
    expect(conflicts.locator("li mark")).to_have_text(NAME)
    expect(page.locator("#confirm-release")).to_have_count(0)
    with page.expect_navigation():
        conflicts.locator("a.conflict-link").click()
    expect(page.locator("h1")).to_contain_text("Every occurrence: 09OCCWEB2")
    expect(page.locator(".occ-conflict")).to_contain_text("portion 3")
    watched.assert_quiet()
