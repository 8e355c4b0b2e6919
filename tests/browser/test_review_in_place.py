"""Review actions in place, in a real browser: no page load between them.

From the sign-in page with clicks and keys only. That no navigation happened is proven by a
value set on ``window`` after the page loaded: a page load would drop it. Every page must stay
quiet: no console error, in particular no Content-Security-Policy violation (htmx configured
not to inject styles or evaluate code), except the browser's own line for an answer it was
told to expect (a 409 or 422 of a refused proposal).
"""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from redactor.models import CableVersion, PortionReview, Redaction, RedactionStatus, User
from redactor.redaction import service as redactions
from redactor.review.policy import Role
from tests.browser.helpers import HIGHLIGHTED, drag_select

REF = "09INPLACE1"
BODY = (
    "1. (C) Minister Perez met Colonel Ortega on Tuesday in the capital.\n\n"
    "2. (C) The talks named the QUIET HARBOR channel for later contact.\n\n"
    "3. (U) Background: the talks began in March.\n\n"
    "4. (U) Comment: nothing further to report."
)
MARK = "() => { window.__inPlace = 'still here'; }"
STILL = "() => window.__inPlace"


def expect_status(page, text: str) -> None:
    expect(page.locator("#review-status .status-message")).to_contain_text(text)


def quiet_except(watched, statuses: tuple[int, ...] = ()) -> None:
    """No console error but the browser's own line for an answer of ``statuses``."""
    pattern = "|".join(str(s) for s in statuses) or "none"
    left = [e for e in watched.console_errors
            if not re.search(rf"status of ({pattern}) ", e)]
    assert left == [], left
    assert watched.page_errors == [], watched.page_errors


def open_cable(watched, queue: str) -> None:
    """From the dashboard (where sign-in lands), the cable's link in ``queue``."""
    page = watched.page
    page.locator(f"section[aria-labelledby={queue}]").locator(f"a:text-is('{REF}')").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/cables/{REF}")
    page.evaluate(MARK)


def reviews(query) -> list[int]:
    return query(lambda db: sorted(db.scalars(select(PortionReview.portion_index)).all()))


def test_marking_portions_reviewed_by_click_and_key_loads_no_page(person, make_cable, session,
                                                                 query):
    make_cable(REF, "CONFIDENTIAL", body=BODY)
    session.commit()
    rita = person("rita", roles=(Role.REVIEWER,))
    watched = rita.sign_in()
    page = watched.page
    open_cable(watched, "q-new")

    page.locator("#portion-0 [data-action=mark]").click()
    expect_status(page, "Paragraph 1 marked reviewed.")
    expect(page.locator("#portion-0")).to_have_class(re.compile("portion-reviewed"))
    expect(page.locator("#portion-0 .reviewed-note")).to_have_text("Reviewed by rita")
    expect(page.locator("#review-summary")).to_contain_text("1 reviewed")
    # The focus is on the portion just swapped in: the keys go on from there.
    assert page.evaluate("() => document.activeElement.id") == "portion-0"
    page.keyboard.press("j")
    page.keyboard.press("m")
    expect_status(page, "Paragraph 2 marked reviewed.")
    page.keyboard.press("j")
    page.keyboard.press("m")
    expect_status(page, "Paragraph 3 marked reviewed.")
    # The bulk form is swapped too: one (U) portion left, then none.
    page.locator("#bulk-mark button").click()
    expect_status(page, "1 unclassified portion(s) marked reviewed.")
    expect(page.locator("[data-action=mark]")).to_have_count(0)
    expect(page.locator("#bulk-mark button")).to_have_count(0)
    expect(page.locator("#review-summary")).to_contain_text("4 reviewed")
    assert page.evaluate(STILL) == "still here"  # no page load happened
    assert reviews(query) == [0, 1, 2, 3]
    watched.assert_quiet()


def test_a_refused_proposal_keeps_rationale_codes_and_selection(person, make_cable, session,
                                                                query):
    make_cable(REF, "CONFIDENTIAL", body=BODY)
    session.commit()
    rita = person("rita", roles=(Role.REVIEWER,))
    watched = rita.sign_in()
    page = watched.page
    open_cable(watched, "q-new")
    text = query(lambda db: db.scalars(select(CableVersion.text)).one())
    phrase = "QUIET HARBOR channel"
    start = text.index(phrase)

    drag_select(page, phrase)
    expect(page.locator("#propose-start")).to_have_value(str(start))
    page.keyboard.press("r")
    page.check("#propose-codes input[value='B1']")  # B1 without its 1.4 category
    page.fill("#propose-rationale", "A liaison channel <still in use>.")
    page.click("#propose-form button[type=submit]:not([formaction])")

    expect(page.locator("#propose-codes-error")).to_contain_text("1.4 category")
    expect(page.locator("#propose-rationale")).to_have_value("A liaison channel <still in use>.")
    expect(page.locator("#propose-codes input[value='B1']")).to_be_checked()
    expect(page.locator("#propose-start")).to_have_value(str(start))
    expect(page.locator("#propose-end")).to_have_value(str(start + len(phrase)))
    expect(page.locator("#selection-status")).to_contain_text(f"Kept your selection: “{phrase}”")
    # The focus is on the field in error, the portion text was not touched.
    assert page.evaluate("() => document.activeElement.closest('#propose-codes') !== null")
    assert query(lambda db: db.scalars(select(Redaction.id)).all()) == []

    page.check("#propose-codes input[value='1.4(D)']")
    page.click("#propose-form button[type=submit]:not([formaction])")
    expect_status(page, "Redaction proposed.")
    made = query(lambda db: db.scalars(select(Redaction.id)).one())
    expect(page.locator(f"#redaction-{made}")).to_be_visible()
    assert page.evaluate(HIGHLIGHTED, made) == phrase
    assert page.evaluate("() => document.activeElement.id") == f"redaction-{made}"
    expect(page.locator("#propose-rationale")).to_have_value("")  # ready for the next one
    assert page.evaluate(STILL) == "still here"
    quiet_except(watched, (422,))


def test_a_duplicate_is_refused_and_an_overlap_asked_about(person, make_cable, session, query):
    cable = make_cable(REF, "CONFIDENTIAL", body=BODY)
    rita = person("rita", roles=(Role.REVIEWER,))
    rick = person("rick", roles=(Role.REVIEWER,))
    text = session.scalars(select(CableVersion.text)).one()
    start = text.index("Colonel Ortega")
    existing = redactions.propose(session, session.get(User, rita.user_id), cable, start=start,
                                  end=start + len("Colonel Ortega"), codes="B6")
    existing_id = existing.id
    session.commit()

    watched = rick.sign_in()
    page = watched.page
    open_cable(watched, "q-review")
    # An overlap: asked about, naming the existing proposal; confirmed, it is made.
    drag_select(page, "Perez met Colonel")
    expect(page.locator("#propose-start")).to_have_value(str(text.index("Perez met Colonel")))
    page.keyboard.press("r")
    page.check("#propose-codes input[value='B6']")
    page.fill("#propose-rationale", "Both names.")
    page.click("#propose-form button[type=submit]:not([formaction])")
    box = page.locator("#propose-conflict")
    expect(box).to_contain_text(f"#{existing_id} B6, pending, by rita")
    expect(box).to_contain_text("Colonel Ortega")
    expect(page.locator("#propose-rationale")).to_have_value("Both names.")
    assert query(lambda db: db.scalar(select(Redaction.id).order_by(Redaction.id.desc()))) \
        == existing_id
    page.locator("#propose-anyway").click()
    expect_status(page, "Redaction proposed.")
    overlapping = query(lambda db: db.scalar(select(Redaction.id).order_by(Redaction.id.desc())))
    assert overlapping != existing_id
    assert page.evaluate(HIGHLIGHTED, overlapping) == "Perez met Colonel"

    # An exact duplicate: refused, with no way to confirm it.
    drag_select(page, "Colonel Ortega")
    expect(page.locator("#propose-start")).to_have_value(str(start))
    page.keyboard.press("r")
    page.check("#propose-codes input[value='B6']")
    page.click("#propose-form button[type=submit]:not([formaction])")
    expect(page.locator("#propose-conflict")).to_contain_text("this exact text is already proposed")
    expect(page.locator("#propose-conflict")).to_contain_text(f"#{existing_id}")
    expect(page.locator("#propose-anyway")).to_have_count(0)
    # "Go back": the link to the existing proposal (the first one named).
    page.locator(f"#propose-conflict a[href='#redaction-{existing_id}']").first.click()
    assert page.url.endswith(f"#redaction-{existing_id}")
    assert query(lambda db: len(db.scalars(select(Redaction.id)).all())) == 2
    assert page.evaluate(STILL) == "still here"
    quiet_except(watched, (409,))


def test_the_second_person_approves_in_place_with_the_key(person, make_cable, session, query):
    cable = make_cable(REF, "CONFIDENTIAL", body=BODY)
    rita = person("rita", roles=(Role.REVIEWER,))
    arne = person("arne", roles=(Role.APPROVER,))
    text = session.scalars(select(CableVersion.text)).one()
    start = text.index("Perez")
    made = redactions.propose(session, session.get(User, rita.user_id), cable, start=start,
                              end=start + 5, codes="B6", rationale="a name")
    made_id = made.id
    session.commit()

    watched = arne.sign_in()
    watched.accept_dialogs = True
    page = watched.page
    page.locator("section[aria-labelledby=q-approve]") \
        .locator(f"a[href$='#redaction-{made_id}']").click()
    page.wait_for_load_state()
    page.evaluate(MARK)
    page.click(f"#redaction-{made_id} .proposal-meta")
    page.keyboard.press("a")
    expect_status(page, f"Approved #{made_id}.")
    expect(page.locator(f"#redaction-{made_id} .state")).to_have_text("approved")
    expect(page.locator(f"#redaction-{made_id} .decisions")).to_contain_text("arne approved")
    expect(page.locator("#review-summary")).to_contain_text("1 approved")
    assert watched.dialogs == [f"confirm: Approve proposal #{made_id}?"]
    assert page.evaluate("() => document.activeElement.id") == f"redaction-{made_id}"
    status = query(lambda db: db.get(Redaction, made_id).status)
    assert status is RedactionStatus.APPROVED
    # A comment in place, then the keys still work on the swapped portion.
    page.locator(f"#redaction-{made_id} details.discussion summary").click()
    page.fill(f"#comment-{made_id}", "Checked against the list.")
    page.locator(f"#redaction-{made_id} button:text-is('Comment')").click()
    expect_status(page, f"Comment added to #{made_id}.")
    expect(page.locator(f"#redaction-{made_id} .comments")).to_contain_text("Checked against")
    assert page.evaluate(STILL) == "still here"
    assert watched.console_errors == [] and watched.page_errors == []


def test_a_stale_approval_says_so_in_place_and_changes_nothing(person, make_cable, session,
                                                               query):
    cable = make_cable(REF, "CONFIDENTIAL", body=BODY)
    rita = person("rita", roles=(Role.REVIEWER,))
    arne = person("arne", roles=(Role.APPROVER,))
    text = session.scalars(select(CableVersion.text)).one()
    start = text.index("Perez")
    made = redactions.propose(session, session.get(User, rita.user_id), cable, start=start,
                              end=start + 5, codes="B6")
    made_id = made.id
    session.commit()

    watched = arne.sign_in()
    page = watched.page
    page.locator("section[aria-labelledby=q-approve]") \
        .locator(f"a[href$='#redaction-{made_id}']").click()
    page.wait_for_load_state()
    page.evaluate(MARK)
    # Meanwhile the proposer changes her proposal: the page's row version is out of date.
    fresh = session.get(Redaction, made_id)
    redactions.edit(session, session.get(User, rita.user_id), fresh,
                    expected_row_version=fresh.row_version, rationale="changed meanwhile")
    session.commit()
    page.locator(f"#redaction-{made_id} [data-action=approve]").click()
    expect_status(page, "Someone changed this after your page was loaded")
    expect(page.locator("#review-status a:text-is('Reload the page')")).to_have_count(1)
    expect(page.locator(f"#redaction-{made_id} .state")).to_have_text("pending")
    assert query(lambda db: db.get(Redaction, made_id).status) is RedactionStatus.PENDING
    assert page.evaluate(STILL) == "still here"
    quiet_except(watched, (409,))
