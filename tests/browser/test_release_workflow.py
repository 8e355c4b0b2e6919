"""The release half in a browser, by clicks only from the sign-in page (no typed URL):
a reviewer proposes and withholds, an approver approves, a release authority finds the
cables in the ready queue, reads the confirmation, releases, downloads the PDF, puts a second
document into the same case and downloads the case's package, and denies a cable in full.

Screenshots of each new page go to the artifacts folder; with
``REDACTOR_UPDATE_SCREENSHOTS=1`` also to ``docs/screenshots/`` (linked from the README).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader

from redactor.review.policy import Role
from tests.browser.helpers import drag_select, in_place

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE = os.environ.get("REDACTOR_UPDATE_SCREENSHOTS", "") == "1"
SHOTS = (
    "release-ready-queue.png",
    "release-confirm.png",
    "release-page.png",
    "release-case-confirm.png",
    "releases-list.png",
    "release-denied-confirm.png",
    "cable-release-panel.png",
)

FIRST, SECOND, DENIED = "09RELFLOW1", "09RELFLOW2", "09RELFLOW3"
SECRET = "HERON LANE depot"
BODY = (
    "1. (C) Summary: the minister spoke of the border.\n\n"
    f"2. (C) He named the {SECRET} as the meeting place.\n\n"
    "3. (U) Comment: nothing further."
)
OTHER = "1. (U) The delegation arrived on Monday.\n\n2. (U) Talks continue."
HIDDEN_BODY = (
    "1. (C) The KESTREL source reported on the talks.\n\n"
    "2. (C) The source asked for protection."
)


def shot(watched, artifacts: Path, name: str) -> None:
    watched.page.screenshot(path=str(artifacts / name), full_page=True)


def open_cable(page, reference_id: str) -> None:
    """From any signed-in page: the Cables link, then the cable's link."""
    page.click("nav.site-nav a:text-is('Cables')")
    page.wait_for_load_state()
    with page.expect_navigation():
        page.click(f"a:text-is('{reference_id}')")


def mark_all_reviewed(page) -> None:
    marks = page.locator("[data-action=mark]")
    for left in range(marks.count() - 1, -1, -1):
        marks.first.click()  # answered in place
        expect(marks).to_have_count(left)


def approve_all_from_dashboard(watched, count: int) -> None:
    page = watched.page
    watched.accept_dialogs = True
    for _ in range(count):
        page.click("nav.site-nav a:text-is('Dashboard')")
        page.wait_for_load_state()
        link = page.locator("section[aria-labelledby=q-approve] tbody a").first
        link.click()
        page.wait_for_load_state()
        in_place(page, lambda: page.locator(".proposal-pending [data-action=approve]").first
                 .click(), "Approved #")
    watched.dialogs.clear()


def test_release_authority_releases_packages_and_denies_by_clicks_only(
    person, make_cable, session, artifacts
):
    make_cable(FIRST, "CONFIDENTIAL", body=BODY, subject="MINISTER ON BORDER")
    make_cable(SECOND, "CONFIDENTIAL", body=OTHER, subject="DELEGATION ARRIVES")
    make_cable(DENIED, "SECRET", body=HIDDEN_BODY, subject="SOURCE REPORT")
    session.commit()
    reviewer = person("relrita", roles=(Role.REVIEWER,))
    approver = person("relanna", roles=(Role.APPROVER,))
    authority = person("relrex", roles=(Role.RELEASE_AUTHORITY,))

    # -- the reviewer proposes one phrase, withholds both portions of the third cable
    review = reviewer.sign_in()
    page = review.page
    open_cable(page, FIRST)
    drag_select(page, SECRET)
    expect(page.locator("#selection-status")).to_contain_text(SECRET)
    page.keyboard.press("r")
    page.check("#propose-codes input[value='B1']")
    page.check("#propose-codes input[value='1.4(D)']")
    page.fill("#propose-rationale", "A meeting place in use.")
    in_place(page, lambda: page.click("#propose-form button[type=submit]:not([formaction])"),
             "Redaction proposed.")
    # Not ready yet: the page says why in plain words, never the raw status.
    expect(page.locator("#release-state")).to_contain_text("Not ready to release")
    assert "in_review" not in page.inner_text("#release-panel")
    mark_all_reviewed(page)
    open_cable(page, SECOND)
    mark_all_reviewed(page)
    open_cable(page, DENIED)
    for portion in range(2):
        page.locator("[data-action=withhold]").nth(portion).click()
        page.locator("#withhold-portion").select_option(index=portion)
        page.check("#propose-codes input[value='B1']")
        page.check("#propose-codes input[value='1.4(C)']")
        page.fill("#propose-rationale", "An intelligence source.")
        in_place(page, lambda: page.click("#propose-form .withhold-box button[formaction]"),
                 "Withholding of the portion proposed.")
    mark_all_reviewed(page)

    # -- the approver approves the three proposals from the dashboard queue
    approve = approver.sign_in()
    approve_all_from_dashboard(approve, 3)

    # -- the release authority: ready queue, confirmation, release, PDF
    release = authority.sign_in()
    page = release.page
    page.click("nav.site-nav a:text-is('Dashboard')")
    page.wait_for_load_state()
    queue = page.locator("section[aria-labelledby=q-ready]")
    for ref in (FIRST, SECOND, DENIED):
        expect(queue.locator(f"a:text-is('{ref}')")).to_have_count(1)
    shot(release, artifacts, "release-ready-queue.png")
    with page.expect_navigation():
        queue.locator("tr", has_text=FIRST).locator("a.button").click()
    expect(page.locator("#plan-stamp")).to_have_text("RELEASE IN PART B1,1.4(D)")
    expect(page.locator("#plan-excisions")).to_have_text("1")
    expect(page.locator("#plan-doc")).to_have_text("C00000001")
    case = page.inner_text("#plan-case").split()[0]
    assert re.fullmatch(r"F-\d{4}-\d{5}", case)
    shot(release, artifacts, "release-confirm.png")
    with page.expect_navigation():
        page.click("#confirm-release")
    expect(page.locator(".flash")).to_contain_text(f"Case No. {case}")
    shot(release, artifacts, "release-page.png")
    with page.expect_download() as download:
        page.locator("dd .release-files a:text-is('PDF')").click()
    data = Path(download.value.path()).read_bytes()
    words = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)
                     .split())
    assert "RELEASE IN PART B1,1.4(D)" in words and f"Case No. {case}" in words
    assert "HERON" not in words and "depot" not in words

    # -- the second document into the same case, then the case's package
    page.click("nav.site-nav a:text-is('Dashboard')")
    page.wait_for_load_state()
    with page.expect_navigation():
        page.locator("section[aria-labelledby=q-ready] tr", has_text=SECOND) \
            .locator("a.button").click()
    page.check("#case-existing")
    page.fill("#case_number", case)
    with page.expect_navigation():
        page.click("#update-plan")
    expect(page.locator("#plan-case")).to_contain_text(f"{case} (an existing case)")
    expect(page.locator("#plan-stamp")).to_have_text("RELEASE IN FULL")
    expect(page.locator("#plan-doc")).to_have_text("C00000002")
    shot(release, artifacts, "release-case-confirm.png")
    with page.expect_navigation():
        page.click("#confirm-release")
    with page.expect_download() as download:
        page.click(f"button:text-is('Download the package of case {case}')")
    archive = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert archive.namelist() == [
        "C00000001.pdf", "C00000001.txt", "C00000001.json",
        "C00000002.pdf", "C00000002.txt", "C00000002.json", "manifest.json"]
    manifest = json.loads(archive.read("manifest.json"))
    assert {r["case_number"] for r in manifest["releases"]} == {case}
    assert "relrex" not in json.dumps(manifest)  # no staff named by default

    # -- the releases page: filter by case, tick one, download the selection
    page.click("a:text-is('All releases')")
    page.wait_for_load_state()
    page.fill("#f-case", case)
    with page.expect_navigation():
        page.click("#apply-filters")
    expect(page.locator(".releases-table tbody tr")).to_have_count(2)
    shot(release, artifacts, "releases-list.png")
    page.check("#package-form tbody tr:first-child input[type=checkbox]")
    with page.expect_download() as download:
        page.click("#download-selection")
    picked = zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())).namelist()
    assert len(picked) == 4 and picked[-1] == "manifest.json"

    # -- a denial: every portion withheld; the confirmation says so; the files are a notice
    page.click("nav.site-nav a:text-is('Dashboard')")
    page.wait_for_load_state()
    with page.expect_navigation():
        page.locator("section[aria-labelledby=q-ready] tr", has_text=DENIED) \
            .locator("a.button").click()
    expect(page.locator("#plan-stamp")).to_have_text("DENIED IN FULL")
    expect(page.locator("#plan-codes")).to_have_text("B1, 1.4(C)")
    expect(page.locator("#plan-denied")).to_be_visible()
    shot(release, artifacts, "release-denied-confirm.png")
    with page.expect_navigation():
        page.click("#confirm-release")
    with page.expect_download() as download:
        page.locator("dd .release-files a:text-is('text')").click()
    notice = Path(download.value.path()).read_text(encoding="utf-8")
    assert "WITHDRAWAL NOTICE" in notice and "Exemptions: B1, 1.4(C)" in notice
    assert "KESTREL" not in notice and "SOURCE REPORT" not in notice
    # The cable page: no Release button any more, the files linked.
    page.click(f"a:text-is('← {DENIED}')")
    page.wait_for_load_state()
    expect(page.locator("#release-button")).to_have_count(0)
    expect(page.locator("#release-panel .release-files a")).to_have_count(3)
    shot(release, artifacts, "cable-release-panel.png")

    for watched in (review, approve, release):
        watched.assert_quiet()
    if UPDATE:
        DOCS.mkdir(parents=True, exist_ok=True)
        for name in SHOTS:
            shutil.copyfile(artifacts / name, DOCS / name)
