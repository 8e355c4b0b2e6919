"""The consistency endpoints of the API: occurrences, linked proposals, "release this
occurrence" decisions and the gate's conflicts -- the browser's rules, by token.

Attackers: a user below the cable's level (every endpoint answers as for an unknown id and
writes nothing), a reviewer approving their own request to release an occurrence, a client
sending unknown fields or out-of-range offsets.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from redactor.models import AuditEntry, Cable, OccurrenceDecision, Redaction
from redactor.review import service as review
from redactor.review.policy import Level, Role
from tests.test_api_support import api_factory, error_code, offsets_of

NAME = "Qzandor Villaquist"
BODY = (
    f"1. (S) The minister met {NAME} on Tuesday.\n\n"
    "2. (C) Later that day VILLAQUIST spoke to the press; Mr. Villaquist\n"
    "said little.\n\n"
    "3. (C) Qzandor\nVillaquist left at noon. End comment."
)
REF = "09ZQXAPIO1"
#: The other places of NAME in BODY, as the occurrences endpoint lists them.
EXPECTED_OCCURRENCES = [
    ("VILLAQUIST", "open"), ("Villaquist", "open"), ("Qzandor Villaquist", "open")
]
UNKNOWN = "09ZQXAPIX1"


@pytest.fixture
def make_api(app, session, make_user):
    return api_factory(app, session, make_user)


@pytest.fixture
def crew(make_api, make_cable, session):
    cable = make_cable(REF, "SECRET", body=BODY)
    return {
        "cable": cable,
        "text": review.version_of(session, cable).text,
        "reviewer": make_api("oc-rev"),
        "approver": make_api("oc-appr", roles=(Role.APPROVER,)),
        "both": make_api("oc-both", roles=(Role.REVIEWER, Role.APPROVER)),
        "low": make_api("oc-low", roles=tuple(Role), clearance=Level.CONFIDENTIAL),
    }


def _propose(api, text, needle=NAME):
    start, end = offsets_of(text, needle)
    response = api.post(f"/api/v1/cables/{REF}/redactions",
                        json={"start": start, "end": end, "codes": ["B6"]})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def _approve(api, proposal):
    response = api.post(f"/api/v1/redactions/{proposal['id']}/approve",
                        json={"version": proposal["row_version"]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _count(session, model) -> int:
    """Rows of ``model``; the test's read transaction is ended, so the app may write."""
    found = session.scalar(select(func.count()).select_from(model))
    session.commit()
    return found


def test_a_proposals_other_occurrences_are_listed_and_proposed_in_one_call(crew, session):
    proposal = _propose(crew["both"], crew["text"])
    found = crew["both"].get(f"/api/v1/redactions/{proposal['id']}/occurrences")
    assert found.status_code == 200
    places = found.get_json()["occurrences"]
    assert [(o["place"]["text"], o["state"]) for o in places] == EXPECTED_OCCURRENCES
    made = crew["both"].post(f"/api/v1/redactions/{proposal['id']}/occurrences", json={})
    assert made.status_code == 201, made.get_json()
    linked = made.get_json()["redactions"]
    assert [(r["start"], r["end"]) for r in linked] == [
        (o["place"]["start"], o["place"]["end"]) for o in places
    ]
    assert all(r["status"] == "pending" and r["codes"] == ["B6"] for r in linked)
    # Each linked proposal still needs a second person: its proposer cannot approve it.
    own = crew["both"].post(f"/api/v1/redactions/{linked[0]['id']}/approve",
                            json={"version": linked[0]["row_version"]})
    assert own.status_code == 403
    again = crew["both"].get(f"/api/v1/redactions/{proposal['id']}/occurrences")
    assert {o["state"] for o in again.get_json()["occurrences"]} == {"proposed"}


def test_a_selection_lists_its_occurrences_and_the_read_is_on_record(crew, session):
    start, end = offsets_of(crew["text"], "Villaquist")
    before = _count(session, AuditEntry)
    found = crew["reviewer"].get(f"/api/v1/cables/{REF}/occurrences?start={start}&end={end}")
    assert found.status_code == 200
    assert {o["place"]["text"] for o in found.get_json()["occurrences"]} >= {"VILLAQUIST"}
    session.expire_all()
    assert session.scalars(
        select(AuditEntry.action).order_by(AuditEntry.seq.desc()).limit(1)
    ).one() == "cable.view"
    session.commit()
    assert _count(session, AuditEntry) == before + 1


def test_the_gates_conflicts_are_listed_until_a_second_person_releases_the_place(crew, session):
    _approve(crew["approver"], _propose(crew["reviewer"], crew["text"]))
    listed = crew["reviewer"].get(f"/api/v1/cables/{REF}/conflicts").get_json()["conflicts"]
    assert listed and all(c["codes"] == ["B6"] for c in listed)
    assert [c["place"]["text"] for c in listed] == ["Qzandor Villaquist"]  # shown on one line
    place = listed[0]["place"]
    asked = crew["both"].post(
        f"/api/v1/cables/{REF}/occurrence-decisions",
        json={"start": place["start"], "end": place["end"], "reason": "the press quote"},
    )
    assert asked.status_code == 201, asked.get_json()
    decision = asked.get_json()
    assert decision["status"] == "pending" and decision["proposer"]["username"] == "oc-both"
    # The attacker holds the approver role too and approves their own request: refused.
    own = crew["both"].post(f"/api/v1/occurrence-decisions/{decision['id']}/approve",
                            json={"version": decision["row_version"]})
    assert own.status_code == 403 and error_code(own) == "forbidden"
    done = crew["approver"].post(f"/api/v1/occurrence-decisions/{decision['id']}/approve",
                                 json={"version": decision["row_version"]})
    assert done.status_code == 200 and done.get_json()["status"] == "approved"
    left = crew["reviewer"].get(f"/api/v1/cables/{REF}/conflicts").get_json()["conflicts"]
    assert left == []


@pytest.mark.parametrize(
    "method, hidden, unknown, body",
    [
        ("get", f"/api/v1/cables/{REF}/occurrences?start=30&end=48",
         f"/api/v1/cables/{UNKNOWN}/occurrences?start=30&end=48", None),
        ("get", f"/api/v1/cables/{REF}/conflicts", f"/api/v1/cables/{UNKNOWN}/conflicts", None),
        ("post", f"/api/v1/cables/{REF}/occurrence-decisions",
         f"/api/v1/cables/{UNKNOWN}/occurrence-decisions",
         {"start": 30, "end": 48, "reason": "x"}),
        ("get", "/api/v1/redactions/{rid}/occurrences", "/api/v1/redactions/{uid}/occurrences",
         None),
        ("post", "/api/v1/redactions/{rid}/occurrences", "/api/v1/redactions/{uid}/occurrences",
         {}),
        ("post", "/api/v1/occurrence-decisions/{did}/approve",
         "/api/v1/occurrence-decisions/{uid}/approve", {"version": 1}),
        ("post", "/api/v1/occurrence-decisions/{did}/withdraw",
         "/api/v1/occurrence-decisions/{uid}/withdraw", {"version": 1}),
    ],
)
def test_a_user_below_the_level_learns_nothing_and_changes_nothing(
    crew, session, method, hidden, unknown, body
):
    _approve(crew["approver"], _propose(crew["reviewer"], crew["text"]))
    rid = session.scalars(select(Redaction.id)).first()
    session.commit()
    start, end = offsets_of(crew["text"], "VILLAQUIST")
    asked = crew["reviewer"].post(f"/api/v1/cables/{REF}/occurrence-decisions",
                                  json={"start": start, "end": end, "reason": "quoted"})
    did = asked.get_json()["id"]
    ids = {"rid": rid, "did": did, "uid": 999_999}
    counts = (_count(session, Redaction), _count(session, OccurrenceDecision))
    call = getattr(crew["low"], method)
    args = {} if body is None else {"json": body}
    seen = call(hidden.format(**ids), **args)
    absent = call(unknown.format(**ids), **args)
    assert seen.status_code == absent.status_code == 404
    assert seen.get_json() == absent.get_json()
    session.expire_all()
    assert (_count(session, Redaction), _count(session, OccurrenceDecision)) == counts


@pytest.mark.parametrize(
    "path, body",
    [
        ("/api/v1/cables/{ref}/occurrence-decisions",
         {"start": 1, "end": 5, "reason": "x", "approved": True}),
        ("/api/v1/cables/{ref}/occurrence-decisions", {"start": "1", "end": 5, "reason": "x"}),
        ("/api/v1/cables/{ref}/occurrence-decisions", {"start": 1, "end": 5}),
        ("/api/v1/redactions/{rid}/occurrences", {"places": "1-5"}),
        ("/api/v1/redactions/{rid}/occurrences", {"everything": True}),
    ],
)
def test_malformed_bodies_are_refused_and_write_nothing(crew, session, path, body):
    proposal = _propose(crew["reviewer"], crew["text"])
    counts = (_count(session, Redaction), _count(session, OccurrenceDecision))
    answer = crew["reviewer"].post(path.format(ref=REF, rid=proposal["id"]), json=body)
    assert answer.status_code == 400 and error_code(answer) == "bad_request"
    session.expire_all()
    assert (_count(session, Redaction), _count(session, OccurrenceDecision)) == counts


def test_offsets_outside_the_text_and_a_stray_place_are_refused(crew, session):
    proposal = _propose(crew["reviewer"], crew["text"])
    far = crew["reviewer"].get(f"/api/v1/cables/{REF}/occurrences?start=5&end=99999")
    assert far.status_code == 422 and error_code(far) == "invalid"
    stray = crew["reviewer"].post(f"/api/v1/redactions/{proposal['id']}/occurrences",
                                  json={"places": ["0-3"]})
    assert stray.status_code == 422
    huge = crew["reviewer"].get(f"/api/v1/cables/{REF}/occurrences?start=1&end=99999999999")
    assert huge.status_code == 400
    assert session.get(Cable, crew["cable"].id) is not None
