"""Review actions answered in place (htmx fragments), through the test client.

The same routes answer an htmx request (``HX-Request: true``) with out-of-band fragments of
the review page instead of a redirect. The attacker's view first: the header changes the
form of the answer, never a check (CSRF, login, clearance, role, version); a fragment about
a hidden cable or redaction reads exactly as one about an unknown one. Then what the
reviewer sees: the parts changed, the status message, a refused proposal kept with its
error by the field, duplicates refused and overlaps asked about.
"""

from __future__ import annotations

import html
import re

import pytest

from redactor.models import PortionReview, RedactionStatus
from redactor.review.policy import Level, Role
from tests import test_review_pages as base
from tests.fixtures_accounts import find_csrf_token
from tests.test_review_pages import REF, counts, propose, redaction, span_of

HX = {"HX-Request": "true"}


@pytest.fixture
def cable(session, make_cable):
    """The review pages' cable (tests.test_review_pages)."""
    made = make_cable(REF, "CONFIDENTIAL", body=base.BODY, subject="MEETING WITH MINISTER")
    session.commit()
    return made


@pytest.fixture
def people(app, make_user, login):
    """The review pages' clients: rita, rick (reviewers), anna (approver), aud (auditor),
    low (reviewer and approver cleared for UNCLASSIFIED only)."""
    specs = {
        "rita": ([Role.REVIEWER], Level.SECRET),
        "rick": ([Role.REVIEWER], Level.SECRET),
        "anna": ([Role.APPROVER], Level.SECRET),
        "aud": ([Role.AUDITOR], Level.SECRET),
        "low": ([Role.REVIEWER, Role.APPROVER], Level.UNCLASSIFIED),
    }
    clients = {}
    for name, (roles, clearance) in specs.items():
        _user, password = make_user(name, roles=roles, clearance=clearance)
        client = app.test_client()
        login(client, name, password)
        clients[name] = client
    return clients


def token(client, page: str = f"/cables/{REF}") -> str:
    return find_csrf_token(client.get(page).get_data(as_text=True))


def hx_post(client, url: str, data: dict, *, csrf: bool = True, headers: dict | None = None):
    form = dict(data)
    if csrf:
        form["csrf_token"] = token(client)
    return client.post(url, data=form, headers={**HX, **(headers or {})})


def is_fragment(response) -> bool:
    body = response.get_data(as_text=True)
    return response.headers.get("X-Redactor-Fragment") == "1" and "<html" not in body


def status_text(response) -> str:
    body = response.get_data(as_text=True)
    found = re.search(r'<div id="review-status" hx-swap-oob="innerHTML">(.*?)</div>', body, re.S)
    assert found, body[:500]
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


# --------------------------------------------------------------------------- the attacker


def test_a_fragment_post_without_csrf_is_refused_and_changes_nothing(session, cable, people):
    before = counts(session)
    response = hx_post(people["rita"], f"/cables/{REF}/portions/0/reviewed", {}, csrf=False)
    assert response.status_code == 400
    assert is_fragment(response)  # a message in place, never a raw page inside the page
    assert "security token" in status_text(response)
    assert counts(session) == before


def test_a_fragment_for_a_hidden_cable_reads_as_one_for_an_unknown_cable(session, cable, people):
    low = people["low"]  # cleared for UNCLASSIFIED: the CONFIDENTIAL cable does not exist
    csrf = token(low, "/cables")
    answers = []
    for reference in (REF, "09NOSUCH1"):
        response = low.post(f"/cables/{reference}/portions/0/reviewed",
                            data={"csrf_token": csrf}, headers=HX)
        answers.append((response.status_code, response.get_data(as_text=True),
                        response.headers.get("X-Redactor-Fragment")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404 and answers[0][2] == "1"
    assert REF not in answers[0][1]
    assert session.query(PortionReview).count() == 0


def test_a_fragment_for_a_hidden_redaction_reads_as_one_for_an_unknown_id(session, cable, people):
    made = propose(session, people["rita"])
    low = people["low"]
    csrf = token(low, "/cables")
    answers = []
    for rid in (made.id, 987654):
        response = low.post(f"/redactions/{rid}/approve",
                            data={"csrf_token": csrf, "row_version": made.row_version},
                            headers=HX)
        body = response.get_data(as_text=True).replace(str(rid), "ID")
        answers.append((response.status_code, body))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404
    assert redaction(session, made.id).status is RedactionStatus.PENDING


def test_hx_headers_bypass_no_role_or_two_person_check(session, cable, people):
    made = propose(session, people["rita"])
    before = counts(session)
    # The auditor may not mark, the proposer may not approve her own: HX or not.
    extra = {"HX-Boosted": "true", "HX-Target": "redaction-1", "HX-Current-URL": "/"}
    response = hx_post(people["aud"], f"/cables/{REF}/portions/0/reviewed", {}, headers=extra)
    assert response.status_code == 403 and is_fragment(response)
    response = hx_post(people["rita"], f"/redactions/{made.id}/approve",
                       {"row_version": made.row_version}, headers=extra)
    assert response.status_code == 403 and is_fragment(response)
    assert counts(session) == before
    assert redaction(session, made.id).status is RedactionStatus.PENDING


def test_a_stale_decision_in_place_is_a_409_with_a_message_and_changes_nothing(
    session, cable, people
):
    made = propose(session, people["rita"])
    before = counts(session)
    response = hx_post(people["anna"], f"/redactions/{made.id}/approve",
                       {"row_version": made.row_version + 5, "back": f"/cables/{REF}"})
    assert response.status_code == 409 and is_fragment(response)
    assert "Someone changed this" in status_text(response)
    assert f'href="/cables/{REF}"' in response.get_data(as_text=True)  # reload link
    assert counts(session) == before


def test_an_invalid_action_in_place_is_a_422_message(session, cable, people):
    made = propose(session, people["rita"])
    response = hx_post(people["anna"], f"/redactions/{made.id}/reject",
                       {"row_version": made.row_version, "reason": "  "})
    assert response.status_code == 422 and is_fragment(response)
    assert "reason" in status_text(response)
    assert redaction(session, made.id).status is RedactionStatus.PENDING


# --------------------------------------------------------------------------- in place


def test_mark_reviewed_in_place_answers_the_changed_portion_and_the_summary(session, cable,
                                                                           people):
    response = hx_post(people["rita"], f"/cables/{REF}/portions/1/reviewed", {})
    assert response.status_code == 200 and is_fragment(response)
    body = response.get_data(as_text=True)
    assert re.search(r'<section class="portion[^"]*portion-reviewed" id="portion-1"[^>]*'
                     r'hx-swap-oob="true"', body)
    assert 'id="portion-0"' not in body  # only what changed
    assert 'id="review-summary" hx-swap-oob="true"' in body and "1 reviewed" in body
    assert 'id="status-steps"' in body and 'id="release-slot"' in body
    assert status_text(response) == "Paragraph 2 marked reviewed."
    assert response.headers["X-Redactor-Focus"] == "portion-1"
    assert session.query(PortionReview).count() == 1


def test_approve_in_place_answers_the_card_and_keeps_the_plain_redirect(session, cable, people):
    made = propose(session, people["rita"])
    response = hx_post(people["anna"], f"/redactions/{made.id}/approve",
                       {"row_version": made.row_version})
    assert response.status_code == 200 and is_fragment(response)
    body = response.get_data(as_text=True)
    assert re.search(rf'id="redaction-{made.id}"', body) and "state-approved" in body
    assert response.headers["X-Redactor-Focus"] == f"redaction-{made.id}"
    assert redaction(session, made.id).status is RedactionStatus.APPROVED
    # Without HX-Request the same route still redirects (the page without JavaScript).
    second = propose(session, people["rita"], needle="Tuesday")
    response = people["anna"].post(f"/redactions/{second.id}/approve", data={
        "row_version": second.row_version, "csrf_token": token(people["anna"])})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#redaction-{second.id}")


def test_comment_withdraw_and_reject_in_place(session, cable, people):
    made = propose(session, people["rita"])
    response = hx_post(people["anna"], f"/redactions/{made.id}/comments", {"body": "Why?"})
    assert response.status_code == 200 and "Why?" in response.get_data(as_text=True)
    other = propose(session, people["rita"], needle="Tuesday")
    response = hx_post(people["anna"], f"/redactions/{other.id}/reject",
                       {"row_version": other.row_version, "reason": "Public."})
    assert response.status_code == 200 and "state-rejected" in response.get_data(as_text=True)
    fresh = redaction(session, made.id)
    response = hx_post(people["rita"], f"/redactions/{made.id}/withdraw",
                       {"row_version": fresh.row_version})
    assert response.status_code == 200 and status_text(response) == "Proposal withdrawn."
    assert redaction(session, made.id).status is RedactionStatus.WITHDRAWN


def test_a_proposal_in_place_empties_the_form_and_shows_the_new_card(session, cable, people):
    start, end = span_of(session, "Perez")
    response = hx_post(people["rita"], f"/cables/{REF}/redactions",
                       {"start": start, "end": end, "codes": ["B6"], "rationale": "a name"})
    assert response.status_code == 200 and is_fragment(response)
    made = redaction(session)
    body = response.get_data(as_text=True)
    assert f'id="redaction-{made.id}"' in body
    assert '<section id="propose" class="propose-panel" tabindex="-1" hx-swap-oob="true">' in body
    assert re.search(r'id="propose-rationale"[^>]*></textarea>', body)  # emptied for the next
    assert response.headers["X-Redactor-Focus"] == f"redaction-{made.id}"


# --------------------------------------------------------------------------- the form kept


HOSTILE = "</textarea><script>alert(1)</script>"


def test_an_invalid_proposal_in_place_keeps_the_form_with_the_error_by_the_codes(
    session, cable, people
):
    start, end = span_of(session, "Perez")
    before = counts(session)
    response = hx_post(people["rita"], f"/cables/{REF}/redactions",
                       {"start": start, "end": end, "codes": ["B1"], "rationale": HOSTILE})
    assert response.status_code == 422 and is_fragment(response)
    body = response.get_data(as_text=True)
    assert "<script>alert" not in body and html.escape(HOSTILE) in body  # kept, escaped
    assert 'value="B1" checked' in body
    assert f'value="{start}"' in body and f'value="{end}"' in body
    assert re.search(r'<p class="field-error" id="propose-codes-error">[^<]*1\.4 category', body)
    assert "Kept your selection: “Perez”" in body
    assert counts(session) == before


def test_b3_without_statute_keeps_the_form_in_the_full_page_fallback(session, cable, people):
    start, end = span_of(session, "Perez")
    response = people["rita"].post(f"/cables/{REF}/redactions", data={
        "start": start, "end": end, "codes": ["B3", "B6"], "rationale": "a statute",
        "csrf_token": token(people["rita"]),
    })
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" in body and 'id="portion-0"' in body  # the review page itself
    assert 'value="B3" checked' in body and 'value="B6" checked' in body
    assert "a statute</textarea>" in body
    assert 'id="propose-codes-error"' in body and "statute" in body


def test_no_selection_is_an_error_by_the_offsets(session, cable, people):
    response = hx_post(people["rita"], f"/cables/{REF}/redactions",
                       {"start": "", "end": "", "codes": ["B6"], "rationale": "kept"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="propose-span-error"' in body and "select the text" in body
    assert "kept</textarea>" in body


# --------------------------------------------------------------------------- conflicts


def test_an_exact_duplicate_is_refused_naming_the_existing_proposal(session, cable, people):
    made = propose(session, people["rita"])
    start, end = span_of(session, "Perez")
    before = counts(session)
    for client in (people["rick"], people["rita"]):
        response = hx_post(client, f"/cables/{REF}/redactions",
                           {"start": start, "end": end, "codes": ["B7(C)"], "confirm": made.id})
        assert response.status_code == 409
        body = response.get_data(as_text=True)
        assert f'href="#redaction-{made.id}">#{made.id}</a>' in body
        assert "already proposed" in body and 'id="propose-anyway"' not in body
    assert counts(session) == before


def test_an_overlap_is_asked_about_and_goes_through_once_confirmed(session, cable, people):
    made = propose(session, people["rita"], needle="Minister Perez")
    start, end = span_of(session, "Perez met")
    data = {"start": start, "end": end, "codes": ["B6"], "rationale": "the name again"}
    before = counts(session)
    response = hx_post(people["rick"], f"/cables/{REF}/redactions", data)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert f"#{made.id}</a> B6, pending, by rita" in body
    assert f'name="confirm" value="{made.id}"' in body
    assert "the name again</textarea>" in body
    assert counts(session) == before
    # A confirmation of something else confirms nothing.
    response = hx_post(people["rick"], f"/cables/{REF}/redactions", {**data, "confirm": "1x,99"})
    assert response.status_code == 409
    response = hx_post(people["rick"], f"/cables/{REF}/redactions", {**data, "confirm": made.id})
    assert response.status_code == 200
    assert redaction(session).start == start


def test_withholding_a_portion_over_a_proposal_asks_first_in_the_full_page(session, cable,
                                                                           people):
    made = propose(session, people["rita"])
    response = people["rick"].post(f"/cables/{REF}/withhold", data={
        "portion": "0", "codes": ["B6"], "csrf_token": token(people["rick"])})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "<html" in body and f"#redaction-{made.id}" in body
    assert f'formaction="/cables/{REF}/withhold"' in body  # "Propose anyway" withholds
    response = people["rick"].post(f"/cables/{REF}/withhold", data={
        "portion": "0", "codes": ["B6"], "confirm": str(made.id),
        "csrf_token": token(people["rick"])})
    assert response.status_code == 302


def test_a_proposal_on_a_header_field_answers_the_header(session, cable, people):
    start, end = span_of(session, "MINISTER")  # in the subject line, outside every portion
    response = hx_post(people["rita"], f"/cables/{REF}/redactions",
                       {"start": start, "end": end, "codes": ["B6"]})
    assert response.status_code == 200, status_text(response)
    body = response.get_data(as_text=True)
    made = redaction(session)
    assert made.portion_index is None
    assert re.search(r'<section class="header-panel"[^>]*id="header" hx-swap-oob="true"', body)
    assert f'id="redaction-{made.id}"' in body and 'id="portion-0"' not in body
    response = hx_post(people["anna"], f"/redactions/{made.id}/approve",
                       {"row_version": made.row_version})
    assert response.status_code == 200 and 'id="header" hx-swap-oob="true"' in \
        response.get_data(as_text=True)
