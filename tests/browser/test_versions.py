"""A new version that keeps the work, in a browser: a reviewer proposes and marks portions,
re-imports the cable with a one-character correction through the upload page, and reaches
the banner, the old version and the version diff by clicking."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from playwright.sync_api import expect

from redactor.review.policy import Role
from tests.browser.helpers import drag_select, in_place
from tests.fixtures_store import cable_text

REF = "09BRVERSION1"
BODY = (
    "1. (C) Summary: Ambassador QZJBROWSE met the minister on Tuesday.\n\n"
    "2. (C) Comment: nothing further to report. End comment.\n\n"
    "3. (U) The talks continue next week."
)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE = os.environ.get("REDACTOR_UPDATE_SCREENSHOTS", "") == "1"


def shot(page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / name), full_page=True)
    if UPDATE:
        shutil.copyfile(artifacts / name, DOCS / name)


def test_a_corrected_reimport_keeps_the_review_and_links_the_old_version(
    person, make_cable, session, artifacts, tmp_path
):
    make_cable(REF, "CONFIDENTIAL", body=BODY)
    session.commit()
    reviewer = person("vera", roles=(Role.REVIEWER,))
    watched = reviewer.sign_in()
    page = watched.page
    # From the dashboard to the cable, by links.
    page.click("text=Cables")
    page.click(f"text={REF}")
    drag_select(page, "QZJBROWSE")
    expect(page.locator("#selection-status")).to_contain_text("QZJBROWSE")
    page.keyboard.press("r")
    page.check("#propose-codes input[value='B6']")
    page.fill("#propose-rationale", "A name.")
    # Review actions answer in place (the page is not reloaded).
    in_place(page, lambda: page.click("#propose-form button[type=submit]:not([formaction])"),
             "Redaction proposed.")
    for index in (0, 1, 2):
        in_place(page, lambda index=index: page.click(f"#portion-{index} [data-action=mark]"),
                 "marked reviewed")

    # The one-character correction, uploaded by clicking through the import page.
    corrected = tmp_path / f"{REF}.txt"
    corrected.write_text(
        cable_text(REF, "CONFIDENTIAL", body=BODY.replace("nothing further", "nothing furthr")),
        encoding="utf-8",
    )
    page.click("nav.site-nav >> text=Import")
    page.set_input_files("#files", str(corrected))
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    expect(page.locator("body")).to_contain_text("1")  # the result page
    page.click("text=Cables")
    page.click(f"text={REF}")

    banner = page.locator("#carry-over")
    expect(banner).to_contain_text("Version 2 replaces version 1")
    expect(banner).to_contain_text("Carried over: 1 redaction")
    expect(banner).to_contain_text("2 reviewed marks")
    expect(banner).to_contain_text("To review: Paragraph 2")
    expect(page.locator(".proposal")).to_have_count(1)
    shot(page, artifacts, "version-banner.png")

    page.click("#carry-over >> text=Version 1 (read-only)")
    expect(page.locator("h1")).to_contain_text("version 1")
    expect(page.locator("body")).to_contain_text("nothing further")
    shot(page, artifacts, "version-old.png")
    page.click("text=Diff with the current version")
    expect(page.locator("h1")).to_contain_text("version 1 against version 2")
    expect(page.locator(".diff-new ins").first).to_contain_text("furthr")
    shot(page, artifacts, "version-diff.png")
    page.click("text=All versions")
    expect(page.locator(".version-table tbody tr")).to_have_count(2)
    shot(page, artifacts, "version-history.png")
    page.click("text=Back to the review")
    page.click("text=Diff: original against releasable")
    # The proposal is pending, not approved: nothing is excised yet.
    expect(page.locator("h1")).to_contain_text("original against releasable")
    expect(page.locator(".diff-table tbody tr")).to_have_count(3)
    shot(page, artifacts, "diff-releasable.png")
    watched.assert_quiet()
