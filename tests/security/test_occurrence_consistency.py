"""Consistency inside one cable, attacked: the same text withheld in one place and printed in
another is never released silently, and leaving it printed takes two people.

The attackers: a release authority who would release a cable whose withheld name is still
printed in another paragraph (or in another case, across a line break); a reviewer holding
the approver role too, who would approve their own "release this occurrence" (through the
service, the web page and the database); a user below a cable's level who would learn from
the occurrences page, a proposal id or a decision id that the cable exists; hostile input
on every new form. On SQLite and (``REDACTOR_TEST_POSTGRES_URL``) PostgreSQL.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from redactor.errors import IllegalTransition, InvalidInput, NotFound, NotPermitted
from redactor.models import AuditEntry, Cable, OccurrenceDecision, Redaction, Release
from redactor.redaction import occurrence_decisions, occurrences
from redactor.redaction import service as redactions
from redactor.release import service as releases
from redactor.review import service as review
from redactor.review.policy import Level, Role
from tests.fixtures_accounts import find_csrf_token
from tests.pages import without_csrf
from tests.test_release_support import finish_review, redact

NAME = "Qzandor Villaquist"
BODY = (
    f"1. (S) The minister met {NAME} on Tuesday.\n\n"
    "2. (C) Later that day VILLAQUIST spoke to the press; Mr. Villaquist\n"
    "said little.\n\n"
    "3. (C) Qzandor\nVillaquist left at noon. Comment: nothing further. End comment."
)
REF = "09ZQXOCC1"
UNKNOWN = "09ZQXOCX1"
DAY = "2015-12-31"


@pytest.fixture
def team(make_user):
    made = {
        name: make_user(name, roles=roles, clearance=level)
        for name, roles, level in (
            ("occrev", [Role.REVIEWER], Level.TOP_SECRET),
            ("occboth", [Role.REVIEWER, Role.APPROVER], Level.TOP_SECRET),
            ("occappr", [Role.APPROVER], Level.TOP_SECRET),
            ("occauth", [Role.RELEASE_AUTHORITY], Level.TOP_SECRET),
            ("occlow", list(Role), Level.CONFIDENTIAL),
        )
    }
    return {name: user for name, (user, _password) in made.items()} | {
        f"{name}:password": password for name, (_user, password) in made.items()
    }


class _Team:
    def __init__(self, people):
        self.reviewer = people["occrev"]
        self.approver = people["occappr"]


@pytest.fixture
def cable(session, make_cable, team):
    """The SECRET cable with the name withheld once (approved), review finished."""
    made = make_cable(REF, "SECRET", body=BODY)
    redact(session, _Team(team), made, NAME, ("B6",))
    finish_review(session, _Team(team), made)
    return made


def _release(session, team, cable):
    return releases.release_cable(
        session, team["occauth"], session.get(Cable, cable.id),
        release_date=__import__("datetime").date(2015, 12, 31),
    )


def _conflicts(session, cable):
    version = review.version_of(session, cable)
    approved = review.approved_redactions(session, cable, version)
    return occurrences.gate_conflicts(session, version, approved)


def test_a_release_is_refused_until_every_conflicting_occurrence_is_decided(
    session, team, cable
):
    text = review.version_of(session, cable).text
    # The full name again across a line break (paragraph 3): the gate's own normalised form.
    conflicts = _conflicts(session, cable)
    assert [text[c.place.start : c.place.end] for c in conflicts] == ["Qzandor\nVillaquist"]
    with pytest.raises(releases.ReleaseBlocked) as refused:
        _release(session, team, cable)
    message = str(refused.value)
    assert "portion 3" in message and f"offsets {conflicts[0].place.start}" in message
    session.commit()  # the refusal is on record
    assert session.scalars(select(Release)).all() == []
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "release.gate_failed")
    ).all()
    assert entries and "VILLAQUIST" not in json.dumps([e.payload for e in entries]).upper()

    # The name's variants (the surname alone, twice) are shown to the reviewer too; the gate
    # holds only the same text. Propose the surname occurrences and the conflict, linked.
    first = session.scalars(select(Redaction).where(Redaction.cable_id == cable.id)).one()
    shown = occurrences.occurrences_of(session, team["occrev"], first)
    assert [(text[o.place.start : o.place.end], o.kind) for o in shown] == [
        ("VILLAQUIST", "surname"), ("Villaquist", "title and surname"),
        ("Qzandor\nVillaquist", "across a line break"),
    ]
    surnames = [f"{o.place.start}-{o.place.end}" for o in shown[:2]]
    linked = occurrences.propose_linked(session, team["occrev"], first, places=surnames)
    session.commit()
    assert {r.link_group for r in linked} == {first.link_group} and first.link_group
    assert all(r.status.value == "pending" and list(r.codes) == ["B6"] for r in linked)
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "redaction.propose_linked")
    ).one()
    assert json.loads(entry.payload)["ids"] == [r.id for r in linked]
    # Pending linked proposals hold the release like any other proposal.
    with pytest.raises(IllegalTransition):
        _release(session, team, cable)
    session.rollback()
    for row in linked:
        with pytest.raises(NotPermitted):  # each still needs a second person
            redactions.approve(session, team["occrev"], row, expected_row_version=row.row_version)
        session.rollback()
        row = session.get(Redaction, row.id)
        redactions.approve(session, team["occappr"], row, expected_row_version=row.row_version)
        session.commit()
    finish_review(session, _Team(team), cable)

    # The last conflict: released on purpose, by two people.
    place = conflicts[0].place
    asked = occurrence_decisions.request_release(
        session, team["occboth"], session.get(Cable, cable.id), start=place.start,
        end=place.end, reason="the name is public in paragraph 3 (press release)",
    )
    session.commit()
    with pytest.raises(releases.ReleaseBlocked):  # a pending request is not a decision
        _release(session, team, cable)
    session.rollback()
    with pytest.raises(NotPermitted):  # the one who asked may not approve
        occurrence_decisions.decide_release(
            session, team["occboth"], asked.id, action="approve",
            expected_row_version=asked.row_version,
        )
    session.rollback()
    asked = session.get(OccurrenceDecision, asked.id)
    occurrence_decisions.decide_release(
        session, team["occappr"], asked.id, action="approve",
        expected_row_version=asked.row_version,
    )
    session.commit()
    assert _conflicts(session, cable) == []
    made = _release(session, team, cable)
    session.commit()
    assert made.id
    actions = session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.action.like("occurrence.%"))
        .order_by(AuditEntry.seq)
    ).all()
    assert actions == ["occurrence.release_request", "occurrence.release_approve"]


def test_the_confirmation_lists_the_conflict_and_offers_no_release_button(
    client, login, session, team, cable
):
    login(client, "occauth", team["occauth:password"])
    page = client.get(f"/cables/{REF}/release").get_data(as_text=True)
    assert 'id="release-conflicts"' in page and "portion 3" in page
    assert 'id="confirm-release"' not in page
    assert f"/cables/{REF}/occurrences#conflict-" in page
    preview = client.get(f"/cables/{REF}/preview").get_data(as_text=True)
    assert 'id="release-conflicts"' in preview
    # Posting the release anyway (an old form) is refused, naming the place.
    token = find_csrf_token(client.get(f"/cables/{REF}").get_data(as_text=True))
    answer = client.post(f"/cables/{REF}/release", data={"csrf_token": token, "case": "new"})
    assert answer.status_code == 409
    assert session.scalars(select(Release)).all() == []


def test_the_proposer_cannot_approve_their_own_decline_on_the_page_or_in_the_database(
    client, login, session, team, cable
):
    place = _conflicts(session, cable)[0].place
    session.rollback()  # on SQLite a read holds the lock the next request needs
    login(client, "occboth", team["occboth:password"])
    page = client.get(f"/cables/{REF}/occurrences").get_data(as_text=True)
    token = find_csrf_token(page)
    answer = client.post(
        f"/cables/{REF}/occurrences/release",
        data={"csrf_token": token, "start": place.start, "end": place.end, "reason": "public"},
    )
    assert answer.status_code == 302
    asked = session.scalars(select(OccurrenceDecision)).one()
    asked_id, asked_version, asked_proposer = asked.id, asked.row_version, asked.proposer_id
    session.rollback()
    page = client.get(f"/cables/{REF}/occurrences").get_data(as_text=True)
    assert 'data-action="approve-release"' not in page  # not offered to the one who asked
    answer = client.post(
        f"/occurrence-decisions/{asked_id}/approve",
        data={"csrf_token": token, "row_version": asked_version},
    )
    assert answer.status_code == 403
    session.expire_all()
    assert session.get(OccurrenceDecision, asked_id).status == "pending"
    with pytest.raises(IntegrityError):
        session.execute(
            update(OccurrenceDecision)
            .where(OccurrenceDecision.id == asked_id)
            .values(decider_id=asked_proposer, status="approved")
        )
        session.flush()
    session.rollback()


def test_a_hidden_cable_answers_as_an_unknown_one(client, login, session, team, cable):
    first = session.scalars(select(Redaction).where(Redaction.cable_id == cable.id)).one()
    place = _conflicts(session, cable)[0].place
    asked = occurrence_decisions.request_release(
        session, team["occrev"], session.get(Cable, cable.id), start=place.start,
        end=place.end, reason="public",
    )
    first_id, asked_id = first.id, asked.id
    session.commit()
    login(client, "occlow", team["occlow:password"])  # every role, CONFIDENTIAL
    hidden = client.get(f"/cables/{REF}/occurrences")
    unknown = client.get(f"/cables/{UNKNOWN}/occurrences")
    assert hidden.status_code == unknown.status_code == 404
    assert without_csrf(hidden.get_data()) == without_csrf(unknown.get_data())
    token = find_csrf_token(client.get("/cables").get_data(as_text=True))
    for path, other in (
        (f"/redactions/{first_id}/occurrences", "/redactions/987654/occurrences"),
        (f"/occurrence-decisions/{asked_id}/approve", "/occurrence-decisions/987654/approve"),
        (f"/occurrence-decisions/{asked_id}/withdraw", "/occurrence-decisions/987654/withdraw"),
        (f"/cables/{REF}/occurrences/release", f"/cables/{UNKNOWN}/occurrences/release"),
    ):
        data = {"csrf_token": token, "row_version": "1", "start": "1", "end": "5",
                "reason": "x"}
        a, b = client.post(path, data=data), client.post(other, data=data)
        assert a.status_code == b.status_code == 404, path
        assert without_csrf(a.get_data()) == without_csrf(b.get_data())
    with pytest.raises(NotFound):
        occurrences.occurrences_of(session, team["occlow"], session.get(Redaction, first_id))
    session.expire_all()
    assert session.get(OccurrenceDecision, asked_id).status == "pending"


def test_hostile_input_is_a_clear_refusal_never_a_500(client, login, session, team, cable):
    first_id = session.scalars(select(Redaction.id).where(Redaction.cable_id == cable.id)).one()
    session.rollback()
    login(client, "occrev", team["occrev:password"])
    page = client.get(f"/cables/{REF}/occurrences")
    token = find_csrf_token(page.get_data(as_text=True))
    for query in ("start=abc&end=4", "start=5&end=4", "start=0&end=99999999",
                  "start=1", "start=%C2%B2&end=3"):
        assert client.get(f"/cables/{REF}/occurrences?{query}").status_code == 422, query
    assert client.get(f"/cables/{REF}/occurrences?start=0&end=4").status_code == 200
    post = client.post
    for place in ("x", "1-", "-3", "5-2", "0-99999999999", "１-2"):
        answer = post(f"/redactions/{first_id}/occurrences",
                      data={"csrf_token": token, "place": place})
        assert answer.status_code == 422, place
    for data in ({"start": "a", "end": "3"}, {"start": "0", "end": "3"},
                 {"start": "0", "end": "3", "reason": "x" * 10_001}):
        answer = post(f"/cables/{REF}/occurrences/release",
                      data={"csrf_token": token, "reason": "r", **data})
        assert answer.status_code == 422, data
    assert post(f"/redactions/{first_id}/occurrences", data={}).status_code == 400  # CSRF
    assert post("/redactions/99999999999/occurrences",
                data={"csrf_token": token}).status_code == 404
    assert session.scalars(select(OccurrenceDecision)).all() == []
    assert len(session.scalars(select(Redaction)).all()) == 1
    with pytest.raises(InvalidInput):
        occurrence_decisions.request_release(session, team["occrev"], session.get(Cable, cable.id),
                                    start=0, end=3, reason="not an occurrence")
    session.rollback()
