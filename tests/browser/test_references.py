"""References as links, in a browser: from sign-in to a cable, then to the cable it cites and
back through "Referenced by", by clicking only."""

from __future__ import annotations

from redactor.cables.service import import_cable
from redactor.review.policy import Level, Role
from tests.fixtures_store import MAX_BYTES, cable_text

CITER = "09ZQXCITE7"
CITED = "09TESTVILLE207"
HIDDEN = "09TESTVILLE208"


def _import(session, reference_id: str, classification: str, refs: str = "") -> None:
    text = cable_text(reference_id, classification, subject=f"SUBJECT OF {reference_id}")
    if refs:
        text = text.replace(f"SUBJECT OF {reference_id} \n",
                            f"SUBJECT OF {reference_id} \n\n{refs}")
    outcome = import_cable(session, None, f"{reference_id}.txt", text.encode("utf-8"),
                           max_bytes=MAX_BYTES)
    assert outcome.error is None
    session.commit()


def test_a_reader_follows_a_reference_and_comes_back_by_referenced_by(person, session):
    _import(session, CITED, "CONFIDENTIAL")
    _import(session, HIDDEN, "SECRET")
    _import(session, CITER, "CONFIDENTIAL", "REF: A. TESTVILLE 207 B. TESTVILLE 208\n")
    carl = person("carl", roles=(Role.REVIEWER,), clearance=Level.CONFIDENTIAL)

    watched = carl.sign_in()
    page = watched.page
    page.click("nav >> text=Cables")
    page.click(f"a:text-is('{CITER}')")
    page.wait_for_load_state()
    refs = page.locator("ul.ref-list li")
    assert refs.count() == 2
    # The SECRET cable's reference is plain text, like one the collection does not hold.
    assert refs.nth(1).locator("a").count() == 0
    refs.nth(0).locator("a").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/cables/{CITED}")
    assert CITED in page.inner_text("h1")

    page.click("#referenced-by summary")
    assert "Referenced by 1 cable" in page.inner_text("#referenced-by summary")
    page.click(f"#referenced-by a:text-is('{CITER}')")
    page.wait_for_load_state()
    assert page.url.endswith(f"/cables/{CITER}")
    watched.assert_quiet()
