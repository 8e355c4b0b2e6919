"""The audit table fits a wide window (issue 14, item 5): it used to be 2,794 px wide in a
1,440 px window, pushed out by raw JSON details without spaces."""

from __future__ import annotations

from redactor import audit
from redactor.review.policy import Role


def test_audit_table_fits_the_window_and_details_open(person, session):
    auditor = person("aldo", roles=(Role.AUDITOR,))
    for i in range(3):
        audit.record(session, None, "test.long", ("user", auditor.user_id),
                     {"note": f"{i}" + "y" * 400, "codes": ["B1", "1.4(D)"]})
    session.commit()
    page = auditor.sign_in().page
    page.set_viewport_size({"width": 1440, "height": 900})
    page.click("nav >> text=Audit")
    page.wait_for_load_state()
    width = page.evaluate("document.querySelector('.audit-table').getBoundingClientRect().width")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1440 and scroll <= 1440, (width, scroll)
    # A collapsed entry opens in place, and still fits.
    page.locator(".audit-details details summary").first.click()
    assert page.locator(".audit-details details[open]").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
