"""The smaller things of issue 14, item 5, each through the Flask test client.

Each test walks what a person does (sign in, open the dashboard, fill the admin form, open
the audit log) and checks what the page shows; each fails on the code before its fix.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from redactor.errors import NotPermitted
from redactor.models import Cable, CableVersion, Redaction, User
from redactor.review import pages
from redactor.review.policy import Level, Role
from tests.fixtures_accounts import find_csrf_token

FIXTURE_CORPUS = Path(__file__).parent / "data" / "corpus"

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


# --------------------------------------------------------------------------- 7. own password

NEW_PASSWORD = "a passphrase of my own 7"


def _audit_payloads(session, action: str) -> list[dict]:
    import json

    from redactor.models import AuditEntry

    session.expire_all()
    rows = session.scalars(
        select(AuditEntry.payload).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    ).all()
    session.commit()
    return [json.loads(row) for row in rows]


def _flagged(session, username: str) -> bool:
    session.expire_all()
    flag = session.scalar(select(User.must_change_password).where(User.username == username))
    session.commit()
    return flag


def _change_password(client, current: str, new: str, confirm: str | None = None):
    return post_form(
        client,
        "/account/password",
        {"current_password": current, "new_password": new, "confirm": confirm or new},
        "/account/password",
    )


def _admin_creates(admin, username: str) -> str:
    """Create ``username`` on the admin page with a generated password; returns it."""
    response = _create(
        admin, {"username": username, "roles": "reviewer", "clearance": "SECRET", "password": ""}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="must-change-note"' in page
    return re.search(r'<code class="secret">([^<]+)</code>', page).group(1)


def test_a_new_user_changes_the_generated_password_before_anything_else(
    app, session, people, login
):
    password = _admin_creates(people["adm"], "newbie")
    assert _flagged(session, "newbie") is True
    (created,) = [p for p in _audit_payloads(session, "user.create") if p["username"] == "newbie"]
    assert created["must_change_password"] is True
    client = app.test_client()
    # Sign-in goes to the change-password page, even when asked for another page.
    token = find_csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        query_string={"next": "/cables"},
        data={"username": "newbie", "password": password, "csrf_token": token},
    )
    assert response.headers["Location"] == "/account/password"
    page = client.get("/account/password").get_data(as_text=True)
    assert 'id="password-required"' in page
    # The navigation offers nothing but signing out; every page leads back here.
    assert 'href="/dashboard"' not in page and 'action="/logout"' in page
    for url in ("/dashboard", "/cables", "/account/tokens", "/login", "/no/such/page"):
        answer = client.get(url)
        assert answer.status_code == 302, url
        assert answer.headers["Location"] == "/account/password", url

    response = _change_password(client, password, NEW_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert client.get("/dashboard").status_code == 200
    assert 'id="password-required"' not in client.get("/account/password").get_data(
        as_text=True
    )
    assert _flagged(session, "newbie") is False
    change = _audit_payloads(session, "user.password_change")[-1]
    assert change == {"username": "newbie", "reset_by_admin": False, "tokens_revoked": 0,
                      "must_change_password": False}
    # The generated password no longer opens anything; the new one opens the dashboard.
    fresh = app.test_client()
    assert login(fresh, "newbie", password, check=False).status_code == 200
    assert login(fresh, "newbie", NEW_PASSWORD).headers["Location"] == "/dashboard"


def test_the_flag_is_not_cleared_by_choosing_the_same_password(app, session, people, login):
    password = _admin_creates(people["adm"], "samesame")
    client = app.test_client()
    login(client, "samesame", password)
    response = _change_password(client, password, password)
    assert response.status_code == 422
    assert "must differ from the current one" in response.get_data(as_text=True)
    assert _flagged(session, "samesame") is True
    assert client.get("/dashboard").headers["Location"] == "/account/password"
    # A wrong current password does not clear it either.
    assert _change_password(client, "not the password", NEW_PASSWORD).status_code == 422
    assert _flagged(session, "samesame") is True


def test_an_admin_reset_flags_the_account_and_closes_its_tokens_for_good(
    app, session, make_user, people, login
):
    from redactor.accounts import tokens
    from redactor.models import ApiToken

    user, password = make_user("tessa", roles=[Role.REVIEWER])
    _token, secret = tokens.create_token(session, user, user, "laptop")
    session.commit()
    api = app.test_client()
    assert api.get("/api/v1/cables", headers={"Authorization": f"Bearer {secret}"}).status_code \
        == 200
    edit = f"/admin/users/{user.id}"
    response = post_form(people["adm"], f"{edit}/password", {"password": ""}, edit)
    assert response.status_code == 200 and 'id="must-change-note"' in response.get_data(
        as_text=True)
    assert 'id="must-change-note"' in people["adm"].get(edit).get_data(as_text=True)
    assert "must change password" in people["adm"].get("/admin/users").get_data(as_text=True)
    reset = _audit_payloads(session, "user.password_change")[-1]
    assert reset["reset_by_admin"] is True and reset["must_change_password"] is True
    assert reset["tokens_revoked"] == 1
    assert api.get("/api/v1/cables", headers={"Authorization": f"Bearer {secret}"}).status_code \
        == 401

    # Fail closed even for a token that is somehow still active while the flag is set
    # (made by hand here: no service hands one out).
    session.expire_all()
    flagged = session.get(User, user.id)
    with pytest.raises(NotPermitted, match="must first change the password"):
        tokens.create_token(session, flagged, flagged, "sneaky")
    session.rollback()
    session.execute(
        ApiToken.__table__.update().where(ApiToken.user_id == user.id).values(revoked_at=None)
    )
    session.commit()
    assert api.get("/api/v1/cables", headers={"Authorization": f"Bearer {secret}"}).status_code \
        == 401
    assert tokens.resolve_token(session, secret) is None
    session.rollback()


def test_the_service_flag_is_off_unless_asked_for(session, make_user):
    from redactor.accounts import service as accounts

    user, _password = make_user("plain")
    assert user.must_change_password is False and not accounts.must_change_password(user)
    accounts.set_password(session, None, user, "an admin typed this 1", must_change_password=True)
    assert accounts.must_change_password(user)
    # A reset without the flag (the user at the administrator's console) clears it.
    accounts.set_password(session, None, user, "the user typed this 2")
    assert not accounts.must_change_password(user)
    assert not accounts.must_change_password(None)
    session.rollback()


_RULE_ARGUMENT = re.compile(
    r"<(?:(?P<converter>[a-z]+)(?:\((?P<options>[^)]*)\))?:)?(?P<name>\w+)>"
)


def _fill(rule: str, values: dict[str, str]) -> str:
    """``rule`` with each argument filled: from ``values`` by name, else the first option of
    an ``any(...)``, else ``1`` (an int) or ``x``."""

    def one(match: re.Match) -> str:
        name, converter = match.group("name"), match.group("converter") or "default"
        if name in values:
            return values[name]
        if converter == "any":
            return match.group("options").split(",")[0].strip().strip("'\"")
        return "1" if converter == "int" else "x"

    return _RULE_ARGUMENT.sub(one, rule)


def test_no_route_lets_a_user_who_must_change_the_password_through(
    app, session, make_user, make_cable, login
):
    """Attacker: a user with every role and every clearance, holding a password an admin
    chose, tries every method of every route of the app with a valid CSRF token. Each is
    sent to the change-password page (the API, which the cookie never opens, answers 401),
    and nothing is changed or recorded."""
    from redactor.accounts import service as accounts
    from redactor.models import AuditEntry, PortionReview, Release
    from redactor.web.auth import OPEN_UNTIL_PASSWORD_CHANGED

    cable = make_cable(REF, "CONFIDENTIAL", body=BODY)
    user, _ = make_user("mallory", roles=list(Role), clearance=Level.TOP_SECRET)
    accounts.set_password(session, None, user, "set by the admin 99", must_change_password=True)
    values = {"reference_id": cable.reference_id, "user_id": str(user.id),
              "filename": "css/app.css"}
    session.commit()
    client = app.test_client()
    login(client, "mallory", "set by the admin 99")
    token = find_csrf_token(client.get("/account/password").get_data(as_text=True))

    def counts() -> tuple:
        session.expire_all()
        found = tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (AuditEntry, Redaction, PortionReview, Release, User, Cable)
        )
        session.commit()
        return found

    before = counts()
    tried = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_UNTIL_PASSWORD_CHANGED:
            continue
        url = _fill(rule.rule, values)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            form = {**{k: "1" for k in ("version", "start", "end", "portion_index")},
                    "codes": "B6", "rationale": "x", "reason": "x", "body": "x",
                    "roles": "admin", "clearance": "TOP_SECRET", "active": "0",
                    "username": "evil", "password": "", "name": "x", "csrf_token": token}
            response = client.open(url, method=method, data=form,
                                   headers={"X-CSRFToken": token})
            tried += 1
            where = f"{method} {url}"
            if rule.endpoint == "api.openapi_spec":
                assert response.status_code == 200, where  # public to anyone, no data
            elif url.startswith("/api/"):
                assert response.status_code == 401, where
            else:
                assert response.status_code in (302, 303), (where, response.status_code)
                assert response.headers["Location"] == "/account/password", where
            response.close()
    assert tried > 60
    assert counts() == before
    assert _flagged(session, "mallory") is True


# --------------------------------------------------------------------------- 8. no portions

TRUNCATED = "06MADRID2335"


def _import_truncated(session):
    """06MADRID2335 cut before its first paragraph: header, routing and subject, no portion."""
    from redactor.cables.service import import_cable
    from redactor.models import Portion
    from tests.fixtures_store import FIXTURE_CABLES_DIR, MAX_BYTES

    text = (FIXTURE_CABLES_DIR / f"{TRUNCATED}.txt").read_text(encoding="utf-8")
    cut = text[: text.index("\n1. (") + 1]
    import_cable(session, None, f"{TRUNCATED}.txt", cut.encode(), max_bytes=MAX_BYTES)
    session.commit()
    cable = session.scalars(select(Cable).where(Cable.reference_id == TRUNCATED)).one()
    assert session.scalar(
        select(func.count()).select_from(Portion).join(CableVersion)
        .where(CableVersion.cable_id == cable.id)
    ) == 0
    session.commit()
    return cable


@pytest.fixture
def release_people(app, make_user, login):
    clients = {}
    for name, roles in [("rev", [Role.REVIEWER]), ("appr", [Role.APPROVER]),
                        ("rel", [Role.RELEASE_AUTHORITY])]:
        _user, password = make_user(name, roles=roles, clearance=Level.TOP_SECRET)
        client = app.test_client()
        login(client, name, password)
        clients[name] = client
    return clients


def _status(session) -> str:
    session.expire_all()
    status = session.scalar(select(Cable.status).where(Cable.reference_id == TRUNCATED))
    session.commit()
    return str(getattr(status, "value", status))


def _release(client):
    page = client.get(f"/cables/{TRUNCATED}/release").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">', page))
    return client.post(f"/cables/{TRUNCATED}/release", data=fields), page


def test_a_truncated_cable_needs_a_reviewers_mark_of_its_whole_text_then_releases(
    session, release_people
):
    from redactor.models import Release

    _import_truncated(session)
    rev, rel = release_people["rev"], release_people["rel"]
    # Not releasable unread (it used to be: nothing to mark was taken for nothing to review).
    page = rel.get(f"/cables/{TRUNCATED}").get_data(as_text=True)
    assert 'id="release-button"' not in page
    assert "the whole text (header and lines) is still to be marked reviewed" in page
    answer, _ = _release(rel)
    assert answer.status_code == 409
    # Another index than the whole text's names nothing.
    assert post_form(rev, f"/cables/{TRUNCATED}/portions/1/reviewed", {},
                     f"/cables/{TRUNCATED}").status_code == 404
    page = rev.get(f"/cables/{TRUNCATED}").get_data(as_text=True)
    assert 'id="mark-whole-text"' in page
    response = post_form(rev, f"/cables/{TRUNCATED}/portions/0/reviewed", {},
                         f"/cables/{TRUNCATED}")
    assert response.status_code in (302, 303)
    assert _status(session) == "ready"
    (mark,) = [p for p in _audit_payloads(session, "portion.review") if p.get("whole_text")]
    assert mark["portion_index"] == 0 and mark["marking"] is None
    assert "Reviewed by" in rev.get(f"/cables/{TRUNCATED}").get_data(as_text=True)
    answer, confirm = _release(rel)
    assert 'id="plan-stamp">RELEASE IN FULL<' in confirm
    assert answer.status_code == 302 and _status(session) == "released"
    session.expire_all()
    assert session.scalars(select(Release.disposition)).one() == "RELEASE IN FULL"
    session.commit()


def test_a_truncated_cable_with_all_its_lines_withheld_is_denied_after_the_mark(
    session, make_user, release_people
):
    from redactor.redaction import regions
    from redactor.redaction import service as redactions
    from redactor.review import service as review
    from tests.test_release_support import make_team

    cable = _import_truncated(session)
    team = make_team(make_user)
    version = review.version_of(session, cable)
    for area in regions.regions(version.text, [], version.parsed or {}):
        start, end = area.start, area.end
        while start < end and version.text[start].isspace():
            start += 1
        while end > start and version.text[end - 1].isspace():
            end -= 1
        if start < end:
            made = redactions.propose(session, team.reviewer, cable, start=start, end=end,
                                      codes=["B1", "1.4(D)"])
            redactions.approve(session, team.approver, made, expected_row_version=made.row_version)
    session.commit()
    # Every line withheld and approved: still not ready before the reviewer's mark.
    assert _status(session) == "in_review"
    answer, _ = _release(release_people["rel"])
    assert answer.status_code == 409
    post_form(release_people["rev"], f"/cables/{TRUNCATED}/portions/0/reviewed", {},
              f"/cables/{TRUNCATED}")
    assert _status(session) == "ready"
    answer, confirm = _release(release_people["rel"])
    assert 'id="plan-stamp">DENIED IN FULL<' in confirm
    assert answer.status_code == 302 and _status(session) == "released"


# --------------------------------------------------------------------------- 9. rulers

RULER = "--%-----------------------------------%---"


def test_lines_without_letters_or_digits_need_no_mark_but_are_printed_and_redactable(
    session, make_user
):
    """A real cable of the corpus whose ruler (``--%---...%---``, garbled by the mirror) was
    a heading to mark reviewed: now it is a line of its own, redactable and released."""
    from redactor.cables.service import import_cable
    from redactor.models import Portion, ReleaseArtifact
    from redactor.redaction import service as redactions
    from redactor.release import service as releases
    from redactor.review import service as review
    from tests.fixtures_store import MAX_BYTES
    from tests.test_release_support import finish_review, make_team

    name = "08SECTION01GF02BISHIEK21"
    data = (FIXTURE_CORPUS / f"{name}.txt").read_bytes()
    import_cable(session, None, f"{name}.txt", data, max_bytes=MAX_BYTES)
    session.commit()
    cable = session.scalars(select(Cable).where(Cable.reference_id == name)).one()
    version = review.version_of(session, cable)
    texts = [version.text[p.start:p.end] for p in session.scalars(
        select(Portion).where(Portion.version_id == version.id))]
    assert texts and all(re.search(r"[^\W_]", t) for t in texts)
    assert not [t for t in texts if RULER in t]
    team = make_team(make_user)
    start = version.text.index(RULER)
    made = redactions.propose(session, team.reviewer, cable, start=start + 2, end=start + 3,
                              codes=["B6"])  # the first "%": a line region of its own
    redactions.approve(session, team.approver, made, expected_row_version=made.row_version)
    finish_review(session, team, cable)  # a mark for each portion, none for the ruler
    assert cable.status == "ready"
    release = releases.release_cable(session, team.authority, cable)
    txt = session.scalars(select(ReleaseArtifact.data).where(
        ReleaseArtifact.release_id == release.id, ReleaseArtifact.name == "txt")).one().decode()
    assert RULER[3:] in txt  # printed, after the excision of its "%"
    assert RULER not in txt


# --------------------------------------------------------------------------- 10. screenshots


def test_every_screenshot_is_linked_from_the_readme():
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text(encoding="utf-8")
    shots = sorted(p.name for p in (root / "docs" / "screenshots").glob("*.png"))
    assert {"audit-log.png", "dashboard-390.png", "password-change.png"} <= set(shots)
    assert [name for name in shots if f"(docs/screenshots/{name})" not in readme] == []
