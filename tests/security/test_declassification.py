"""Declassification, attacked: a cable's level falls only by a decision of two people cleared
at the old level, on the record, and the fall opens the current text only.

The attackers: a reviewer who would approve their own request; an insider with a low
clearance holding every role, who would see or act on a request (or learn that one exists);
an approver who would approve a request made about a cable that has changed since (raised,
or given a new text); a reader below the old level, after the fall, who would read the older
versions or the audit entries written while the cable was SECRET.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from redactor.cables import access
from redactor.errors import NotFound
from redactor.models import (
    AuditEntry,
    Cable,
    CableVersion,
    DeclassificationRequest,
)
from redactor.redaction import service as redactions
from redactor.review.policy import Level, Role
from tests.fixtures_accounts import find_csrf_token

DECL = "09ZQXDECL1"  # SECRET
UNKNOWN = "09ZQXDECX1"  # never seen
UNKNOWN_REQUEST = 987654
WORD = "NUMBATDECL"  # in the SECRET first version only
SECRET_BODY = (
    f"1. (S) The minister named {WORD} as the source.\n\n2. (S) Comment: keep it close."
)


@pytest.fixture
def people(make_user):
    """name -> (user, password)."""
    return {
        name: make_user(name, roles=roles, clearance=level)
        for name, roles, level in (
            ("rev", [Role.REVIEWER], Level.SECRET),
            ("appr", [Role.APPROVER], Level.SECRET),
            ("both", [Role.REVIEWER, Role.APPROVER], Level.SECRET),
            ("top", [Role.APPROVER], Level.TOP_SECRET),
            ("low", list(Role), Level.CONFIDENTIAL),
            ("reader", [Role.REVIEWER, Role.AUDITOR], Level.UNCLASSIFIED),
            ("high-auditor", [Role.AUDITOR], Level.SECRET),
        )
    }


@pytest.fixture
def cable(session, make_cable):
    """The SECRET cable: version 1 (with WORD), then version 2 (without)."""
    make_cable(DECL, "SECRET", body=SECRET_BODY, subject="FIRST")
    made = make_cable(DECL, "SECRET", subject="SECOND")
    session.rollback()
    return made


@pytest.fixture
def as_user(app, login, people):
    """``as_user(name) -> (client, csrf token)``, signed in."""

    def make(name: str):
        client = app.test_client()
        login(client, name, people[name][1])
        token = find_csrf_token(client.get("/account/password").get_data(as_text=True))
        return client, token

    return make


def _ask(client, token: str, to_level: int = 0, reason: str = "no longer sensitive"):
    return client.post(f"/cables/{DECL}/declassification",
                       data={"to_level": str(to_level), "reason": reason, "csrf_token": token})


def _request_id(session) -> int:
    number = session.scalar(select(DeclassificationRequest.id).order_by(
        DeclassificationRequest.id.desc()))
    # A distinctive id, so that making two answers alike touches nothing else.
    session.execute(update(DeclassificationRequest).where(
        DeclassificationRequest.id == number).values(id=number + 424240))
    session.commit()
    return number + 424240


def _decide(client, token, request_id, verb="approve", row_version="1", reason="agreed"):
    return client.post(f"/declassifications/{request_id}/{verb}",
                       data={"row_version": row_version, "reason": reason, "csrf_token": token})


def _state(session) -> tuple:
    cable = session.scalars(select(Cable).where(Cable.reference_id == DECL)
                            .execution_options(populate_existing=True)).one()
    levels = tuple(session.scalars(select(CableVersion.level).where(
        CableVersion.cable_id == cable.id).order_by(CableVersion.number)))
    requests = tuple(session.execute(select(
        DeclassificationRequest.status, DeclassificationRequest.row_version)).all())
    state = (cable.level, cable.classification, levels, requests)
    session.rollback()  # on SQLite an open read holds the lock the next request needs
    return state


def _alike(body: str, *names: str) -> str:
    body = re.sub(r'(name="csrf[-_]token" (?:content|value)=")[^"]*"', r'\1"', body)
    for name in names:
        body = re.sub(rf"(?<![0-9A-Z]){re.escape(name)}(?![0-9A-Z])", "<ID>", body)
    return body


# --------------------------------------------------------------------------- two persons


def test_the_proposer_cannot_approve_their_own_request(as_user, session, cable):
    both, token = as_user("both")
    assert _ask(both, token).status_code == 302
    request_id = _request_id(session)
    before = _state(session)
    page = both.get(f"/declassifications/{request_id}").get_data(as_text=True)
    assert "declass-approve" not in page  # no button for the proposer
    answer = _decide(both, token, request_id)
    assert answer.status_code == 403
    assert _state(session) == before
    assert before[0] == Level.SECRET
    # A second person may.
    appr, token = as_user("appr")
    assert _decide(appr, token, request_id).status_code == 302
    assert _state(session)[:2] == (Level.UNCLASSIFIED, "UNCLASSIFIED")


def test_the_database_refuses_a_self_decision_too(session, cable, people):
    from sqlalchemy.exc import IntegrityError

    from redactor.cables import declassify

    both = people["both"][0]
    made = declassify.request_declassification(
        session, both, session.get(Cable, cable.id), to_level=0, reason="r")
    session.flush()
    made.decider_id = both.id
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_only_a_reviewer_asks_and_only_an_approver_decides(as_user, session, cable):
    appr, token = as_user("appr")
    assert _ask(appr, token).status_code == 403
    rev, token = as_user("rev")
    assert _ask(rev, token).status_code == 302
    request_id = _request_id(session)
    assert _decide(rev, token, request_id).status_code == 403
    assert _state(session)[0] == Level.SECRET


# --------------------------------------------------------------------------- below the level


def test_a_low_user_can_neither_see_nor_act_on_a_request(as_user, session, cable):
    rev, token = as_user("rev")
    assert _ask(rev, token).status_code == 302
    request_id = _request_id(session)
    before = _state(session)
    low, token = as_user("low")  # every role, CONFIDENTIAL
    for method, suffix, data in (
        ("GET", "", None),
        ("POST", "/approve", {"row_version": "1", "reason": "x"}),
        ("POST", "/reject", {"row_version": "1", "reason": "x"}),
    ):
        answers = []
        for number in (request_id, UNKNOWN_REQUEST):
            url = f"/declassifications/{number}{suffix}"
            response = (low.get(url) if method == "GET"
                        else low.post(url, data={**data, "csrf_token": token}))
            answers.append((response.status_code,
                            _alike(response.get_data(as_text=True), str(number))))
        assert answers[0] == answers[1], suffix
        assert answers[0][0] == 404
    # Asking for one: the hidden cable answers as a reference id never seen.
    answers = []
    for ref in (DECL, UNKNOWN):
        response = low.post(f"/cables/{ref}/declassification",
                            data={"to_level": "0", "reason": "x", "csrf_token": token})
        answers.append((response.status_code, _alike(response.get_data(as_text=True), ref)))
    assert answers[0] == answers[1] and answers[0][0] == 404
    # Nor does the dashboard tell of it.
    assert "Declassifications waiting" not in low.get("/dashboard").get_data(as_text=True)
    assert _state(session) == before
    # The approver cleared for it sees it on the dashboard and on its page.
    appr, _ = as_user("appr")
    dashboard = appr.get("/dashboard").get_data(as_text=True)
    assert "Declassifications waiting" in dashboard and DECL in dashboard
    assert appr.get(f"/declassifications/{request_id}").status_code == 200


def test_after_the_fall_the_request_stays_at_the_old_level(as_user, session, cable):
    rev, token = as_user("rev")
    _ask(rev, token)
    request_id = _request_id(session)
    appr, token = as_user("appr")
    assert _decide(appr, token, request_id).status_code == 302
    reader, _ = as_user("reader")  # UNCLASSIFIED: the cable is readable now
    assert reader.get(f"/cables/{DECL}").status_code == 200
    assert reader.get(f"/declassifications/{request_id}").status_code == 404


# --------------------------------------------------------------------------- void requests


def test_a_request_on_a_cable_raised_since_is_void(as_user, session, cable, make_cable):
    rev, token = as_user("rev")
    _ask(rev, token, to_level=1)
    request_id = _request_id(session)
    make_cable(DECL, "TOP SECRET", subject="RAISED")  # the cable is TOP SECRET now
    session.rollback()
    before = _state(session)
    # The SECRET approver no longer sees it; the TOP SECRET one may not approve it.
    appr, token = as_user("appr")
    assert _decide(appr, token, request_id).status_code == 404
    top, token = as_user("top")
    page = top.get(f"/declassifications/{request_id}").get_data(as_text=True)
    assert "void" in page and "declass-approve" not in page
    assert _decide(top, token, request_id).status_code == 409
    assert _state(session) == before and before[0] == Level.TOP_SECRET
    # It can be rejected, and a new request made.
    assert _decide(top, token, request_id, "reject", reason="void").status_code == 302


def test_a_request_on_a_cable_given_a_new_text_since_is_void(
    as_user, session, cable, make_cable
):
    rev, token = as_user("rev")
    _ask(rev, token)
    request_id = _request_id(session)
    make_cable(DECL, "SECRET", subject="THIRD TEXT")
    session.rollback()
    appr, token = as_user("appr")
    assert _decide(appr, token, request_id).status_code == 409
    assert _state(session)[0] == Level.SECRET


def test_a_stale_or_second_decision_is_a_409(as_user, session, cable):
    rev, token = as_user("rev")
    _ask(rev, token)
    request_id = _request_id(session)
    appr, token = as_user("appr")
    assert _decide(appr, token, request_id, row_version="5").status_code == 409
    assert _state(session)[0] == Level.SECRET
    assert _decide(appr, token, request_id, "reject", reason="").status_code == 422
    assert _decide(appr, token, request_id, "reject", reason="still sensitive").status_code == 302
    after = _state(session)
    top, token = as_user("top")
    assert _decide(top, token, request_id, row_version="2").status_code == 409
    assert _state(session) == after and after[0] == Level.SECRET
    # One pending request a cable: a second request while one is pending is a 409.
    _ask(rev, find_csrf_token(rev.get("/account/password").get_data(as_text=True)))
    assert _ask(rev, find_csrf_token(rev.get("/account/password").get_data(
        as_text=True))).status_code == 409


# --------------------------------------------------------------------------- what falls


def test_the_fall_opens_the_current_text_only(as_user, session, cable, people):
    rev, token = as_user("rev")
    page = rev.get(f"/cables/{DECL}").get_data(as_text=True)
    assert "declass-request" in page  # the button on the cable page
    assert _ask(rev, token).status_code == 302
    request_id = _request_id(session)
    appr, token = as_user("appr")
    assert _decide(appr, token, request_id).status_code == 302
    level, classification, levels, _ = _state(session)
    assert (level, classification) == (Level.UNCLASSIFIED, "UNCLASSIFIED")
    assert levels == (Level.SECRET, Level.UNCLASSIFIED)  # version 1 keeps its own level
    reader, _ = as_user("reader")
    page = reader.get(f"/cables/{DECL}").get_data(as_text=True)
    assert "UNCLASSIFIED" in page and WORD not in page
    user = people["reader"][0]
    found = session.scalars(select(Cable).where(Cable.reference_id == DECL)).one()
    with pytest.raises(NotFound):
        access.get_visible_version(session, user, found, 1)
    assert [v.number for v in access.visible_versions(session, user, found)] == [2]
    session.rollback()


def test_audit_entries_written_before_the_fall_stay_at_the_old_level(
    app, as_user, session, cable, people, login
):
    # A proposal on the SECRET cable: its entry has offsets and codes.
    found = session.get(Cable, cable.id)
    redactions.propose(session, people["rev"][0], found, start=0, end=4, codes=["B6"],
                       rationale=f"protects {WORD}")
    session.commit()
    rev, token = as_user("rev")
    _ask(rev, token, reason=f"declassify {WORD}")
    request_id = _request_id(session)
    appr, token = as_user("appr")
    assert _decide(appr, token, request_id).status_code == 302
    actions = set(session.scalars(select(AuditEntry.action)))
    assert {"redaction.propose", "cable.declassify_request", "cable.declassify"} <= actions
    session.rollback()
    reader, _ = as_user("reader")
    log = reader.get("/audit/").get_data(as_text=True)
    assert "cable.declassify<" in log or "cable.declassify " in log or (
        ">cable.declassify" in log)
    assert "redaction.propose" not in log and "cable.declassify_request" not in log
    assert WORD not in log
    high, _ = as_user("high-auditor")
    log = high.get("/audit/").get_data(as_text=True)
    assert "redaction.propose" in log and "cable.declassify_request" in log


# --------------------------------------------------------------------------- command line


def test_the_command_line_keeps_the_same_rules(app_config, session, cable, people):
    from click.testing import CliRunner

    from redactor.cli.declassify import declassify_group

    def run(*args: str):
        return CliRunner().invoke(declassify_group, list(args),
                                  obj={"config": dict(app_config)})

    session.rollback()
    assert run("request", DECL, "--to", "UNCLASSIFIED", "--reason", "x", "--user", "low"
               ).exit_code != 0  # not cleared: not found
    made = run("request", DECL, "--to", "UNCLASSIFIED", "--reason", "public", "--user", "both")
    assert made.exit_code == 0, made.output
    request_id = made.output.split()[1].rstrip(":")
    assert run("approve", request_id, "--user", "both").exit_code != 0  # its proposer
    listed = run("list", "--user", "appr")
    assert DECL in listed.output
    done = run("approve", request_id, "--user", "appr")
    assert done.exit_code == 0 and "approved" in done.output
    assert _state(session)[:2] == (Level.UNCLASSIFIED, "UNCLASSIFIED")


def test_two_approvers_at_once_make_one_decision(app, session, cable, people):
    # Two approvers press "approve" together: one decision is made, the other is refused
    # (409: decided already), and nothing fails with a 500 on either engine.
    import threading

    from redactor.cables import declassify
    from redactor.errors import IllegalTransition, StaleVersion

    made = declassify.request_declassification(
        session, people["rev"][0], session.get(Cable, cable.id), to_level=1, reason="r")
    request_id = made.id
    session.commit()
    factory = app.extensions["redactor.sessions"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    user_type = type(people["appr"][0])
    ids = {name: people[name][0].id for name in ("appr", "top")}
    session.rollback()

    def decide(name: str) -> None:
        # Together, before either opens a transaction (on SQLite a writer's session holds
        # the write lock from its first statement on).
        barrier.wait(timeout=30)
        with factory() as db:
            actor = db.get(user_type, ids[name])
            try:
                declassify.decide(db, actor, request_id, approve=True, expected_row_version=1)
                db.commit()
                outcomes.append("approved")
            except (IllegalTransition, StaleVersion):
                db.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=decide, args=(name,)) for name in ("appr", "top")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["approved", "refused"]
    assert _state(session)[0] == Level.CONFIDENTIAL
