"""The actions under a proposal, clicked in a browser: each button reaches its own route.

An approver's approve and reject share one form, as do a proposer's edit and withdraw; the
browser must still refuse a rejection without a reason, let an approval through with the
reason box open and empty, and send each button's request where it belongs.
"""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from redactor.models import Cable, CableVersion, Redaction, RedactionStatus, User
from redactor.redaction import service as redactions
from redactor.review.policy import Role
from tests.browser.helpers import in_place

REF = "09FORMS1"
BODY = (
    "1. (C) Minister Perez met the Ambassador on Tuesday.\n\n"
    "2. (C) The talks named Colonel Ortega as the contact.\n\n"
    "3. (U) Nothing further."
)


def stored(query, redaction_id: int) -> dict:
    def read(db):
        row = db.get(Redaction, redaction_id)
        return {"status": row.status, "codes": list(row.codes), "revision": row.revision}

    return query(read)


def test_each_button_of_a_proposal_reaches_its_route(person, make_cable, session, query):
    make_cable(REF, "CONFIDENTIAL", body=BODY)
    reviewer = person("rita", roles=(Role.REVIEWER,))
    approver = person("arne", roles=(Role.APPROVER,))
    cable = session.scalars(select(Cable).where(Cable.reference_id == REF)).one()
    text = session.scalars(select(CableVersion.text).where(CableVersion.cable_id == cable.id)).one()
    rita = session.get(User, reviewer.user_id)
    ids = []
    for word in ("Perez", "Tuesday", "Ortega"):
        start = text.index(word)
        made = redactions.propose(session, rita, cable, start=start, end=start + len(word),
                                  codes=["B6"], rationale="a name")
        ids.append(made.id)
    session.commit()
    rejected, approved, edited = ids

    watched = approver.sign_in()
    page = watched.page
    page.goto(f"{approver.base}/cables/{REF}")
    # Reject without a reason: the browser refuses, nothing is sent.
    proposal = page.locator(f"#redaction-{rejected}")
    proposal.locator("details.reject summary").click()
    proposal.locator("button:text-is('Reject')").click()
    page.wait_for_timeout(200)
    assert stored(query, rejected)["status"] is RedactionStatus.PENDING
    proposal.locator("textarea[name=reason]").fill("Public knowledge.")
    in_place(page, lambda: proposal.locator("button:text-is('Reject')").click(),
             f"Rejected #{rejected}.")
    assert stored(query, rejected)["status"] is RedactionStatus.REJECTED
    expect(page.locator(f"#redaction-{rejected} .decisions")).to_contain_text("Public knowledge.")
    # Approve with the reason box open and empty: approving needs no reason.
    proposal = page.locator(f"#redaction-{approved}")
    proposal.locator("details.reject summary").click()
    in_place(page, lambda: proposal.locator("[data-action=approve]").click(),
             f"Approved #{approved}.")
    assert stored(query, approved)["status"] is RedactionStatus.APPROVED
    # A comment.
    proposal = page.locator(f"#redaction-{edited}")
    proposal.locator("details.discussion summary").click()
    proposal.locator("textarea[name=body]").fill("Is he still serving?")
    in_place(page, lambda: proposal.locator("button:text-is('Comment')").click(),
             f"Comment added to #{edited}.")
    expect(page.locator(f"#redaction-{edited} .comments")).to_contain_text("Is he still serving?")
    watched.assert_quiet()

    watched = reviewer.sign_in()
    page = watched.page
    page.goto(f"{reviewer.base}/cables/{REF}")
    proposal = page.locator(f"#redaction-{edited}")
    proposal.locator("details.edit summary").click()
    proposal.locator("input[name=codes_text]").fill("B6 B7(C)")
    in_place(page, lambda: proposal.locator("button:text-is('Save changes')").click(),
             "Proposal changed.")
    assert stored(query, edited)["codes"] == ["B6", "B7(C)"]
    assert stored(query, edited)["revision"] == 2
    proposal = page.locator(f"#redaction-{edited}")
    in_place(page, lambda: proposal.locator("button:text-is('Withdraw')").click(),
             "Proposal withdrawn.")
    assert stored(query, edited)["status"] is RedactionStatus.WITHDRAWN
    expect(page.locator(f"#redaction-{edited} .state")).to_have_text("withdrawn")
    watched.assert_quiet()
