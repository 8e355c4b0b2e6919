"""The two-person rule, both ways, as an attacker meets it: what a proposer and one approver
agreed to hide, one person alone can never show again, and an approval short of the number
configured never lets a release through.

Each test is an attempt through the running app (the JSON API with bearer tokens, or the
browser's forms with a logged-in session and CSRF tokens), and each fails on the code before
the fix: there, raising ``APPROVALS_REQUIRED`` released an approved name in full, and the
proposer could edit an approved redaction back to pending and withdraw it (or have a change
rejected) so that the release printed the name.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from redactor.models import Redaction, RedactionStatus, Release
from redactor.review.policy import Role
from tests.fixtures_accounts import find_csrf_token
from tests.test_api_support import BODY, Api, api_factory, issue_token, offsets_of

CABLE = "09TWOPERSON1"
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
def crew(app, session, make_api, make_user):
    """A proposer, two approvers and a release authority, each with a token of their own
    (the proposer's password in ``crew["password"]``, for the browser's forms)."""
    user, password = make_user("tp-rita", roles=(Role.REVIEWER,))
    return {
        "password": password,
        "proposer": Api(app.test_client(), issue_token(session, user), user),
        "approver": make_api("tp-arne", roles=(Role.APPROVER,)),
        "second": make_api("tp-anja", roles=(Role.APPROVER,)),
        "authority": make_api("tp-rolf", roles=(Role.RELEASE_AUTHORITY,)),
    }


def _approved_name(crew) -> dict:
    """The proposer proposes hiding NAME (B6), the approver approves it, and every portion
    is marked reviewed: the cable is ready with NAME approved to be hidden."""
    proposer = crew["proposer"]
    detail = proposer.get(f"/api/v1/cables/{CABLE}").get_json()
    start, end = offsets_of(detail["text"], NAME)
    made = proposer.post(
        f"/api/v1/cables/{CABLE}/redactions", json={"start": start, "end": end, "codes": ["B6"]}
    )
    assert made.status_code == 201, made.get_json()
    made = made.get_json()
    approved = crew["approver"].post(
        f"/api/v1/redactions/{made['id']}/approve", json={"version": made["row_version"]}
    )
    assert approved.get_json()["status"] == "approved", approved.get_json()
    for portion in detail["portions"]:
        marked = proposer.post(f"/api/v1/cables/{CABLE}/portions/{portion['index']}/review")
        assert marked.status_code == 200, marked.get_json()
    return approved.get_json()


def _release_text(crew):
    """Try to release the cable; the released text, or None if the release was refused."""
    authority = crew["authority"]
    released = authority.post(f"/api/v1/cables/{CABLE}/releases", json={})
    if released.status_code != 201:
        assert released.status_code == 409, released.get_json()
        return None
    release_id = released.get_json()["id"]
    return authority.get(f"/api/v1/releases/{release_id}/artifacts/txt").get_data(as_text=True)


def _status(session, redaction_id: int) -> RedactionStatus:
    status = session.scalar(select(Redaction.status).where(Redaction.id == redaction_id))
    session.rollback()  # on SQLite a read holds the lock the next request needs
    return status


# --------------------------------------------------------------------------- #4: the setting


def test_raising_the_required_approvals_does_not_release_what_was_approved_hidden(
    app, session, cable, crew
):
    approved = _approved_name(crew)
    app.config["APPROVALS_REQUIRED"] = 2  # raised after the approval was given
    seen = crew["second"].get(f"/api/v1/redactions/{approved['id']}/comments")
    assert seen.status_code == 200
    detail = crew["proposer"].get(f"/api/v1/cables/{CABLE}").get_json()
    (row,) = [r for r in detail["redactions"] if r["id"] == approved["id"]]
    assert row["effective_status"] == "awaiting" and row["approvals"] == 1
    # The release is refused, not printed "RELEASE IN FULL".
    assert _release_text(crew) is None
    assert session.scalar(select(Release.id)) is None
    session.rollback()
    # One approver cannot turn it into a rejection either (that would show the name).
    rejected = crew["second"].post(
        f"/api/v1/redactions/{approved['id']}/reject",
        json={"version": row["row_version"], "reason": "not needed"},
    )
    assert rejected.status_code == 409
    # The missing approval, from a second approver, lets the release through with NAME hidden.
    added = crew["second"].post(
        f"/api/v1/redactions/{approved['id']}/approve", json={"version": row["row_version"]}
    )
    assert added.status_code == 200, added.get_json()
    assert added.get_json()["approvals"] == 2
    text = _release_text(crew)
    assert text is not None and NAME not in text and "RELEASE IN PART" in text


def test_raising_the_required_approvals_keeps_the_name_hidden_and_queued(
    app, client, session, cable, crew, make_user, login
):
    approved = _approved_name(crew)
    app.config["APPROVALS_REQUIRED"] = 2
    _user, password = make_user("tp-page", roles=(Role.APPROVER,))
    login(client, "tp-page", password)
    preview = client.get(f"/cables/{CABLE}/preview").get_data(as_text=True)
    assert NAME not in preview
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert f"#{approved['id']}" in dashboard or f"redaction-{approved['id']}" in dashboard
    page = client.get(f"/cables/{CABLE}").get_data(as_text=True)
    assert "awaiting further approval" in page


# --------------------------------------------------------------------------- #9: removal


def test_the_proposer_cannot_edit_an_approved_redaction_away_and_withdraw_it(
    session, cable, crew
):
    approved = _approved_name(crew)
    proposer = crew["proposer"]
    path = f"/api/v1/redactions/{approved['id']}"
    shrunk = {"version": approved["row_version"], "end": approved["end"] - 1}
    edited = proposer.patch(path, json=shrunk)
    assert edited.status_code == 200, edited.get_json()
    change = edited.get_json()
    # The edit is a change of its own; the approved redaction stays approved and in force.
    assert change["id"] != approved["id"] and change["replaces_id"] == approved["id"]
    assert _status(session, approved["id"]) == RedactionStatus.APPROVED
    withdrawn = proposer.post(
        f"/api/v1/redactions/{change['id']}/withdraw", json={"version": change["row_version"]}
    )
    assert withdrawn.status_code == 200
    assert _status(session, approved["id"]) == RedactionStatus.APPROVED
    text = _release_text(crew)
    assert text is not None and NAME not in text


def test_the_proposer_cannot_withdraw_an_approved_redaction_alone(session, cable, crew):
    approved = _approved_name(crew)
    proposer = crew["proposer"]
    asked = proposer.post(
        f"/api/v1/redactions/{approved['id']}/withdraw", json={"version": approved["row_version"]}
    )
    assert asked.status_code == 200, asked.get_json()
    request = asked.get_json()
    assert request["withdraws"] is True and request["status"] == "pending"
    assert _status(session, approved["id"]) == RedactionStatus.APPROVED
    # Not on their own word: the proposer may not approve the request...
    own = proposer.post(
        f"/api/v1/redactions/{request['id']}/approve", json={"version": request["row_version"]}
    )
    assert own.status_code == 403
    # ...and the release waits for a decision on it.
    assert _release_text(crew) is None
    # A second person approves the withdrawal: then, and only then, the name is shown.
    agreed = crew["second"].post(
        f"/api/v1/redactions/{request['id']}/approve", json={"version": request["row_version"]}
    )
    assert agreed.status_code == 200, agreed.get_json()
    assert _status(session, approved["id"]) == RedactionStatus.WITHDRAWN
    text = _release_text(crew)
    assert text is not None and NAME in text


def test_a_rejected_change_leaves_the_approved_redaction_in_force(session, cable, crew):
    approved = _approved_name(crew)
    edited = crew["proposer"].patch(
        f"/api/v1/redactions/{approved['id']}",
        json={"version": approved["row_version"], "codes": ["B1", "1.4(D)"]},
    )
    change = edited.get_json()
    rejected = crew["second"].post(
        f"/api/v1/redactions/{change['id']}/reject",
        json={"version": change["row_version"], "reason": "B6 is right"},
    )
    assert rejected.status_code == 200
    assert _status(session, approved["id"]) == RedactionStatus.APPROVED
    text = _release_text(crew)
    assert text is not None and NAME not in text


def test_the_browser_forms_cannot_undo_an_approved_redaction_either(
    client, session, cable, crew, login
):
    approved = _approved_name(crew)
    login(client, "tp-rita", crew["password"])
    page = client.get(f"/cables/{CABLE}").get_data(as_text=True)
    token = find_csrf_token(page)
    row_version = session.scalar(
        select(Redaction.row_version).where(Redaction.id == approved["id"])
    )
    session.rollback()
    edited = client.post(
        f"/redactions/{approved['id']}/edit",
        data={
            "csrf_token": token,
            "row_version": row_version,
            "start": approved["start"],
            "end": approved["end"] - 1,
            "codes_text": "B6",
        },
    )
    assert edited.status_code == 302
    change_id = session.scalar(select(Redaction.id).where(Redaction.replaces_id == approved["id"]))
    change_version = session.scalar(
        select(Redaction.row_version).where(Redaction.id == change_id)
    )
    session.rollback()
    client.post(
        f"/redactions/{change_id}/withdraw",
        data={"csrf_token": token, "row_version": change_version},
    )
    asked = client.post(
        f"/redactions/{approved['id']}/withdraw",
        data={"csrf_token": token, "row_version": row_version + 1},
    )
    assert asked.status_code == 302
    assert _status(session, approved["id"]) == RedactionStatus.APPROVED
    assert NAME not in client.get(f"/cables/{CABLE}/preview").get_data(as_text=True)
