"""Cable text, rationales and comments are untrusted: in a real browser, nothing in them runs.

What is asserted, strongest first: the markers the payloads would set (``window.__pwned``)
stay undefined; the page holds none of the elements a payload would create (an ``img`` with
``src=x``, an ``svg`` with ``onload``, an inline ``script``, a ``javascript:`` link, an
``iframe``); no dialog opens; the console shows no error at all. The last one matters because
the Content Security Policy would block an injected handler and only complain in the
console: a CSP report is a sign that markup got into the page, even though nothing ran. And
the payloads are on the page as text, so the test cannot pass by not showing them.
"""

from __future__ import annotations

from sqlalchemy import select

from redactor.models import Cable, CableVersion, User
from redactor.redaction import service as redactions
from redactor.review.policy import Role

REF = "09HOSTILE1"
PAYLOADS = [
    "<script>window.__pwned=1;alert(1)</script>",
    '"><img src=x onerror="window.__pwned=2;alert(2)">',
    "</textarea><svg onload=\"window.__pwned=3;alert(3)\">",
    '<a href="javascript:window.__pwned=4;alert(4)">click me</a>',
    "javascript:alert(5)",
    "'-alert(6)-'",
    "</title><iframe srcdoc=\"<script>parent.__pwned=7</script>\"></iframe>",
    "{{7*7}}",
]
HOSTILE = " ".join(PAYLOADS)

# Elements a payload would have created, had it been parsed as markup.
INJECTED = """
() => [
  ...document.querySelectorAll('img[src="x"], svg[onload], iframe, script:not([src])'),
  ...Array.from(document.querySelectorAll('a[href]')).filter(
    (a) => a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')),
  ...Array.from(document.querySelectorAll('*')).filter(
    (el) => Array.from(el.attributes).some((at) => at.name.startsWith('on'))),
].map((el) => el.outerHTML.slice(0, 120))
"""


def test_script_payloads_in_cable_text_never_run_in_any_view(
    person, make_cable, session, query, artifacts
):
    make_cable(
        REF,
        "CONFIDENTIAL",
        subject=f"PWNED {PAYLOADS[1]}",
        body=f"1. (C) Name {HOSTILE} end.\n\n2. (U) Plain {PAYLOADS[0]} text.",
    )
    reviewer = person("rita", roles=(Role.REVIEWER,))
    approver = person("arne", roles=(Role.APPROVER,))
    # A proposal whose rationale and discussion hold the payloads too.
    cable = session.scalars(select(Cable).where(Cable.reference_id == REF)).one()
    text = session.scalars(
        select(CableVersion.text).where(CableVersion.cable_id == cable.id)
    ).one()
    rita = session.get(User, reviewer.user_id)
    start = text.index("Name")
    made = redactions.propose(
        session, rita, cable, start=start, end=start + 4, codes=["B6"], rationale=HOSTILE
    )
    redactions.comment(session, rita, made, HOSTILE)
    session.commit()

    pages = {
        "list": "/cables",
        "search": "/cables?q=pwned",
        "cable": f"/cables/{REF}",
        "preview": f"/cables/{REF}/preview",
        "dashboard": "/dashboard",
    }
    for who in (reviewer, approver):
        watched = who.sign_in()
        page = watched.page
        for name, path in pages.items():
            page.goto(f"{who.base}{path}")
            page.wait_for_load_state("load")
            where = f"{who.username} on {name}"
            assert "window.__pwned=" in page.inner_text("main"), where  # shown as text
            if name == "cable":
                # Clicking the would-be link text must not run anything either.
                page.get_by_text("click me").first.click()
                page.keyboard.press("Escape")
            page.wait_for_timeout(100)  # let anything queued (onerror, onload) fire
            assert page.evaluate("() => typeof window.__pwned") == "undefined", where
            assert page.evaluate(INJECTED) == [], where
            if who is reviewer and name == "cable":
                page.screenshot(path=str(artifacts / "hostile-cable.png"), full_page=True)
        watched.assert_quiet()
