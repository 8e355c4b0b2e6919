"""Pressing ``a`` on one's own proposal says why nothing happens (issue 14, item 5).

The two-person rule hides the approve button from the proposer; the key used to do nothing
and say nothing. Now the page's status line names the rule.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from redactor.models import Cable, CableVersion, User
from redactor.redaction import service as redactions
from redactor.review.policy import Role

REF = "09OWNKEY1"
BODY = "1. (C) Minister Perez met the Ambassador on Tuesday.\n\n2. (U) Nothing further."


def test_pressing_a_on_ones_own_proposal_says_another_approver_must(
    person, make_cable, session
):
    make_cable(REF, "CONFIDENTIAL", body=BODY)
    both = person("bea", roles=(Role.REVIEWER, Role.APPROVER))
    cable = session.scalars(select(Cable).where(Cable.reference_id == REF)).one()
    text = session.scalars(select(CableVersion.text).where(CableVersion.cable_id == cable.id)).one()
    start = text.index("Perez")
    made = redactions.propose(session, session.get(User, both.user_id), cable, start=start,
                              end=start + len("Perez"), codes=["B6"], rationale="a name")
    session.commit()

    page = both.sign_in().page
    page.click("nav >> text=Cables")
    page.click(f"a:text-is('{REF}')")
    page.wait_for_load_state()
    page.locator(f"#redaction-{made.id}").focus()
    page.keyboard.press("a")
    expect(page.locator("#selection-status")).to_have_text(
        "You cannot approve your own proposal: another approver must."
    )
