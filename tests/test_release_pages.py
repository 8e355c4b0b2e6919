"""The release half in the browser's pages: the Release button (or why not), the
confirmation built by the release plan, the release page and files, the releases list,
cases shared by several documents, packages, and denials in full."""

from __future__ import annotations

import html
import io
import json
import re
import zipfile

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from redactor.cables.service import import_cable
from redactor.models import AuditEntry, Cable, CableStatus, Release
from redactor.release import service as releases
from redactor.review.policy import Level, Role
from tests.fixtures_accounts import find_csrf_token
from tests.fixtures_store import FIXTURE_CABLES_DIR, MAX_BYTES
from tests.test_release_agreement import decide
from tests.test_release_support import finish_review, make_team, redact

_HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')


@pytest.fixture
def team(make_user):
    return make_team(make_user)


def ready_cable(session, make_cable, team, ref: str = "09PAGE1", level: str = "SECRET"):
    cable = make_cable(ref, level)
    redact(session, team, cable, "Embassy", ("B6",))
    finish_review(session, team, cable)
    return cable


def client_of(app, login, user, password):
    client = app.test_client()
    login(client, user.username, password)
    return client


def release_form(page: str) -> dict[str, str]:
    """The fields of the confirmation's release form (the hidden inputs after the CSRF
    token, and the token itself)."""
    fields = {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}
    assert "expected_doc_number" in fields, "no release form on the page"
    return fields


def releases_count(session) -> int:
    value = session.scalar(select(func.count()).select_from(Release))
    session.rollback()
    return value


def authority_client(app, login, make_user, name="pagerex", clearance=Level.TOP_SECRET):
    user, password = make_user(name, roles=(Role.RELEASE_AUTHORITY,), clearance=clearance)
    return client_of(app, login, user, password)


# --------------------------------------------------------------------------- the path


def test_the_confirmation_shows_exactly_what_the_release_then_stores(
    app, session, make_cable, team, login, make_user
):
    cable = ready_cable(session, make_cable, team)
    client = authority_client(app, login, make_user)
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Ready to release" in dashboard and "/cables/09PAGE1/release" in dashboard
    page = client.get("/cables/09PAGE1/release").get_data(as_text=True)
    plan = releases.plan_release(session, team.authority, cable)
    session.rollback()
    for shown in (plan.stamp, plan.doc_number, plan.case_number, f'id="plan-pages">{plan.pages}',
                  f'id="plan-excisions">{plan.excision_count}'):
        assert shown in page, shown
    assert "(a new case)" in page
    fields = release_form(page)
    response = client.post("/cables/09PAGE1/release", data=fields)
    assert response.status_code == 302
    made = session.scalars(select(Release)).one()
    assert (made.doc_number, made.case_number, made.disposition) == (
        plan.doc_number, plan.case_number, plan.stamp)
    assert made.record["pages"] == plan.pages
    made_id, case, doc = made.id, made.case_number, made.doc_number
    session.rollback()
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"/releases/{made_id}.pdf" in shown and case in shown
    # After the release: no Release button any more, the files on the cable page.
    cable_page = client.get("/cables/09PAGE1").get_data(as_text=True)
    assert 'id="release-button"' not in cable_page
    assert f"/releases/{made_id}.pdf" in cable_page and "has been released" in cable_page
    again = client.get("/cables/09PAGE1/release").get_data(as_text=True)
    assert 'id="confirm-release"' not in again and doc in again


def test_a_release_whose_numbers_changed_since_the_confirmation_is_refused(
    app, session, make_cable, team, login, make_user
):
    ready_cable(session, make_cable, team, "09PAGE1")
    ready_cable(session, make_cable, team, "09PAGE2")
    client = authority_client(app, login, make_user)
    first = release_form(client.get("/cables/09PAGE1/release").get_data(as_text=True))
    second = release_form(client.get("/cables/09PAGE2/release").get_data(as_text=True))
    assert first["expected_doc_number"] == second["expected_doc_number"] == "C00000001"
    assert client.post("/cables/09PAGE2/release", data=second).status_code == 302
    refused = client.post("/cables/09PAGE1/release", data=first)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "differ from the confirmation" in body and "C00000002" in body  # the new figures
    assert releases_count(session) == 1


def test_the_release_button_shows_only_to_an_authority_and_says_plainly_why_not(
    app, session, make_cable, team, login, make_user
):
    cable = make_cable("09PAGE3", "SECRET")
    redact(session, team, cable, "Embassy", ("B6",), approve=False)
    session.commit()
    authority = authority_client(app, login, make_user)
    for path in ("/cables/09PAGE3", "/cables/09PAGE3/preview"):
        page = authority.get(path).get_data(as_text=True)
        panel = page[page.index('id="release-panel"'):]
        panel = panel[: panel.index("</section>")]
        assert 'id="release-button"' not in panel
        assert "Not ready to release: 1 proposal still await" in panel
        assert "in_review" not in panel
    refusal = authority.get("/cables/09PAGE3/release").get_data(as_text=True)
    assert "Not ready to release" in refusal and 'id="confirm-release"' not in refusal
    ready_cable(session, make_cable, team, "09PAGE4")
    assert 'id="release-button"' in authority.get("/cables/09PAGE4").get_data(as_text=True)
    reviewer = client_of(app, login, *make_user("pagerita", roles=(Role.REVIEWER,)))
    page = reviewer.get("/cables/09PAGE4").get_data(as_text=True)
    assert 'id="release-button"' not in page and "a release authority releases it" in page


def test_the_files_are_linked_to_everyone_cleared_and_hidden_from_others(
    app, session, make_cable, team, login, make_user
):
    cable = ready_cable(session, make_cable, team)
    made = releases.release_cable(session, team.authority, cable)
    session.commit()
    auditor = client_of(app, login, team.reader, team.reader_password)
    for path in ("/dashboard", "/releases", "/cables/09PAGE1", f"/releases/{made.id}"):
        assert f"/releases/{made.id}.pdf" in auditor.get(path).get_data(as_text=True), path
    assert auditor.get(f"/releases/{made.id}.txt").status_code == 200
    low = client_of(app, login, *make_user("pagelow", roles=(Role.AUDITOR,),
                                           clearance=Level.CONFIDENTIAL))
    for path in ("/dashboard", "/releases", f"/releases?case={made.case_number}"):
        assert made.doc_number not in low.get(path).get_data(as_text=True), path
    assert low.get(f"/releases/{made.id}").status_code == low.get("/releases/9999").status_code
    assert low.get(f"/releases/{made.id}").status_code == 404


def test_the_releases_page_filters_and_refuses_bad_filters_clearly(
    app, session, make_cable, team, login, make_user
):
    one = ready_cable(session, make_cable, team, "09PAGE1")
    two = make_cable("09PAGE2", "SECRET")
    decide(session, team, two, "all")
    finish_review(session, team, two)
    first = releases.release_cable(session, team.authority, one)
    denied = releases.release_cable(session, team.authority, two)
    session.commit()
    client = authority_client(app, login, make_user)
    page = client.get("/releases?disposition=DENIED+IN+FULL").get_data(as_text=True)
    assert denied.doc_number in page and first.doc_number not in page
    page = client.get(f"/releases?case={first.case_number}").get_data(as_text=True)
    assert first.doc_number in page and denied.doc_number not in page
    page = client.get("/releases?from=2000-01-01&to=2000-01-02").get_data(as_text=True)
    assert "No release matches" in page
    for bad in ("case=F-12", "from=yesterday", "disposition=MAYBE"):
        answer = client.get(f"/releases?{bad}")
        assert answer.status_code == 422, bad
        assert 'role="alert"' in answer.get_data(as_text=True)


# --------------------------------------------------------------------------- denials


def import_fixture(session, name: str) -> Cable:
    data = (FIXTURE_CABLES_DIR / f"{name}.txt").read_bytes()
    import_cable(session, None, f"{name}.txt", data, max_bytes=MAX_BYTES)
    session.commit()
    return session.scalars(select(Cable).where(Cable.reference_id == name)).one()


def test_madrid_withheld_entirely_is_denied_in_preview_and_release_and_publishes_no_text(
    app, session, team, login, make_user
):
    cable = import_fixture(session, "06MADRID2335")
    decide(session, team, cable, "all")
    finish_review(session, team, cable)
    version = cable.versions[-1]
    text, subject = version.text, (version.parsed or {}).get("subject") or ""
    client = authority_client(app, login, make_user)
    preview = client.get("/cables/06MADRID2335/preview").get_data(as_text=True)
    assert 'aria-label="Disposition stamp">DENIED IN FULL<' in preview
    page = client.get("/cables/06MADRID2335/release").get_data(as_text=True)
    assert 'id="plan-stamp">DENIED IN FULL<' in page and 'id="plan-denied"' in page
    assert "B1, 1.4(D)" in page
    response = client.post("/cables/06MADRID2335/release", data=release_form(page))
    assert response.status_code == 302
    made = session.scalars(select(Release)).one()
    assert made.disposition == "DENIED IN FULL" and made.record["published"] == "notice"
    assert made.record["redactions"]  # the record is kept in full
    made_id, case = made.id, made.case_number
    session.rollback()
    txt = client.get(f"/releases/{made_id}.txt").get_data(as_text=True)
    pdf = client.get(f"/releases/{made_id}.pdf").get_data()
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    record = json.loads(client.get(f"/releases/{made_id}.json").get_data(as_text=True))
    for artifact in (txt, pdf_text):
        words = " ".join(artifact.split())
        assert "WITHDRAWAL NOTICE" in words
        assert "Document: 06MADRID2335" in words and "Exemptions: B1, 1.4(D)" in words
        assert f"Case No.: {case}" in words and "Pages withheld:" in words
    assert record["notice"] == "withdrawal" and record["codes"] == ["B1", "1.4(D)"]
    # Nothing of the cable: no line of its text (subject, routing, Classified By, signature).
    published = txt + pdf_text + json.dumps(record)
    # (The reference id, which the notice names on purpose, is a line of its own.)
    lines = [line.strip() for line in text.split("\n")
             if len(line.strip()) >= 12 and line.strip() != "06MADRID2335"]
    assert lines and not [line for line in lines if line in published]
    assert subject and subject not in published
    for word in ("CLASSIFIED BY", "Classified By", "AMEMBASSY"):
        assert word not in published


def test_a_cable_with_no_portions_is_released_once_its_whole_text_is_reviewed(
    app, session, team, login, make_user
):
    cable = import_fixture(session, "08MOSCOW2426")
    assert cable.status == CableStatus.NEW
    client = authority_client(app, login, make_user)
    # Fail closed: nothing to mark portion by portion is not "nothing to review".
    page = client.get("/cables/08MOSCOW2426").get_data(as_text=True)
    assert 'id="release-button"' not in page and "whole text" in page
    refusal = client.get("/cables/08MOSCOW2426/release").get_data(as_text=True)
    assert "expected_doc_number" not in refusal and "whole text" in refusal
    token = find_csrf_token(refusal)
    assert client.post("/cables/08MOSCOW2426/release",
                       data={"csrf_token": token}).status_code == 409
    assert releases_count(session) == 0
    finish_review(session, team, cable)  # the reviewer's one mark: the whole text
    assert 'id="release-button"' in client.get("/cables/08MOSCOW2426").get_data(as_text=True)
    page = client.get("/cables/08MOSCOW2426/release").get_data(as_text=True)
    assert 'id="plan-stamp">RELEASE IN FULL<' in page
    assert client.post("/cables/08MOSCOW2426/release",
                       data=release_form(page)).status_code == 302
    session.rollback()
    assert session.scalars(select(Cable.status).where(Cable.id == cable.id)).one() == "released"
    session.rollback()


def test_a_truncated_cable_with_everything_withheld_is_denied(session, team):
    cable = import_fixture(session, "08MOSCOW2426")
    decide(session, team, cable, "all")
    finish_review(session, team, cable)
    made = releases.release_cable(session, team.authority, cable)
    assert made.disposition == "DENIED IN FULL"


# --------------------------------------------------------------------------- cases


def test_documents_share_an_existing_case_in_sequence_and_a_case_is_validated(
    app, session, make_cable, team, login, make_user
):
    ready_cable(session, make_cable, team, "09PAGE1")
    ready_cable(session, make_cable, team, "09PAGE2")
    client = authority_client(app, login, make_user)
    first = release_form(client.get("/cables/09PAGE1/release").get_data(as_text=True))
    client.post("/cables/09PAGE1/release", data=first)
    case = first["expected_case_number"]
    unknown = client.get("/cables/09PAGE2/release?case=existing&case_number=F-2001-00077")
    assert unknown.status_code == 422
    assert "no case F-2001-00077 among the releases you can see" in unknown.get_data(
        as_text=True)
    assert client.get("/cables/09PAGE2/release?case=existing&case_number=F-1").status_code == 422
    page = client.get(f"/cables/09PAGE2/release?case=existing&case_number={case}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "(an existing case)" in body
    second = release_form(body)
    assert second["expected_case_number"] == case
    assert client.post("/cables/09PAGE2/release", data=second).status_code == 302
    rows = session.execute(select(Release.case_number, Release.doc_number)
                           .order_by(Release.doc_number)).all()
    assert rows == [(case, "C00000001"), (case, "C00000002")]
    session.rollback()


def test_a_case_package_holds_the_cases_documents_names_no_staff_and_is_audited(
    app, session, make_cable, team, login, make_user
):
    one = ready_cable(session, make_cable, team, "09PAGE1")
    two = ready_cable(session, make_cable, team, "09PAGE2")
    first = releases.release_cable(session, team.authority, one)
    releases.release_cable(session, team.authority, two, case_number=first.case_number,
                           existing_case=True)
    session.commit()
    client = authority_client(app, login, make_user)
    page = client.get(f"/releases?case={first.case_number}").get_data(as_text=True)
    answer = client.post("/releases/package", data={
        "csrf_token": find_csrf_token(page), "case": first.case_number})
    assert answer.status_code == 200 and answer.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(answer.get_data()))
    assert archive.namelist() == [
        "C00000001.pdf", "C00000001.txt", "C00000001.json",
        "C00000002.pdf", "C00000002.txt", "C00000002.json", "manifest.json"]
    manifest = archive.read("manifest.json").decode()
    assert team.authority.username not in manifest and team.reviewer.username not in manifest
    assert session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq.desc())).first() \
        == "release.export"
    case = first.case_number
    reader = (team.reader.username, team.reader_password)
    session.rollback()
    # A reader without the role gets no package.
    auditor = app.test_client()
    login(auditor, *reader)
    assert auditor.post("/releases/package", data={
        "csrf_token": find_csrf_token(auditor.get("/releases").get_data(as_text=True)),
        "case": case}).status_code == 403


def test_a_case_holding_a_release_above_clearance_never_reveals_it(
    app, session, make_cable, team, login, make_user
):
    low_cable = ready_cable(session, make_cable, team, "09PAGE21", level="CONFIDENTIAL")
    high_cable = ready_cable(session, make_cable, team, "09PAGE22", level="SECRET")
    lonely = ready_cable(session, make_cable, team, "09PAGE23", level="SECRET")
    high = releases.release_cable(session, team.authority, high_cable)
    low = releases.release_cable(session, team.authority, low_cable, case_number=high.case_number,
                                 existing_case=True)
    alone = releases.release_cable(session, team.authority, lonely)
    session.commit()
    client = authority_client(app, login, make_user, "pagelowrex", clearance=Level.CONFIDENTIAL)
    page = client.get(f"/releases?case={high.case_number}").get_data(as_text=True)
    assert low.doc_number in page and high.doc_number not in page and "09PAGE22" not in page
    token = find_csrf_token(page)
    answer = client.post("/releases/package", data={"csrf_token": token,
                                                    "case": high.case_number})
    names = zipfile.ZipFile(io.BytesIO(answer.get_data())).namelist()
    assert names == [f"{low.doc_number}.{k}" for k in ("pdf", "txt", "json")] + ["manifest.json"]
    # A selection naming the hidden release answers as for an unknown id.
    hidden = client.post("/releases/package", data={"csrf_token": token,
                                                    "release_id": [str(low.id), str(high.id)]})
    unknown = client.post("/releases/package", data={"csrf_token": token,
                                                     "release_id": [str(low.id), "99999"]})
    assert hidden.status_code == unknown.status_code == 404
    # A case whose only release is hidden is "no case", exactly like an unknown one.
    ready_cable(session, make_cable, team, "09PAGE24", level="CONFIDENTIAL")
    seen = client.get(f"/cables/09PAGE24/release?case=existing&case_number={alone.case_number}")
    never = client.get("/cables/09PAGE24/release?case=existing&case_number=F-2001-00077")
    assert seen.status_code == never.status_code == 422
    assert (seen.get_data(as_text=True).replace(alone.case_number, "X")
            .split('id="csrf')[0].count("no case X")) == 1
    case_answer = client.post("/releases/package", data={"csrf_token": token,
                                                         "case": alone.case_number})
    assert case_answer.status_code == 422
    bad = client.post("/releases/package", data={"csrf_token": token, "release_id": ["x1"]})
    assert bad.status_code == 422
