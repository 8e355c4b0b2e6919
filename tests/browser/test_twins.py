"""Applying a twin's decision in Chromium, from the sign-in page by links and buttons.

A name withheld (B6, approved) in one cable is in a copy of the paragraph in another cable;
a reviewer opens the copy from the cable list, opens "Also in 1 cable" on the paragraph,
sees the decision made there and proposes the same redaction here: a pending proposal on
the copy's own text, which a second person then approves.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from redactor.models import Cable, Redaction
from redactor.redaction import service as redaction_service
from redactor.review.policy import Level, Role
from tests.browser.helpers import in_place
from tests.test_twins import NAME, P1, P2

FIRST = "09BRTWIN1"
COPY = "09BRTWIN2"


def test_a_reviewer_proposes_a_twins_redaction_and_another_approves_it(
    person, make_cable, make_user, session, query
):
    first = make_cable(FIRST, "CONFIDENTIAL", body=f"{P1}\n\n{P2}", subject="SEMINARS")
    proposer, _ = make_user("bt-prop", roles=[Role.REVIEWER], clearance=Level.SECRET)
    boss, _ = make_user("bt-boss", roles=[Role.APPROVER], clearance=Level.SECRET)
    start = first.versions[0].text.index(NAME)
    r = redaction_service.propose(session, proposer, first, start=start,
                                  end=start + len(NAME), codes=["B6"])
    session.flush()
    redaction_service.approve(session, boss, r, expected_row_version=r.row_version)
    session.commit()
    make_cable(COPY, "CONFIDENTIAL", body=P1.upper().replace(" THE ", "\nTHE ", 2),
               subject="SEMINARS AGAIN")
    rosa = person("rosa", roles=(Role.REVIEWER,), clearance=Level.CONFIDENTIAL)
    alan = person("alan", roles=(Role.APPROVER,), clearance=Level.CONFIDENTIAL)

    watched = rosa.sign_in()
    page = watched.page
    page.get_by_role("link", name="Cables").first.click()
    page.get_by_role("link", name=COPY).first.click()
    twins = page.locator("#twins-0")
    twins.locator("summary").click()
    expect(twins.locator("summary")).to_have_text("Also in 1 cable")
    expect(twins).to_contain_text(f"B6 withheld “{NAME}”")
    twins.get_by_role("button", name="Propose the same redactions here").click()
    expect(page.locator(".flash")).to_contain_text("1 redaction proposed here")
    expect(page.locator("#portion-0 .proposal").first).to_contain_text("B6")
    watched.assert_quiet()

    watched = alan.sign_in()
    page = watched.page
    page.get_by_role("link", name="Cables").first.click()
    page.get_by_role("link", name=COPY).first.click()
    # Approval is answered in place: wait for the answer before reading the store.
    in_place(page, lambda: page.locator("#portion-0").get_by_role(
        "button", name="Approve").first.click(), "Approved #")
    watched.assert_quiet()

    def read(db):
        cable = db.scalars(select(Cable).where(Cable.reference_id == COPY)).one()
        made = db.scalars(select(Redaction).where(Redaction.cable_id == cable.id)).one()
        text = cable.versions[-1].text
        return text[made.start : made.end], made.status.value, made.codes

    assert query(read) == (NAME.upper(), "approved", ["B6"])
