"""The smaller things of issue 14, item 5, each through the Flask test client.

Each test walks what a person does (sign in, open the dashboard, fill the admin form, open
the audit log) and checks what the page shows; each fails on the code before its fix.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from redactor.models import Cable, CableVersion, Redaction, User
from redactor.review import pages
from redactor.review.policy import Level, Role
from tests.fixtures_accounts import find_csrf_token

# --------------------------------------------------------------------------- 1. landing


def test_sign_in_lands_on_the_dashboard(client, make_user, login):
    _user, password = make_user("lana")
    response = login(client, "lana", password)
    assert response.headers["Location"] == "/dashboard"
    # Already signed in: the sign-in page sends one to the dashboard too.
    assert client.get("/login").headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/cables/09X1?version=1", "/cables/09X1?version=1"),
        ("//evil.example/x", "/dashboard"),
        ("https://evil.example/", "/dashboard"),
        ("/\\evil.example", "/dashboard"),
        ("http:/evil.example", "/dashboard"),
    ],
)
def test_sign_in_keeps_a_local_next_and_never_leaves_the_site(
    client, make_user, csrf_token, target, expected
):
    _user, password = make_user("nina")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "nina", "password": password, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


# --------------------------------------------------------------------------- helpers

BODY = (
    "(C) Summary without a number: the talks went on.\n\n"
    "1. (C) The Minister spoke first.\n\n"
    "2. (C) The contact Zorro Delgado said the <b>plan</b> & the route were in use."
)
REF = "09SMALL1"


def version_text(session, reference_id: str = REF) -> str:
    session.expire_all()
    cable = session.scalars(select(Cable).where(Cable.reference_id == reference_id)).one()
    text = session.scalars(
        select(CableVersion.text).where(
            CableVersion.cable_id == cable.id, CableVersion.number == cable.current_version
        )
    ).one()
    session.commit()
    return text


def post_form(client, url: str, data: dict, page: str):
    """POST ``data`` with the CSRF token read from ``page``."""
    token = find_csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def propose(session, client, needle: str, codes=("B6",)) -> int:
    text = version_text(session)
    start = text.index(needle)
    response = post_form(
        client,
        f"/cables/{REF}/redactions",
        {"start": start, "end": start + len(needle), "codes": list(codes), "rationale": "a name"},
        f"/cables/{REF}",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    session.expire_all()
    made = session.scalars(select(Redaction.id).order_by(Redaction.id.desc())).first()
    session.commit()
    return made


@pytest.fixture
def people(app, make_user, login):
    """Signed-in clients: a reviewer, an approver, a low-cleared approver, an admin."""
    clients = {}
    for name, roles, clearance in [
        ("rev", [Role.REVIEWER], Level.TOP_SECRET),
        ("appr", [Role.APPROVER], Level.TOP_SECRET),
        ("low", [Role.APPROVER, Role.REVIEWER], Level.UNCLASSIFIED),
        ("adm", [Role.ADMIN], Level.TOP_SECRET),
    ]:
        _user, password = make_user(name, roles=roles, clearance=clearance)
        client = app.test_client()
        login(client, name, password)
        clients[name] = client
    return clients


# --------------------------------------------------------------------------- 2. dashboard


def test_dashboard_names_the_portion_as_the_cable_page_does_and_shows_the_text(
    session, make_cable, people
):
    make_cable(REF, "CONFIDENTIAL", body=BODY)
    made = propose(session, people["rev"], "Zorro Delgado said the <b>plan</b> & the")
    cable_page = people["appr"].get(f"/cables/{REF}").get_data(as_text=True)
    dashboard = people["appr"].get("/dashboard").get_data(as_text=True)
    assert f"#redaction-{made}" in dashboard
    row = dashboard[dashboard.index(f"#redaction-{made}") :].split("</tr>")[0]
    assert "Paragraph 2" in row and "Paragraph 2" in cable_page
    assert "portion " not in row
    # The proposed text, escaped (never markup), whitespace folded.
    assert "Zorro Delgado said the &lt;b&gt;plan&lt;/b&gt; &amp; the" in row
    assert "<b>plan</b>" not in dashboard


def test_dashboard_cuts_a_long_proposed_text(session, make_cable, people):
    long_body = "1. (C) " + " ".join(f"word{i}" for i in range(80)) + " end."
    make_cable(REF, "CONFIDENTIAL", body=long_body)
    text = version_text(session)
    start = text.index("word0")
    made = propose(session, people["rev"], text[start : text.index(" end.")])
    dashboard = people["appr"].get("/dashboard").get_data(as_text=True)
    row = dashboard[dashboard.index(f"#redaction-{made}") :].split("</tr>")[0]
    assert "word0 word1" in row and "&hellip;" in row and "word79" not in row


def test_dashboard_never_shows_a_proposal_above_the_approvers_clearance(
    session, make_cable, people
):
    make_cable(REF, "CONFIDENTIAL", body=BODY)
    made = propose(session, people["rev"], "Zorro Delgado")
    low = people["low"].get("/dashboard").get_data(as_text=True)
    assert f"#redaction-{made}" not in low and "Zorro" not in low and REF not in low


# --------------------------------------------------------------------------- 3. own proposal


def test_own_proposal_is_marked_for_the_approve_key_and_the_script_says_why(
    app, session, make_cable, make_user, login
):
    make_cable(REF, "CONFIDENTIAL", body=BODY)
    _user, password = make_user("both", roles=[Role.REVIEWER, Role.APPROVER])
    both = app.test_client()
    login(both, "both", password)
    mine = propose(session, both, "Zorro Delgado")
    page = both.get(f"/cables/{REF}").get_data(as_text=True)
    article = page[page.index(f'id="redaction-{mine}"') :].split("</article>")[0]
    # The server marks it as one's own and offers no approve button (two-person rule) ...
    assert "data-mine" in article.split(">")[0]
    assert 'data-action="approve"' not in article
    # ... and the page's status line (where the script writes) is there, with no inline script.
    assert 'id="selection-status"' in page and "<script>" not in page
    script = app.test_client().get("/static/js/review.js")
    client_js = script.get_data(as_text=True)
    script.close()
    assert "You cannot approve your own proposal: another approver must." in client_js
    assert "[data-mine]" in client_js or 'hasAttribute("data-mine")' in client_js


# --------------------------------------------------------------------------- 4. admin form


def _create(client, data: dict):
    return post_form(client, "/admin/users", data, "/admin/users")


def _checked_roles(page: str) -> set[str]:
    return set(re.findall(r'name="roles" value="([a-z_]+)" checked', page))


def test_admin_form_keeps_roles_and_clearance_but_never_the_password_after_an_error(
    session, people
):
    secret = "a typed passphrase 9!"
    response = _create(
        people["adm"],
        {
            "username": "Not Valid!",
            "display_name": "Nora New",
            "roles": ["reviewer", "approver"],
            "clearance": "SECRET",
            "password": secret,
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'role="alert"' in page
    assert _checked_roles(page) == {"reviewer", "approver"}
    assert '<option value="SECRET" selected>' in page
    assert 'value="Nora New"' in page and 'value="Not Valid!"' in page
    assert secret not in page
    session.expire_all()
    assert session.scalar(select(User).where(User.display_name == "Nora New")) is None
    session.commit()


def test_admin_refuses_a_user_without_roles_with_a_clear_message(session, people):
    response = _create(
        people["adm"],
        {"username": "norole", "clearance": "CONFIDENTIAL", "password": ""},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Choose at least one role" in page
    assert 'value="norole"' in page and '<option value="CONFIDENTIAL" selected>' in page
    session.expire_all()
    assert session.scalar(select(User).where(User.username == "norole")) is None
    session.commit()
    # With a role, the same form makes the user.
    response = _create(
        people["adm"],
        {"username": "norole", "roles": "auditor", "clearance": "CONFIDENTIAL", "password": ""},
    )
    assert response.status_code == 200 and "norole" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- 5. new cables


def _section(page: str, heading_id: str) -> str:
    at = page.index(f'id="{heading_id}"')
    return page[at : page.index("</section>", at)]


def test_reviewer_dashboard_lists_new_cables_newest_first_within_clearance(
    session, make_cable, people
):
    make_cable("09NEWA1", "UNCLASSIFIED", subject="OLDER NEW CABLE")
    make_cable("09NEWB1", "UNCLASSIFIED", subject="NEWER NEW CABLE")
    make_cable("09NEWS1", "SECRET", subject="SECRET NEW CABLE")
    make_cable(REF, "CONFIDENTIAL", body=BODY)
    propose(session, people["rev"], "Zorro Delgado")  # REF is now in review, not new

    queue = _section(people["rev"].get("/dashboard").get_data(as_text=True), "q-new")
    assert "New cables to review" in queue
    assert queue.index("09NEWB1") < queue.index("09NEWA1") and "09NEWS1" in queue
    assert REF not in queue
    # A reviewer cleared only for UNCLASSIFIED never sees the SECRET one, anywhere.
    low = people["low"].get("/dashboard").get_data(as_text=True)
    assert "09NEWA1" in _section(low, "q-new")
    assert "09NEWS1" not in low and "SECRET NEW CABLE" not in low
    # Not a reviewer's work: an admin's dashboard has no such queue.
    assert 'id="q-new"' not in people["adm"].get("/dashboard").get_data(as_text=True)


def test_new_cables_queue_is_limited(session, make_cable, people):
    for i in range(pages.DASHBOARD_ROWS + 3):
        make_cable(f"09LIM{i}", "UNCLASSIFIED")
    queue = _section(people["rev"].get("/dashboard").get_data(as_text=True), "q-new")
    assert queue.count('href="/cables/09LIM') == pages.DASHBOARD_ROWS
    assert f"09LIM{pages.DASHBOARD_ROWS + 2}<" in queue and "09LIM0<" not in queue


# --------------------------------------------------------------------------- 6. audit table

LONG_DETAILS = {"note": "x" * 300, "codes": ["B1", "1.4(D)"], "html": "<b>bold</b>"}


def test_audit_table_collapses_long_details_and_its_css_keeps_it_on_the_page(
    app, session, make_user, login
):
    from redactor import audit

    auditor, password = make_user("aud", roles=[Role.AUDITOR])
    audit.record(session, None, "test.long", ("user", auditor.id), LONG_DETAILS)
    session.commit()
    client = app.test_client()
    login(client, "aud", password)
    page = client.get("/audit/").get_data(as_text=True)
    found = [c for c in page.split('<td class="audit-details">')[1:] if "x" * 300 in c]
    assert found, "the long entry is not on the page"
    cell = found[0].split("</td>")[0]
    # Collapsed: a short summary, the whole details (escaped) behind it.
    assert cell.startswith("<details><summary>") and "…" in cell.split("</summary>")[0]
    assert "&lt;b&gt;bold&lt;/b&gt;" in cell and "<b>bold" not in cell
    css = client.get("/static/css/app.css")
    rules = css.get_data(as_text=True)
    css.close()
    assert ".audit-table { table-layout: fixed; width: 100%; }" in rules
    assert "overflow-wrap: anywhere" in rules
