"""The twins endpoints of the API: what the cable page shows of twins, and applying a
twin's decisions -- by token, with the cable page's rules.

Attackers: a CONFIDENTIAL reader whose cable has a SECRET twin (the twin is neither named
nor counted: the answer equals one for a portion without twins), the same reader asking to
apply the hidden twin's decisions (answered as for an unknown twin), a proposer approving
what was applied on their behalf, malformed bodies.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from redactor.models import Redaction
from redactor.redaction import service as redaction_service
from redactor.review.policy import Level, Role
from tests.test_api_support import api_factory, error_code
from tests.test_twins import NAME, OTHER, P1, P2

SECRET = "09ZQXAPTW1"  # the twin with the approved redaction, SECRET
COPY = "09ZQXAPTW2"  # CONFIDENTIAL, a copy of SECRET's first paragraph
ALONE = "09ZQXAPTW3"  # CONFIDENTIAL, no twin
OWN = (
    "2. (C) The delegation then visited the new desalination plant north of the capital, "
    "where engineers described delays in the delivery of membranes and pumps from abroad."
)

LONE = (
    "2. (C) Farmers in the southern valleys reported a second poor harvest, and the "
    "agriculture ministry promised seed loans that local councils say have not yet arrived."
)


@pytest.fixture
def make_api(app, session, make_user):
    return api_factory(app, session, make_user)


@pytest.fixture
def world(session, make_cable, make_user, make_api):
    top, _ = make_user("apitw-top", roles=[Role.REVIEWER], clearance=Level.SECRET)
    boss, _ = make_user("apitw-boss", roles=[Role.APPROVER], clearance=Level.SECRET)
    hidden = make_cable(SECRET, "SECRET", body=f"{P1.replace('(C)', '(S)')}\n\n{P2}")
    start = hidden.versions[0].text.index(NAME)
    made = redaction_service.propose(session, top, hidden, start=start,
                                     end=start + len(NAME), codes=["B6"])
    session.flush()
    redaction_service.approve(session, boss, made, expected_row_version=made.row_version)
    session.commit()
    make_cable(COPY, "CONFIDENTIAL", body=f"{P1}\n\n{OWN}")
    make_cable(ALONE, "CONFIDENTIAL", body=f"{OTHER}\n\n{LONE}")
    session.commit()
    return {
        "high": make_api("apitw-high", roles=(Role.REVIEWER, Role.APPROVER)),
        "low": make_api("apitw-low", clearance=Level.CONFIDENTIAL),
    }


def _redactions(session) -> int:
    found = session.scalar(select(func.count()).select_from(Redaction))
    session.commit()
    return found


def test_a_cleared_reader_sees_the_twin_with_its_decision(world):
    answer = world["high"].get(f"/api/v1/cables/{COPY}/twins")
    assert answer.status_code == 200, answer.get_json()
    portions = answer.get_json()["portions"]
    assert [p["portion_index"] for p in portions] == [0]
    twin = portions[0]["twins"][0]
    assert portions[0]["cables"] == 1 and twin["reference_id"] == SECRET
    assert twin["decisions"] == [{"codes": ["B6"], "text": NAME}]


def test_a_hidden_twin_is_neither_named_nor_counted(world):
    seen = world["low"].get(f"/api/v1/cables/{COPY}/twins").get_json()
    alone = world["low"].get(f"/api/v1/cables/{ALONE}/twins").get_json()
    assert seen == alone == {"version": 1, "portions": [], "duplicates": []}


def test_applying_a_twins_decision_proposes_it_here_for_a_second_person(world, session):
    before = _redactions(session)
    applied = world["high"].post(
        f"/api/v1/cables/{COPY}/portions/0/twins/apply",
        json={"twin": SECRET, "twin_portion": 0, "version": 1, "rationale": "as decided there"},
    )
    assert applied.status_code == 201, applied.get_json()
    reply = applied.get_json()
    assert len(reply["proposed"]) == 1 and reply["not_placed"] == 0
    assert _redactions(session) == before + 1
    made = world["high"].get(f"/api/v1/cables/{COPY}").get_json()["redactions"][0]
    assert made["status"] == "pending" and made["codes"] == ["B6"]
    own = world["high"].post(f"/api/v1/redactions/{made['id']}/approve",
                             json={"version": made["row_version"]})
    assert own.status_code == 403  # its proposer: a second person approves it


@pytest.mark.parametrize(
    "path, body",
    [
        (f"/api/v1/cables/{COPY}/portions/0/twins/apply",
         {"twin": SECRET, "twin_portion": 0, "version": 1}),
        (f"/api/v1/cables/{COPY}/portions/0/twins/apply",
         {"twin": "09ZQXNOSUCH1", "twin_portion": 0, "version": 1}),
        (f"/api/v1/cables/{SECRET}/portions/0/twins/apply",
         {"twin": COPY, "twin_portion": 0, "version": 1}),
        ("/api/v1/cables/09ZQXNOSUCH1/portions/0/twins/apply",
         {"twin": COPY, "twin_portion": 0, "version": 1}),
    ],
)
def test_a_hidden_twin_or_cable_is_answered_as_an_unknown_one(world, session, path, body):
    before = _redactions(session)
    answer = world["low"].post(path, json=body)
    assert answer.status_code == 404 and error_code(answer) == "not_found"
    assert answer.get_json()["error"]["message"] == world["low"].post(
        "/api/v1/cables/09ZQXNOSUCH2/portions/0/twins/apply", json=body
    ).get_json()["error"]["message"]
    assert _redactions(session) == before
    hidden = world["low"].get(f"/api/v1/cables/{SECRET}/twins")
    assert hidden.status_code == 404
    assert hidden.get_json() == world["low"].get("/api/v1/cables/09ZQXNOSUCH1/twins").get_json()


@pytest.mark.parametrize(
    "body",
    [
        {"twin": SECRET, "twin_portion": "0", "version": 1},
        {"twin": SECRET, "twin_portion": 0},
        {"twin": SECRET, "twin_portion": 0, "version": 1, "approve": True},
        {"twin": "x" * 65, "twin_portion": 0, "version": 1},
        {"twin": SECRET, "twin_portion": -1, "version": 1},
    ],
)
def test_malformed_bodies_are_refused_and_propose_nothing(world, session, body):
    before = _redactions(session)
    answer = world["high"].post(f"/api/v1/cables/{COPY}/portions/0/twins/apply", json=body)
    assert answer.status_code == 400 and error_code(answer) == "bad_request"
    assert _redactions(session) == before


def test_a_stale_version_changes_nothing(world, session):
    before = _redactions(session)
    answer = world["high"].post(f"/api/v1/cables/{COPY}/portions/0/twins/apply",
                                json={"twin": SECRET, "twin_portion": 0, "version": 7})
    assert answer.status_code == 409
    assert _redactions(session) == before
