"""Versions that keep the work, as an attacker meets them: a carried-over approval is never
one person's, an older version above one's clearance is absent (history, view, diff), and a
new version never shows what an approved redaction hid.

Each test fails on the code before the carry-over: there a re-import dropped every
decision (so nothing was carried, and a cable with its portions marked again released the
approved name in full) and the version pages did not exist.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from redactor.models import Cable, CableVersion, Decision, Redaction, RedactionStatus
from redactor.review.policy import Level, Role
from tests.pages import without_csrf
from tests.test_api_support import Api, api_factory, issue_token, offsets_of

CABLE = "09VERSIONS1"
NAME = "QZJVNAME"
BODY = (
    "1. (C) Summary: Ambassador QZJVNAME met the minister on Tuesday.\n\n"
    "2. (C) Comment: nothing further to report. End comment."
)


@pytest.fixture
def crew(app, session, make_user):
    make_api = api_factory(app, session, make_user)
    user, _ = make_user("vs-rita", roles=(Role.REVIEWER,))
    return {
        "proposer": Api(app.test_client(), issue_token(session, user), user),
        "approver": make_api("vs-arne", roles=(Role.APPROVER,)),
        "authority": make_api("vs-rolf", roles=(Role.RELEASE_AUTHORITY,)),
    }


def _approved_name(crew, make_cable, session, body=BODY):
    make_cable(CABLE, "CONFIDENTIAL", body=body)
    session.commit()
    proposer = crew["proposer"]
    text = proposer.get(f"/api/v1/cables/{CABLE}").get_json()["text"]
    start, end = offsets_of(text, NAME)
    made = proposer.post(f"/api/v1/cables/{CABLE}/redactions",
                         json={"start": start, "end": end, "codes": ["B6"]}).get_json()
    approved = crew["approver"].post(f"/api/v1/redactions/{made['id']}/approve",
                                     json={"version": made["row_version"]})
    assert approved.get_json()["status"] == "approved"
    return made["id"]


def _mark_all(crew):
    proposer = crew["proposer"]
    for portion in proposer.get(f"/api/v1/cables/{CABLE}").get_json()["portions"]:
        assert proposer.post(
            f"/api/v1/cables/{CABLE}/portions/{portion['index']}/review").status_code == 200


def test_a_carried_over_approval_is_still_two_peoples(crew, make_cable, session):
    _approved_name(crew, make_cable, session)
    # The proposer's own re-import (a one-character correction) carries the approval over.
    make_cable(CABLE, "CONFIDENTIAL", body=BODY.replace("Tuesday", "Tuesdy"))
    current = session.scalars(
        select(CableVersion).join(Cable).where(Cable.reference_id == CABLE,
                                               CableVersion.number == 2)).one()
    (carried,) = session.scalars(select(Redaction).where(Redaction.version_id == current.id))
    (decision,) = session.scalars(select(Decision).where(Decision.redaction_id == carried.id))
    assert carried.status == RedactionStatus.APPROVED
    assert decision.approver_id == crew["approver"].user.id
    assert decision.proposer_id == carried.proposer_id == crew["proposer"].user.id
    # And the database still refuses an approval of one's own redaction on the new version.
    session.commit()
    with pytest.raises(Exception, match="(?i)check|constraint"):
        session.execute(update(Decision).where(Decision.id == decision.id)
                        .values(approver_id=crew["proposer"].user.id))
        session.flush()
    session.rollback()


def test_the_carry_over_never_releases_what_an_approved_redaction_hid(
    crew, make_cable, session
):
    _approved_name(crew, make_cable, session)
    # The correction makes the name occur twice in its portion: which one was hidden is
    # ambiguous, so nothing is carried by a guess.
    make_cable(CABLE, "CONFIDENTIAL",
               body=BODY.replace("on Tuesday", f"on Tuesday with {NAME}'s aide"))
    session.commit()
    _mark_all(crew)
    released = crew["authority"].post(f"/api/v1/cables/{CABLE}/releases", json={})
    assert released.status_code == 409, released.get_json()
    detail = crew["proposer"].get(f"/api/v1/cables/{CABLE}").get_json()
    assert detail["version"] == 2 and detail["status"] != "ready"


def test_an_older_version_above_clearance_is_absent_from_history_view_and_diff(
    app, make_cable, session, make_user, login
):
    make_cable(CABLE, "SECRET", body=BODY.replace("(C)", "(S)"))
    make_cable(CABLE, "UNCLASSIFIED", body=BODY.replace("(C)", "(U)"))
    # Declassified to UNCLASSIFIED (as a decision would): only version 2 may be read.
    session.execute(update(Cable).where(Cable.reference_id == CABLE).values(level=0))
    session.commit()
    user, password = make_user("vs-low", roles=(Role.REVIEWER,), clearance=Level.CONFIDENTIAL)
    client = app.test_client()
    login(client, "vs-low", password)
    history = client.get(f"/cables/{CABLE}/versions")
    assert history.status_code == 200
    page = history.get_data(as_text=True)
    assert "Version 2" in page and "Version 1" not in page and "SECRET" not in page
    for hidden, unknown in (
        (f"/cables/{CABLE}/versions/1", f"/cables/{CABLE}/versions/9"),
        (f"/cables/{CABLE}/diff?from=1&to=2", f"/cables/{CABLE}/diff?from=9&to=2"),
        (f"/cables/{CABLE}?version=1", f"/cables/{CABLE}?version=9"),
    ):
        a, b = client.get(hidden, follow_redirects=True), client.get(unknown,
                                                                     follow_redirects=True)
        assert a.status_code == b.status_code == 404, hidden
        assert without_csrf(a.get_data()).replace("1", "9") == without_csrf(
            b.get_data()
        ).replace("1", "9")


def test_one_approver_cannot_resolve_a_left_behind_redaction_while_its_text_is_printed(
    crew, make_cable, session
):
    from redactor.errors import IllegalTransition
    from redactor.models import CarryOver
    from redactor.review import carryover

    _approved_name(crew, make_cable, session)
    make_cable(CABLE, "CONFIDENTIAL",
               body=BODY.replace("on Tuesday", f"on Tuesday with {NAME}'s aide"))
    session.commit()
    cable = session.scalars(select(Cable).where(Cable.reference_id == CABLE)).one()
    (item,) = session.scalars(select(CarryOver).where(CarryOver.needs_look.is_(True)))
    # "Looked at" by one approver would print the name two people agreed to hide: refused.
    with pytest.raises(IllegalTransition, match="still printed"):
        carryover.resolve(session, crew["approver"].user, cable, item.id)
    session.rollback()
    # Once both occurrences are redacted again (two people each), it may be resolved.
    text = crew["proposer"].get(f"/api/v1/cables/{CABLE}").get_json()["text"]
    first = text.index(NAME)
    for start in (first, text.index(NAME, first + 1)):
        made = crew["proposer"].post(
            f"/api/v1/cables/{CABLE}/redactions",
            json={"start": start, "end": start + len(NAME), "codes": ["B6"]}).get_json()
        crew["approver"].post(f"/api/v1/redactions/{made['id']}/approve",
                              json={"version": made["row_version"]})
    session.expire_all()
    cable = session.scalars(select(Cable).where(Cable.reference_id == CABLE)).one()
    carryover.resolve(session, crew["approver"].user, cable, item.id)
    session.commit()
    _mark_all(crew)
    released = crew["authority"].post(f"/api/v1/cables/{CABLE}/releases", json={})
    assert released.status_code == 201, released.get_json()
    assert NAME not in crew["authority"].get(
        f"/api/v1/releases/{released.get_json()['id']}/artifacts/txt").get_data(as_text=True)
