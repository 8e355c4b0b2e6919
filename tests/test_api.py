"""The JSON API endpoint by endpoint: authentication, roles, clearance, bad input, conflicts.

The whole workflow through the API alone is in ``test_api_workflow.py``; generated requests
from the OpenAPI description in ``test_api_fuzz.py``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from redactor.models import ApiToken, AuditEntry, Cable, Redaction, RedactionStatus, Release
from redactor.review.policy import Level, Role
from tests.test_api_support import BODY, api_factory, error_code, issue_token, offsets_of

CABLE = "09APITEST1"
NAME = "QZJNAMEONE"


@pytest.fixture
def make_api(app, session, make_user):
    return api_factory(app, session, make_user)


@pytest.fixture
def cable(make_cable, session):
    made = make_cable(CABLE, "CONFIDENTIAL", body=BODY)
    session.commit()
    return made


@pytest.fixture
def reviewer(make_api):
    return make_api("rita", roles=(Role.REVIEWER,))


@pytest.fixture
def approver(make_api):
    return make_api("arne", roles=(Role.APPROVER,))


def audit_count(session) -> int:
    count = session.scalar(select(func.count()).select_from(AuditEntry))
    session.rollback()  # on SQLite a read holds the write lock the next request needs
    return count


def propose_name(api, reference_id: str = CABLE, **extra):
    text = api.get(f"/api/v1/cables/{reference_id}").get_json()["text"]
    start, end = offsets_of(text, NAME)
    return api.post(
        f"/api/v1/cables/{reference_id}/redactions",
        json={"start": start, "end": end, "codes": ["B6"], **extra},
    )


# --------------------------------------------------------------------------- authentication


def test_a_session_cookie_alone_does_not_authenticate_the_api(
    client, make_user, login, cable, session
):
    _user, password = make_user("cookie", roles=list(Role), clearance=Level.TOP_SECRET)
    login(client, "cookie", password)
    assert client.get("/cables").status_code == 200  # the cookie works for pages
    before = audit_count(session)
    listed = client.get("/api/v1/cables")
    assert listed.status_code == 401 and error_code(listed) == "unauthorized"
    assert "Bearer" in listed.headers["WWW-Authenticate"]
    proposed = client.post(
        f"/api/v1/cables/{CABLE}/redactions", json={"start": 1, "end": 2, "codes": ["B6"]}
    )
    assert proposed.status_code == 401
    assert audit_count(session) == before


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer rdk_unknown", "Bearer nope",
     "Bearer rdk_" + "x" * 500, "Token rdk_abc"],
)
def test_missing_or_unknown_tokens_get_401(client, cable, header):
    headers = {} if header is None else {"Authorization": header}
    response = client.get("/api/v1/cables", headers=headers)
    assert response.status_code == 401
    assert error_code(response) in {"unauthorized", "invalid_token"}


def test_a_revoked_token_gets_401(reviewer, session, cable):
    assert reviewer.get("/api/v1/cables").status_code == 200
    session.execute(update(ApiToken).values(revoked_at=datetime.now(UTC)))
    session.commit()
    response = reviewer.get("/api/v1/cables")
    assert response.status_code == 401 and error_code(response) == "invalid_token"


def test_an_expired_token_gets_401(reviewer, session, cable):
    session.execute(update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    session.commit()
    assert reviewer.get("/api/v1/cables").status_code == 401


def test_a_deactivated_users_token_gets_401(reviewer, session, cable):
    from redactor.accounts import service as accounts

    accounts.set_active(session, None, session.merge(reviewer.user), False)
    session.commit()
    assert reviewer.get("/api/v1/cables").status_code == 401


def test_a_token_records_when_it_was_last_used(reviewer, session, cable):
    assert reviewer.get("/api/v1/cables").status_code == 200
    assert session.scalar(select(ApiToken.last_used_at)) is not None


def test_the_openapi_description_is_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.get_json()["openapi"].startswith("3.")


def test_unknown_paths_and_methods_under_the_api_answer_in_the_api_error_shape(reviewer):
    missing = reviewer.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and error_code(missing) == "not_found"
    wrong = reviewer.client.delete("/api/v1/cables", headers=reviewer._headers())
    assert wrong.status_code == 405 and error_code(wrong) == "method_not_allowed"
    assert {"GET", "POST"} <= set(wrong.headers["Allow"].split(", "))
    assert missing.get_json()["error"]["message"] == "There is nothing here, or you may not see it."
    artifact = reviewer.get("/api/v1/releases/1/artifacts/exe")
    assert artifact.status_code == 404 and error_code(artifact) == "not_found"


# --------------------------------------------------------------------------- cables


def test_the_list_shows_only_cables_within_clearance(make_api, make_cable, session):
    for n, classification in enumerate(["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"]):
        make_cable(f"09LEVEL{n}", classification, subject=f"LEVEL WORD{n}")
    session.commit()
    low = make_api("low", clearance=Level.CONFIDENTIAL)
    page = low.get("/api/v1/cables?limit=100").get_json()
    assert sorted(item["reference_id"] for item in page["items"]) == ["09LEVEL0", "09LEVEL1"]
    assert page["total"] == 2
    searched = low.get("/api/v1/cables?q=word3").get_json()
    assert searched["items"] == [] and searched["total"] == 0
    top = make_api("top", clearance=Level.TOP_SECRET)
    assert top.get("/api/v1/cables?q=word3").get_json()["total"] == 1
    assert top.get("/api/v1/cables?level=SECRET").get_json()["items"][0]["reference_id"] == (
        "09LEVEL2"
    )


def test_the_cursor_walks_every_page_once(make_api, make_cable, session):
    for n in range(5):
        make_cable(f"09PAGE{n}", "UNCLASSIFIED")
    session.commit()
    api = make_api("pager")
    seen, cursor = [], None
    while True:
        path = "/api/v1/cables?limit=2&sort=reference" + (f"&cursor={cursor}" if cursor else "")
        page = api.get(path).get_json()
        seen += [item["reference_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"09PAGE{n}" for n in range(5)]


@pytest.mark.parametrize(
    "query",
    ["cursor=garbage", "cursor=eyJrIjoiYXVkaXQiLCJ2IjoxfQ", "limit=0", "limit=101", "limit=x",
     "limit=-1", "level=SECRETISH", "status=nope", "sort=evil", "created_from=2009-13-01",
     "created_to=tomorrow", "q=" + "x" * 201, "origin=%00", "created_to=9999-12-31"],
)
def test_bad_list_arguments_are_400(reviewer, cable, query):
    response = reviewer.get(f"/api/v1/cables?{query}")
    assert response.status_code == 400, query
    assert error_code(response) == "bad_request"


def test_a_cable_shows_portions_offsets_and_redactions(reviewer, approver, cable):
    made = propose_name(reviewer).get_json()
    data = reviewer.get(f"/api/v1/cables/{CABLE}").get_json()
    assert data["reference_id"] == CABLE and data["level"] == "CONFIDENTIAL"
    assert [p["marking"] for p in data["portions"] if p["kind"] == "portion"] == ["(C)", "(C)"]
    first = data["portions"][0]
    assert data["text"][first["start"] : first["end"]].startswith("1. (C) Summary")
    assert [r["id"] for r in data["redactions"]] == [made["id"]]
    assert data["text"][made["start"] : made["end"]] == NAME
    assert data["versions"][0]["number"] == 1 and data["current_version"] == 1


def test_viewing_a_classified_cable_is_audited_as_on_the_page(reviewer, cable, session):
    before = audit_count(session)
    reviewer.get(f"/api/v1/cables/{CABLE}")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.seq > before)).one()
    session.rollback()
    cable_id = session.scalar(select(Cable.id).where(Cable.reference_id == CABLE))
    assert (entry.action, entry.actor_name, entry.object_id) == ("cable.view", "rita",
                                                                 str(cable_id))


# --------------------------------------------------------------------------- clearance


def _hidden_world(make_cable, session, make_user):
    """A SECRET cable with a pending proposal, a comment and a (stand-in) release."""
    from redactor.models import ReleaseArtifact
    from redactor.redaction import service as redactions

    secret = make_cable("09HIDDEN1", "SECRET", subject="QZJHIDDENWORD", body=BODY.replace(
        "(C)", "(S)"))
    proposer, _ = make_user("hidden-proposer", roles=(Role.REVIEWER,))
    text = secret.versions[-1].text
    start, end = offsets_of(text, NAME)
    made = redactions.propose(session, proposer, secret, start=start, end=end, codes=["B6"])
    redactions.comment(session, proposer, made, "QZJHIDDENCOMMENT")
    release = Release(
        cable_id=secret.id, version_id=secret.versions[-1].id, case_number="F-2099-00001",
        doc_number="C99000001", disposition="RELEASED IN PART", released_by_id=proposer.id,
        record={},
    )
    session.add(release)
    session.flush()
    session.add(ReleaseArtifact(release_id=release.id, name="txt", media_type="text/plain",
                                sha256="0" * 64, size=13, data=b"QZJHIDDENWORD"))
    session.commit()
    return made.id, release.id


def test_everything_above_the_callers_clearance_answers_exactly_as_unknown(
    make_api, make_cable, make_user, session
):
    redaction_id, release_id = _hidden_world(make_cable, session, make_user)
    low = make_api("low-all", roles=tuple(Role), clearance=Level.CONFIDENTIAL)
    cases = [
        ("get", "/api/v1/cables/{ref}", None),
        ("get", "/api/v1/cables/{ref}/diff", None),
        ("get", "/api/v1/cables/{ref}/diff?from=1&to=1", None),
        ("post", "/api/v1/cables/{ref}/redactions", {"start": 1, "end": 2, "codes": ["B6"]}),
        ("post", "/api/v1/cables/{ref}/portions/0/review", None),
        ("post", "/api/v1/cables/{ref}/releases", {}),
        ("get", "/api/v1/redactions/{rid}/comments", None),
        ("post", "/api/v1/redactions/{rid}/comments", {"body": "hello"}),
        ("post", "/api/v1/redactions/{rid}/approve", {"version": 1}),
        ("post", "/api/v1/redactions/{rid}/reject", {"version": 1, "reason": "no"}),
        ("post", "/api/v1/redactions/{rid}/withdraw", {"version": 1}),
        ("patch", "/api/v1/redactions/{rid}", {"version": 1, "codes": ["B7(C)"]}),
        ("get", "/api/v1/releases/{lid}", None),
        ("get", "/api/v1/releases/{lid}/artifacts/txt", None),
    ]
    before = audit_count(session)
    for method, template, payload in cases:
        answers = []
        for ref, rid, lid in (("09HIDDEN1", redaction_id, release_id),
                              ("09NOSUCH1", 987654, 987654)):
            path = template.format(ref=ref, rid=rid, lid=lid)
            response = getattr(low, method)(path, json=payload) if payload is not None else (
                getattr(low, method)(path))
            text = response.get_data(as_text=True)
            assert "QZJHIDDEN" not in text and "09HIDDEN1" not in text, path
            answers.append((response.status_code, response.get_json()))
        assert answers[0] == answers[1], template
        assert answers[0][0] == 404, template
    # Each refused request is on record (issue 13), but as nothing the caller can read.
    refused = session.scalars(select(AuditEntry).where(AuditEntry.seq > before)).all()
    session.rollback()
    assert {entry.action for entry in refused} == {"access.not_found"}
    assert len(refused) == 2 * len(cases)
    hidden_list = low.get("/api/v1/cables?q=QZJHIDDENWORD").get_json()
    assert hidden_list["total"] == 0


def test_the_audit_log_withholds_entries_about_cables_above_clearance(
    make_api, make_cable, make_user, session
):
    # Changed with issue 13 (#7): such entries are left out, not listed "(withheld)".
    _hidden_world(make_cable, session, make_user)
    auditor = make_api("audrey", roles=(Role.AUDITOR,), clearance=Level.CONFIDENTIAL)
    response = auditor.get("/api/v1/audit?limit=200")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "QZJHIDDEN" not in text and "09HIDDEN1" not in text
    assert all(not item["action"].startswith("redaction.") for item in response.get_json()["items"])
    found = auditor.get("/api/v1/audit?object=09HIDDEN1").get_json()
    assert found["items"] == []


# --------------------------------------------------------------------------- import


def test_reviewers_import_cables_and_get_a_report_per_file(reviewer, session):
    from tests.fixtures_store import cable_text

    payload = {"cables": [
        {"name": "good.txt", "text": cable_text("09IMPORT1", "SECRET")},
        {"name": "bad.txt", "text": "no reference id here\n"},
        {"name": "nul.txt", "text": cable_text("09IMPORT2", "SECRET") + "\x00"},
        {"name": "surrogate.txt", "text": cable_text("09IMPORT3", "SECRET") + "\udc80"},
    ]}
    response = reviewer.post("/api/v1/cables", json=payload)
    assert response.status_code == 200
    report = response.get_json()
    assert report["ok"] is False
    assert report["summary"] == {"imported": 1, "unchanged": 0, "new_version": 0, "failed": 3}
    assert [f["status"] for f in report["files"]] == ["imported", "failed", "failed", "failed"]
    assert report["files"][1]["error"].startswith("bad.txt: line 1")
    again = reviewer.post("/api/v1/cables", json={"cables": payload["cables"][:1]}).get_json()
    assert again["files"][0]["status"] == "unchanged" and again["ok"] is True
    assert reviewer.get("/api/v1/cables/09IMPORT1").status_code == 200


def test_only_importers_import(approver, session):
    from tests.fixtures_store import cable_text

    response = approver.post(
        "/api/v1/cables", json={"cables": [{"name": "a.txt", "text": cable_text("09NOPE1")}]}
    )
    assert response.status_code == 403 and error_code(response) == "forbidden"
    assert approver.get("/api/v1/cables").get_json()["total"] == 0


@pytest.mark.parametrize(
    "payload",
    [[], {"cables": []}, {"cables": "x"}, {"cables": [1]}, {"cables": [{"name": "a"}]},
     {"cables": [{"name": 1, "text": "x"}]}, {"cables": [{"name": "a", "text": None}]},
     {"cables": [{"name": "a", "text": "x", "extra": 1}]}, {"files": []}, None, 3.5],
)
def test_malformed_imports_are_400(reviewer, payload):
    response = reviewer.post("/api/v1/cables", data=json.dumps(payload),
                             headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and error_code(response) == "bad_request"


def test_an_import_over_the_size_limit_is_413(app, reviewer):
    app.config["MAX_CONTENT_LENGTH"] = 2000
    response = reviewer.post(
        "/api/v1/cables", json={"cables": [{"name": "big.txt", "text": "x" * 5000}]}
    )
    assert response.status_code == 413 and error_code(response) == "request_entity_too_large"


# --------------------------------------------------------------------------- proposing


def test_reviewers_propose_and_others_may_not(reviewer, approver, make_api, cable, session):
    made = propose_name(reviewer, rationale="a private person")
    assert made.status_code == 201
    body = made.get_json()
    assert body["status"] == "pending" and body["codes"] == ["B6"] and body["row_version"] == 1
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "redaction.propose"))
    assert entry.one().actor_name == "rita"
    session.rollback()
    refused = propose_name(approver)
    assert refused.status_code == 403 and error_code(refused) == "forbidden"
    auditor = make_api("audi", roles=(Role.AUDITOR,))
    assert propose_name(auditor).status_code == 403


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"start": 1.0, "end": 5, "codes": ["B6"]}, 400),
        ({"start": "1", "end": 5, "codes": ["B6"]}, 400),
        ({"start": None, "end": 5, "codes": ["B6"]}, 400),
        ({"start": True, "end": 5, "codes": ["B6"]}, 400),
        ({"start": [1], "end": 5, "codes": ["B6"]}, 400),
        ({"end": 5, "codes": ["B6"]}, 400),
        ({"start": 1, "end": 5}, 400),
        ({"start": 1, "end": 5, "codes": "B6"}, 400),
        ({"start": 1, "end": 5, "codes": [6]}, 400),
        ({"start": 1, "end": 5, "codes": ["B6"], "rationale": 7}, 400),
        ({"start": 1, "end": 5, "codes": ["B6"], "extra": 1}, 400),
        ({"start": 1, "end": 5, "codes": ["B6"], "version": "1"}, 400),
        ({"start": 2**63, "end": 2**63 + 1, "codes": ["B6"]}, 422),
        ({"start": -1, "end": 5, "codes": ["B6"]}, 422),
        ({"start": 5, "end": 5, "codes": ["B6"]}, 422),
        ({"start": 6, "end": 5, "codes": ["B6"]}, 422),
        ({"start": 0, "end": 10**6, "codes": ["B6"]}, 422),
        # Lines 1 and 2 are regions of their own (a release prints them): not across both.
        ({"start": 0, "end": "LINE2", "codes": ["B6"]}, 422),
        ({"start": "BODY", "end": "BODY+5", "codes": ["NOPE"]}, 422),
        ({"start": "BODY", "end": "BODY+5", "codes": []}, 422),
        ({"start": "BODY", "end": "BODY+5", "codes": ["B6"], "rationale": "a\x00b"}, 422),
        ({"start": "BODY", "end": "BODY+5", "codes": ["B6"], "version": 2}, 409),
    ],
)
def test_bad_proposals_are_refused_with_the_right_status(reviewer, cable, session, payload, status):
    text = reviewer.get(f"/api/v1/cables/{CABLE}").get_json()["text"]
    body_at = text.index(NAME)
    payload = {
        key: (body_at + (5 if value == "BODY+5" else 0) if value in ("BODY", "BODY+5") else value)
        for key, value in payload.items()
    }
    if payload.get("end") == "LINE2":
        payload["end"] = text.index("\n") + 3
    response = reviewer.post(f"/api/v1/cables/{CABLE}/redactions", json=payload)
    assert response.status_code == status, response.get_json()
    error_code(response)
    assert session.scalar(select(func.count()).select_from(Redaction)) == 0
    session.rollback()


@pytest.mark.parametrize(
    "raw", [b"{", b"[1, 2]", b"null", b"\"text\"", b"\xff\xfe", b"[" * 100_000, b"1" * 5000]
)
def test_bodies_that_are_not_json_objects_are_400(reviewer, cable, raw):
    response = reviewer.post(
        f"/api/v1/cables/{CABLE}/redactions", data=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400 and error_code(response) == "bad_request"


# --------------------------------------------------------------------------- deciding


def test_the_proposer_can_never_approve_their_own_redaction(make_api, cable, session):
    both = make_api("both", roles=(Role.REVIEWER, Role.APPROVER))
    made = propose_name(both).get_json()
    response = both.post(f"/api/v1/redactions/{made['id']}/approve", json={"version": 1})
    assert response.status_code == 403 and "two-person" in response.get_json()["error"]["message"]
    rejected = both.post(
        f"/api/v1/redactions/{made['id']}/reject", json={"version": 1, "reason": "mine"}
    )
    assert rejected.status_code == 403
    assert session.get(Redaction, made["id"]).status == RedactionStatus.PENDING
    session.rollback()


def test_a_stale_version_is_409_and_changes_nothing(reviewer, approver, make_api, cable, session):
    made = propose_name(reviewer).get_json()
    stale = approver.post(f"/api/v1/redactions/{made['id']}/approve", json={"version": 7})
    assert stale.status_code == 409 and error_code(stale) == "stale_version"
    assert approver.post(
        f"/api/v1/redactions/{made['id']}/approve", json={"version": 1}
    ).status_code == 200
    second = make_api("second", roles=(Role.APPROVER,))
    again = second.post(f"/api/v1/redactions/{made['id']}/approve", json={"version": 1})
    assert again.status_code == 409 and error_code(again) == "stale_version"
    illegal = second.post(f"/api/v1/redactions/{made['id']}/approve", json={"version": 2})
    assert illegal.status_code == 409 and error_code(illegal) == "illegal_transition"
    decisions = session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "redaction.approve")
    )
    session.rollback()
    assert decisions == 1


@pytest.mark.parametrize(
    ("payload", "status"),
    [({}, 400), ({"version": 1.0}, 400), ({"version": "1"}, 400), ({"version": None}, 400),
     ({"version": 2**63}, 409), ({"version": -1}, 409), ({"version": 1, "x": 1}, 400)],
)
def test_bad_decisions_are_refused(reviewer, approver, cable, payload, status):
    made = propose_name(reviewer).get_json()
    response = approver.post(f"/api/v1/redactions/{made['id']}/approve", json=payload)
    assert response.status_code == status
    error_code(response)


def test_a_rejection_needs_a_reason(reviewer, approver, cable):
    made = propose_name(reviewer).get_json()
    path = f"/api/v1/redactions/{made['id']}/reject"
    assert approver.post(path, json={"version": 1}).status_code == 400
    assert approver.post(path, json={"version": 1, "reason": "   "}).status_code == 422
    done = approver.post(path, json={"version": 1, "reason": "public already"})
    assert done.status_code == 200 and done.get_json()["status"] == "rejected"
    assert done.get_json()["decisions"][0]["reason"] == "public already"


def test_only_the_proposer_withdraws_and_only_once(reviewer, make_api, cable):
    made = propose_name(reviewer).get_json()
    other = make_api("other-reviewer", roles=(Role.REVIEWER,))
    path = f"/api/v1/redactions/{made['id']}/withdraw"
    assert other.post(path, json={"version": 1}).status_code == 403
    done = reviewer.post(path, json={"version": 1})
    assert done.status_code == 200 and done.get_json()["status"] == "withdrawn"
    again = reviewer.post(path, json={"version": done.get_json()["row_version"]})
    assert again.status_code == 409 and error_code(again) == "illegal_transition"


def test_editing_the_span_of_an_approved_redaction_proposes_a_change(reviewer, approver, cable):
    # Formerly the edit voided the approval in place; now the approved redaction stays in
    # force and the edit is a pending change of its own (tests/security/test_two_person.py).
    made = propose_name(reviewer).get_json()
    approved = approver.post(f"/api/v1/redactions/{made['id']}/approve", json={"version": 1})
    assert approved.get_json()["status"] == "approved"
    path = f"/api/v1/redactions/{made['id']}"
    stale = reviewer.patch(path, json={"version": 1, "end": made["end"] - 1})
    assert stale.status_code == 409
    edited = reviewer.patch(path, json={"version": 2, "end": made["end"] - 1})
    assert edited.status_code == 200
    body = edited.get_json()
    assert body["status"] == "pending" and body["replaces_id"] == made["id"]
    assert body["approvals"] == 0 and body["end"] == made["end"] - 1
    again = reviewer.patch(path, json={"version": 3, "end": made["end"] - 2})
    assert again.status_code == 409 and error_code(again) == "illegal_transition"
    change = f"/api/v1/redactions/{body['id']}"
    assert approver.patch(change, json={"version": 1, "codes": ["B7(C)"]}).status_code == 403
    assert reviewer.patch(change, json={"version": 1, "codes": ["NOPE"]}).status_code == 422
    assert reviewer.patch(change, json={"version": 1, "start": "0"}).status_code == 400


def test_comments_are_listed_and_added_by_participants(reviewer, approver, make_api, cable):
    made = propose_name(reviewer).get_json()
    path = f"/api/v1/redactions/{made['id']}/comments"
    added = approver.post(path, json={"body": "Is this name public?"})
    assert added.status_code == 201 and added.get_json()["author"]["username"] == "arne"
    auditor = make_api("audit-only", roles=(Role.AUDITOR,))
    assert auditor.post(path, json={"body": "I only read"}).status_code == 403
    listed = auditor.get(path)
    assert [c["body"] for c in listed.get_json()["items"]] == ["Is this name public?"]
    assert approver.post(path, json={"body": ""}).status_code == 422
    assert approver.post(path, json={"body": ["x"]}).status_code == 400
    assert approver.get("/api/v1/redactions/99999999999/comments").status_code == 404


# --------------------------------------------------------------------------- review, release


def test_reviewers_mark_portions_and_others_may_not(reviewer, approver, cable):
    data = reviewer.get(f"/api/v1/cables/{CABLE}").get_json()
    index = data["portions"][0]["index"]
    path = f"/api/v1/cables/{CABLE}/portions/{index}/review"
    assert approver.post(path).status_code == 403
    done = reviewer.post(path)
    assert done.status_code == 200 and done.get_json()["portion_index"] == index
    assert reviewer.post(path).status_code == 200  # idempotent
    assert reviewer.post(f"/api/v1/cables/{CABLE}/portions/999/review").status_code == 404
    assert reviewer.post(f"/api/v1/cables/{CABLE}/portions/{2**40}/review").status_code == 404
    after = reviewer.get(f"/api/v1/cables/{CABLE}").get_json()
    assert after["portions"][0]["reviewed"] is True


def test_only_release_authorities_release_and_only_ready_cables(reviewer, make_api, cable):
    path = f"/api/v1/cables/{CABLE}/releases"
    assert reviewer.post(path, json={}).status_code == 403
    authority = make_api("rel", roles=(Role.RELEASE_AUTHORITY,))
    not_ready = authority.post(path, json={})
    assert not_ready.status_code == 409 and error_code(not_ready) == "illegal_transition"
    assert authority.post(path, json={"case_number": 5}).status_code == 400
    assert authority.post(path, json={"release_date": "yesterday"}).status_code == 422
    assert authority.get("/api/v1/releases/1").status_code == 404
    assert authority.get(f"/api/v1/releases/{2**40}").status_code == 404


# --------------------------------------------------------------------------- audit


def test_only_auditors_and_admins_read_and_verify_the_audit_record(reviewer, make_api, cable,
                                                                 session):
    assert reviewer.get("/api/v1/audit").status_code == 403
    assert reviewer.post("/api/v1/audit/verify").status_code == 403
    auditor = make_api("aud", roles=(Role.AUDITOR,))
    page = auditor.get("/api/v1/audit?limit=2").get_json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    older = auditor.get(f"/api/v1/audit?limit=2&cursor={page['next_cursor']}").get_json()
    assert older["items"][0]["seq"] < page["items"][-1]["seq"]
    verified = auditor.post("/api/v1/audit/verify")
    assert verified.status_code == 200 and verified.get_json()["ok"] is True
    newest = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
    session.rollback()
    assert (newest.action, newest.actor_name) == ("audit.verify", "aud")
    admin = make_api("adm", roles=(Role.ADMIN,))
    assert admin.get("/api/v1/audit?action=audit.verify").get_json()["items"][0]["actor_name"] == (
        "aud"
    )


def test_a_second_token_works_independently_of_the_first(reviewer, session, cable):
    second = issue_token(session, reviewer.user, "second")
    session.execute(update(ApiToken).where(ApiToken.name == "tests").values(
        revoked_at=datetime.now(UTC)))
    session.commit()
    assert reviewer.get("/api/v1/cables").status_code == 401
    response = reviewer.client.get("/api/v1/cables", headers={"Authorization": f"Bearer {second}"})
    assert response.status_code == 200
