"""Pages fit a 390 px wide phone screen (issue 14, item 5): the sign-in page, the dashboard,
the cable list, a cable page, the releases page and the audit log have no horizontal page
scroll at 390x844. Wide tables scroll inside themselves; the navigation wraps. Every page is
reached by links from the sign-in page."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from redactor.cables.service import ImportStatus, import_cable
from redactor.release import service as releases
from redactor.resources import PACKAGE_DIR
from redactor.review.policy import Role
from tests.fixtures_store import MAX_BYTES
from tests.test_release_support import finish_review, make_team, redact

PHONE = {"width": 390, "height": 844}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
UPDATE = os.environ.get("REDACTOR_UPDATE_SCREENSHOTS", "") == "1"
WIDTH = "document.documentElement.scrollWidth"


def _import(session, name: str):
    data = (PACKAGE_DIR / "sample_cables" / f"{name}.txt").read_bytes()
    outcome = import_cable(session, None, f"{name}.txt", data, max_bytes=MAX_BYTES)
    assert outcome.status is ImportStatus.IMPORTED, outcome.error
    session.commit()
    return outcome


def test_the_main_pages_fit_a_390_px_screen(person, session, make_user, artifacts):
    from sqlalchemy import select

    from redactor.models import Cable

    for name in ("09VILNIUS84", "08STATE116943", "09BOGOTA688"):
        _import(session, name)
    team = make_team(make_user, prefix="s")
    cable = session.scalars(select(Cable).where(Cable.reference_id == "09VILNIUS84")).one()
    redact(session, team, cable, "Seche")
    finish_review(session, team, cable)
    releases.release_cable(session, team.authority, cable)
    state = session.scalars(select(Cable).where(Cable.reference_id == "08STATE116943")).one()
    redact(session, team, state, "Belfast", approve=False)  # a pending proposal to list
    session.commit()

    phone = person("phil", roles=(Role.REVIEWER, Role.APPROVER, Role.RELEASE_AUTHORITY,
                                  Role.AUDITOR))
    watched = phone.new_page()
    page = watched.page
    page.set_viewport_size(PHONE)
    widths: dict[str, int] = {}

    page.goto(f"{phone.base}/login")
    widths["sign-in"] = page.evaluate(WIDTH)
    page.fill("input[name=username]", phone.username)
    page.fill("input[name=password]", phone.password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url.endswith("/dashboard")
    widths["dashboard"] = page.evaluate(WIDTH)
    page.screenshot(path=str(artifacts / "dashboard-390.png"), full_page=True)

    with page.expect_navigation():
        page.click("#all-releases")
    widths["releases"] = page.evaluate(WIDTH)

    with page.expect_navigation():
        page.click("nav.site-nav >> text=Cables")
    widths["cable list"] = page.evaluate(WIDTH)
    with page.expect_navigation():
        page.click("table a[href='/cables/08STATE116943']")
    widths["cable page"] = page.evaluate(WIDTH)

    with page.expect_navigation():
        page.click("nav.site-nav >> text=Audit")
    widths["audit"] = page.evaluate(WIDTH)

    too_wide = {name: width for name, width in widths.items() if width > PHONE["width"]}
    assert too_wide == {}, widths
    watched.assert_quiet()
    if UPDATE:
        target = DOCS / "dashboard-390.png"
        shot = artifacts / "dashboard-390.png"
        if not target.exists() or target.read_bytes() != shot.read_bytes():
            shutil.copyfile(shot, target)
