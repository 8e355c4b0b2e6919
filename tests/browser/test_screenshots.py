"""Screenshots of the main pages, taken on the sample cable the README's pictures show.

They are always saved into the artifacts folder (see ``conftest.py``). With
``REDACTOR_UPDATE_SCREENSHOTS=1`` the ones that differ from ``docs/screenshots/`` are copied
there too; an ordinary run never changes the working tree.
"""

from __future__ import annotations

import os
import shutil
import struct
from pathlib import Path

from playwright.sync_api import expect

from redactor.cables.service import ImportStatus, import_cable
from redactor.resources import PACKAGE_DIR
from redactor.review.policy import Role
from tests.browser.helpers import drag_select, in_place
from tests.fixtures_store import MAX_BYTES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE = os.environ.get("REDACTOR_UPDATE_SCREENSHOTS", "") == "1"
SAMPLE = "09VILNIUS84"
SHOTS = ("dashboard.png", "cable-review.png", "cable-portions.png", "preview.png",
         "audit-log.png")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file (asserting it is one)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", head[16:24])


def propose(page, base: str, word: str, codes: list[str], why: str) -> None:
    page.goto(f"{base}/cables/{SAMPLE}")
    drag_select(page, word)
    expect(page.locator("#selection-status")).to_contain_text(word)
    page.keyboard.press("r")
    for code in codes:
        page.check(f"#propose-codes input[value='{code}']")
    page.fill("#propose-rationale", why)
    in_place(page, lambda: page.click("#propose-form button[type=submit]:not([formaction])"),
             "Redaction proposed.")


def test_screenshots_of_the_main_pages(person, session, artifacts):
    data = (PACKAGE_DIR / "sample_cables" / f"{SAMPLE}.txt").read_bytes()
    outcome = import_cable(session, None, f"{SAMPLE}.txt", data, max_bytes=MAX_BYTES)
    assert outcome.status is ImportStatus.IMPORTED, outcome.error
    session.commit()
    reviewer = person("reviewer", roles=(Role.REVIEWER,))
    approver = person("approver", roles=(Role.APPROVER,))
    base = reviewer.base

    review = reviewer.sign_in()
    propose(review.page, base, "Seche", ["B6"], "Name of a junior official.")
    propose(review.page, base, "CENTCOM", ["B1", "1.4(D)"], "Foreign relations.")

    approve = approver.sign_in()
    page = approve.page
    page.goto(f"{base}/dashboard")
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)
    page.goto(f"{base}/cables/{SAMPLE}")
    in_place(page, lambda: page.locator(".proposal-pending [data-action=approve]").first.click(),
             "Approved #")

    page = review.page
    page.goto(f"{base}/cables/{SAMPLE}")
    page.screenshot(path=str(artifacts / "cable-review.png"))
    page.keyboard.press("j")  # to the first portion, with its focus ring
    expect(page.locator("section.portion.is-current")).to_have_count(1)
    page.screenshot(path=str(artifacts / "cable-portions.png"))
    page.goto(f"{base}/cables/{SAMPLE}/preview")
    page.screenshot(path=str(artifacts / "preview.png"))

    auditor = person("auditor", roles=(Role.AUDITOR,))
    audit_page = auditor.sign_in()
    with audit_page.page.expect_navigation():
        audit_page.page.click("nav.site-nav >> text=Audit")
    audit_page.page.screenshot(path=str(artifacts / "audit-log.png"))

    for name in SHOTS:
        width, height = png_size(artifacts / name)
        assert width >= 1000 and height >= 500, (name, width, height)
        if UPDATE:
            target = DOCS / name
            if not target.exists() or target.read_bytes() != (artifacts / name).read_bytes():
                shutil.copyfile(artifacts / name, target)
    review.assert_quiet()
    approve.assert_quiet()
    audit_page.assert_quiet()
