"""A cable from first look to released PDF, as the people doing it meet it in a browser.

The reviewer selects phrases with the mouse (a real drag from the first character to the last;
the page's own script turns the selection into code-point offsets), the two-person rule holds
in the page and against a forged request, the approver approves from the dashboard with the
keyboard, the reviewer marks the portions reviewed, and a release authority releases and
downloads the PDF, whose text carries the stamp and not the hidden phrases.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from redactor.models import Cable, CableVersion, Portion, Redaction, RedactionStatus
from redactor.review.policy import Role
from tests.browser.helpers import HIGHLIGHTED, drag_select, in_place

REF = "09BROWSER1"
PLAIN = "QUIET HARBOR channel"
# After an emoji, a precomposed and a combining accent, a ZWJ sequence and a flag: every
# one of them is one "character" on screen but more than one UTF-16 unit or code point.
AFTER_EMOJI = "ZEPHYR CANAL route"
BODY = (
    "1. (C) Summary: the Ambassador met the minister on Tuesday.\n\n"
    "2. (U) Background: the talks began in March.\n\n"
    "3. (C) The minister asked for patience.\n\n"
    f"4. (C) The minister named the {PLAIN} as the contact for the next talks.\n\n"
    "5. (C) Notes \U0001f600 from Jos\u00e9 and Jose\u0301, \U0001f469\u200d\U0001f4bb "
    f"(\U0001f1eb\U0001f1f7) mention the {AFTER_EMOJI} twice.\n\n"
    "6. (U) Comment: nothing further to report."
)
CASE = "F-2019-04321"

def stored_text(query) -> str:
    def read(db):
        cable = db.scalars(select(Cable).where(Cable.reference_id == REF)).one()
        return db.scalars(
            select(CableVersion.text).where(
                CableVersion.cable_id == cable.id, CableVersion.number == cable.current_version
            )
        ).one()

    return query(read)


def stored_redaction(query, redaction_id: int) -> dict:
    def read(db):
        row = db.get(Redaction, redaction_id)
        portion = db.scalars(
            select(Portion).where(
                Portion.version_id == row.version_id, Portion.index == row.portion_index
            )
        ).one()
        return {
            "start": row.start,
            "end": row.end,
            "codes": list(row.codes),
            "status": row.status,
            "rationale": row.rationale,
            "portion_number": portion.number,
        }

    return query(read)


def propose_by_mouse(watched, base: str, text: str, phrase: str, rationale: str) -> int:
    """Select ``phrase`` with the mouse, press ``r``, tick B1 and 1.4(D), give the
    rationale, submit; returns the new redaction's id (from the page it lands on)."""
    page = watched.page
    page.goto(f"{base}/cables/{REF}")
    drag_select(page, phrase)
    start = text.index(phrase)
    assert page.evaluate("() => window.getSelection().toString()") == phrase
    # The page's script fills the offsets once the selection settles.
    expect(page.locator("#propose-start")).to_have_value(str(start))
    expect(page.locator("#propose-end")).to_have_value(str(start + len(phrase)))
    expect(page.locator("#selection-status")).to_contain_text(phrase)
    page.keyboard.press("r")
    page.check("#propose-codes input[value='B1']")
    page.check("#propose-codes input[value='1.4(D)']")
    page.fill("#propose-rationale", rationale)
    line = in_place(page, lambda: page.click("#propose-form button[type=submit]:not([formaction])"),
                    "Redaction proposed.")
    found = re.search(r"\(#(\d+)\)", line)  # in place: the page stays, the line names it
    assert found, line
    redaction_id = int(found.group(1))
    # The span shown on the page is exactly the phrase.
    assert page.evaluate(HIGHLIGHTED, redaction_id) == phrase
    return redaction_id


def test_a_cable_goes_from_mouse_selection_to_released_pdf(
    person, make_cable, session, query, artifacts
):
    make_cable(REF, "CONFIDENTIAL", body=BODY, subject="MINISTER ON CHANNELS")
    session.commit()
    reviewer = person("rita", roles=(Role.REVIEWER,))
    approver = person("arne", roles=(Role.APPROVER,))
    authority = person("rolf", roles=(Role.RELEASE_AUTHORITY,))
    text = stored_text(query)
    base = reviewer.base

    # -- the reviewer proposes two redactions by selecting with the mouse
    review = reviewer.sign_in()
    ids = {}
    for phrase, why in ((PLAIN, "A liaison channel."), (AFTER_EMOJI, "A route in use.")):
        ids[phrase] = propose_by_mouse(review, base, text, phrase, why)
        row = stored_redaction(query, ids[phrase])
        assert text[row["start"]:row["end"]] == phrase
        assert (row["start"], row["end"]) == (text.index(phrase), text.index(phrase) + len(phrase))
        assert row["codes"] == ["B1", "1.4(D)"] and row["rationale"] == why
        assert row["status"] is RedactionStatus.PENDING
    assert stored_redaction(query, ids[PLAIN])["portion_number"] == "4"
    assert stored_redaction(query, ids[AFTER_EMOJI])["portion_number"] == "5"
    review.page.screenshot(path=str(artifacts / "workflow-proposed.png"))

    # -- the proposer may not approve: no control, the key does nothing, a forged POST is 403
    page = review.page
    first = ids[PLAIN]
    page.goto(f"{base}/cables/{REF}#redaction-{first}")
    assert page.locator(f"#redaction-{first} [data-action=approve]").count() == 0
    page.click(f"#redaction-{first} .proposal-meta")
    page.keyboard.press("a")
    page.wait_for_timeout(200)
    assert review.dialogs == [] and page.url.endswith(f"#redaction-{first}")
    token = page.get_attribute("meta[name=csrf-token]", "content")
    forged = page.request.post(
        f"{base}/redactions/{first}/approve",
        form={"csrf_token": token, "row_version": "1", "back": f"/cables/{REF}"},
        max_redirects=0,
    )
    assert forged.status == 403
    assert stored_redaction(query, first)["status"] is RedactionStatus.PENDING

    # -- the approver finds both in the dashboard queue and approves with the keyboard
    approve = approver.sign_in()
    approve.accept_dialogs = True
    page = approve.page
    for phrase in (PLAIN, AFTER_EMOJI):
        redaction_id = ids[phrase]
        page.goto(f"{base}/dashboard")
        queue = page.locator("section[aria-labelledby=q-approve]")
        link = queue.locator(f"a[href$='#redaction-{redaction_id}']")
        expect(link).to_have_count(1)
        if phrase == PLAIN:
            page.screenshot(path=str(artifacts / "workflow-dashboard.png"), full_page=True)
        link.click()
        page.wait_for_load_state()
        page.click(f"#redaction-{redaction_id} .proposal-meta")  # focus the proposal
        in_place(page, lambda: page.keyboard.press("a"), f"Approved #{redaction_id}.")
        assert approve.dialogs[-1] == f"confirm: Approve proposal #{redaction_id}?"
        expect(page.locator(f"#redaction-{redaction_id} .state")).to_have_text("approved")
        assert stored_redaction(query, redaction_id)["status"] is RedactionStatus.APPROVED
        assert page.evaluate(HIGHLIGHTED, redaction_id) == phrase
    approve.dialogs.clear()

    # -- the reviewer marks every portion reviewed
    page = review.page
    page.goto(f"{base}/cables/{REF}")
    marks = page.locator("[data-action=mark]")
    total = marks.count()
    assert total == 6
    for left in range(total - 1, -1, -1):
        marks.first.click()  # in place: the portion is swapped, no page load
        expect(marks).to_have_count(left)
    expect(page.locator(".status-steps .step-current")).to_have_text(re.compile("ready", re.I))

    # -- the release authority releases with a case number and downloads the PDF
    release = authority.sign_in()
    page = release.page
    page.click("nav.site-nav a:text-is('Dashboard')")
    with page.expect_navigation():
        page.locator("section[aria-labelledby=q-ready] tr", has_text=REF) \
            .locator("a.button").click()
    page.fill("#case_number", CASE)
    with page.expect_navigation():
        page.click("#update-plan")
    expect(page.locator("#plan-case")).to_contain_text(CASE)
    with page.expect_navigation():
        page.click("#confirm-release")
    expect(page.locator(".flash")).to_contain_text(f"Case No. {CASE}")
    page.screenshot(path=str(artifacts / "workflow-released.png"))
    with page.expect_download() as download:
        page.click("dd .release-files a:text-is('PDF')")
    pdf = download.value
    assert pdf.suggested_filename.endswith(".pdf")
    data = Path(pdf.path()).read_bytes()
    words = " ".join(
        " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages).split()
    )
    assert f"Case No. {CASE}" in words
    assert "RELEASE IN PART B1,1.4(D)" in words
    squeezed = re.sub(r"\s+", "", words).casefold()
    for phrase in (PLAIN, AFTER_EMOJI):
        assert re.sub(r"\s+", "", phrase).casefold() not in squeezed
    assert "patience" in words  # the rest of the text is there

    for watched in review, approve, release:
        watched.assert_quiet()
