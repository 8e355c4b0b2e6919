"""Held imports, attacked: a file held for a cable above its importer's clearance has a way
out (apply, discard) for a person cleared for it, and for nobody else.

The attackers: the low importer who sent the file (a CONFIDENTIAL reviewer and admin), who
must learn nothing of it afterwards (not on the list, not in a count, a 404 by id like an id
never used, and no action); a person cleared once whose cable has since been raised above
them; someone without the reviewer or admin role; and a cleared person who clicks twice, or
acts on a page loaded before someone else decided.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, update

from redactor.cables.service import import_cable
from redactor.models import AuditEntry, Cable, CableVersion, HeldImport
from redactor.review.policy import Level, Role
from tests.fixtures_accounts import find_csrf_token
from tests.fixtures_store import MAX_BYTES, cable_text

HIDDEN = "09ZQXHELD1"  # SECRET
LOWER = "09ZQXHELD2"  # CONFIDENTIAL: the low reviewer may see it
UNKNOWN_HELD = 987654
WORD = "WOMBATHELD"  # only in the held file for the hidden cable


def _hold(session, user, reference_id: str, classification: str, word: str) -> int:
    text = cable_text(reference_id, classification, subject=f"HELD {word}")
    outcome = import_cable(session, user, f"{word}.txt", text.encode(), max_bytes=MAX_BYTES)
    assert outcome.status.value == "imported"  # answered as for a new cable
    held_id = session.scalar(select(HeldImport.id).where(HeldImport.reference_id == reference_id))
    # A distinctive id, so that making two answers alike touches nothing else.
    session.execute(update(HeldImport).where(HeldImport.id == held_id).values(id=held_id + 424240))
    session.commit()
    return held_id + 424240


@pytest.fixture
def world(session, make_cable, make_user):
    """The SECRET and CONFIDENTIAL cables, a file held for each (sent by someone cleared
    for neither), and the people: ``top`` (SECRET reviewer), ``low`` (CONFIDENTIAL reviewer
    and admin), ``reader`` (TOP SECRET auditor and approver, neither role that may decide)."""
    make_cable(HIDDEN, "SECRET", subject="ORIGINAL SECRET")
    make_cable(LOWER, "CONFIDENTIAL", subject="ORIGINAL CONFIDENTIAL")
    sender, _ = make_user("held-sender", roles=[Role.REVIEWER], clearance=Level.UNCLASSIFIED)
    people = {
        name: make_user(name, roles=roles, clearance=level)
        for name, roles, level in (
            ("top", [Role.REVIEWER], Level.SECRET),
            ("low", [Role.REVIEWER, Role.ADMIN], Level.CONFIDENTIAL),
            ("reader", [Role.AUDITOR, Role.APPROVER], Level.TOP_SECRET),
        )
    }
    hidden_id = _hold(session, sender, HIDDEN, "SECRET", WORD)
    lower_id = _hold(session, sender, LOWER, "CONFIDENTIAL", "KOALAHELD")
    session.rollback()
    return {"hidden": hidden_id, "lower": lower_id, **people}


@pytest.fixture
def as_user(app, login, world):
    """``as_user(name) -> (client, csrf token)``, signed in."""

    def make(name: str):
        client = app.test_client()
        login(client, name, world[name][1])
        token = find_csrf_token(client.get("/account/password").get_data(as_text=True))
        return client, token

    return make


def _state(session, held_id: int) -> tuple:
    held = session.get(HeldImport, held_id, populate_existing=True)
    cable = session.scalars(
        select(Cable).where(Cable.reference_id == held.reference_id)
        .execution_options(populate_existing=True)
    ).one()
    state = (held.status.value, held.row_version, cable.current_version, cable.level)
    session.rollback()
    return state


def _alike(body: str, number: int) -> str:
    body = re.sub(r'(name="csrf[-_]token" (?:content|value)=")[^"]*"', r'\1"', body)
    return re.sub(rf"(?<![0-9]){number}(?![0-9])", "<ID>", body)


# --------------------------------------------------------------------------- seeing


def test_the_held_list_and_its_count_show_nothing_above_clearance(as_user, world):
    low, _ = as_user("low")
    page = low.get("/held-imports").get_data(as_text=True)
    assert LOWER in page and "KOALAHELD" in page  # the one they are cleared for
    assert HIDDEN not in page and WORD not in page
    assert "(1)" in page
    dashboard = low.get("/dashboard").get_data(as_text=True)
    assert "Held imports (1)" in dashboard
    top, _ = as_user("top")
    page = top.get("/held-imports").get_data(as_text=True)
    assert HIDDEN in page and LOWER in page and "(2)" in page
    assert "Held imports (2)" in top.get("/dashboard").get_data(as_text=True)


def test_a_held_file_above_clearance_is_a_404_like_an_unknown_id_on_every_door(
    as_user, world, session
):
    low, token = as_user("low")
    before = _state(session, world["hidden"])
    for suffix, data in (("", None), ("/apply", {"row_version": "1"}),
                         ("/discard", {"row_version": "1", "reason": "spite"})):
        answers = []
        for number in (world["hidden"], UNKNOWN_HELD):
            url = f"/held-imports/{number}{suffix}"
            if data is None:
                response = low.get(url)
            else:
                response = low.post(url, data={**data, "csrf_token": token})
            answers.append((response.status_code, _alike(response.get_data(as_text=True),
                                                          number)))
        assert answers[0] == answers[1], suffix
        assert answers[0][0] == 404
        assert WORD not in answers[0][1]
    assert _state(session, world["hidden"]) == before
    # The same id is a page for a person cleared for it.
    top, _ = as_user("top")
    page = top.get(f"/held-imports/{world['hidden']}")
    assert page.status_code == 200 and WORD in page.get_data(as_text=True)


def test_a_held_file_whose_cable_was_raised_since_is_hidden_from_the_once_cleared(
    as_user, world, session, make_cable
):
    low, token = as_user("low")
    assert low.get(f"/held-imports/{world['lower']}").status_code == 200
    make_cable(LOWER, "SECRET", subject="RAISED")  # the cable is SECRET now
    session.rollback()  # on SQLite an open read holds the lock the next request needs
    assert "KOALAHELD" not in low.get("/held-imports").get_data(as_text=True)
    assert low.get(f"/held-imports/{world['lower']}").status_code == 404
    answer = low.post(f"/held-imports/{world['lower']}/apply",
                      data={"row_version": "1", "csrf_token": token})
    assert answer.status_code == 404
    assert _state(session, world["lower"])[0] == "held"


def test_without_the_reviewer_or_admin_role_held_imports_are_refused_whatever_the_id(
    as_user, world
):
    reader, token = as_user("reader")
    assert reader.get("/held-imports").status_code == 403
    for number in (world["hidden"], UNKNOWN_HELD):
        assert reader.get(f"/held-imports/{number}").status_code == 403
        answer = reader.post(f"/held-imports/{number}/apply",
                             data={"row_version": "1", "csrf_token": token})
        assert answer.status_code == 403
    assert "Held imports (" not in reader.get("/dashboard").get_data(as_text=True)


# --------------------------------------------------------------------------- acting


def test_a_cleared_person_sees_the_diff_and_applies_the_file_as_themselves(
    as_user, world, session
):
    top, token = as_user("top")
    page = top.get(f"/held-imports/{world['hidden']}").get_data(as_text=True)
    assert f"<ins>{WORD}</ins>" in page or re.search(rf"<ins>[^<]*{WORD}", page)
    assert "<del>ORIGINAL</del>" in page or re.search(r"<del>[^<]*ORIGINAL", page)
    answer = top.post(f"/held-imports/{world['hidden']}/apply",
                      data={"row_version": "1", "csrf_token": token})
    assert answer.status_code == 302
    status, _row_version, current, level = _state(session, world["hidden"])
    assert (status, current, level) == ("applied", 2, Level.SECRET)
    version = session.scalars(
        select(CableVersion).join(Cable).where(Cable.reference_id == HIDDEN,
                                               CableVersion.number == 2)
    ).one()
    assert WORD in version.text and version.imported_by_id == world["top"][0].id
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "held_import.apply")
    ).one()
    assert entry.actor_id == world["top"][0].id and '"new_version"' in entry.payload
    # Seeing the cable's text in the diff was put on record, as on the cable page.
    viewer = session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "cable.view"))
    assert viewer == world["top"][0].id
    session.rollback()
    # Gone from the list once decided.
    listing = top.get("/held-imports").get_data(as_text=True)
    assert f"Applied: {HIDDEN} is now at version 2." in listing  # the flash
    assert f"<td>{HIDDEN}</td>" not in listing and "(1)" in listing


def test_a_second_or_stale_decision_is_a_409_and_changes_nothing(as_user, world, session):
    top, token = as_user("top")
    stale = top.post(f"/held-imports/{world['hidden']}/apply",
                     data={"row_version": "7", "csrf_token": token})
    assert stale.status_code == 409
    assert _state(session, world["hidden"])[:3] == ("held", 1, 1)
    first = top.post(f"/held-imports/{world['hidden']}/discard",
                     data={"row_version": "1", "reason": "a garbled copy", "csrf_token": token})
    assert first.status_code == 302
    decided = _state(session, world["hidden"])
    # Decided: the row is no longer held, so for this person it is no longer there.
    for suffix, data in (("/apply", {"row_version": "2"}),
                         ("/discard", {"row_version": "2", "reason": "again"})):
        again = top.post(f"/held-imports/{world['hidden']}{suffix}",
                         data={**data, "csrf_token": token})
        assert again.status_code in (404, 409)
    assert _state(session, world["hidden"]) == decided


def test_a_decision_on_a_page_loaded_before_another_persons_is_a_409(
    session, world
):
    # Two cleared people load the page (row_version 1); the first decides, the second's
    # form still says 1: the service refuses it with a 409 (IllegalTransition or stale).
    from redactor.cables import held
    from redactor.errors import IllegalTransition, NotFound, StaleVersion

    top = session.get(type(world["top"][0]), world["top"][0].id)
    held.discard_held(session, top, world["hidden"], expected_row_version=1, reason="dup")
    session.commit()
    with pytest.raises((IllegalTransition, StaleVersion, NotFound)):
        held.apply_held(session, top, world["hidden"], expected_row_version=1,
                        max_bytes=MAX_BYTES)
    session.rollback()
    # Directly, bypassing the list filter, a decided row refuses a second decision.
    row = session.get(HeldImport, world["hidden"])
    with pytest.raises(IllegalTransition):
        held._check_state(row, row.row_version)
    session.rollback()


def test_discarding_needs_a_reason_and_is_audited_with_it(as_user, world, session):
    top, token = as_user("top")
    empty = top.post(f"/held-imports/{world['hidden']}/discard",
                     data={"row_version": "1", "reason": "  ", "csrf_token": token})
    assert empty.status_code == 422
    assert _state(session, world["hidden"])[0] == "held"
    done = top.post(f"/held-imports/{world['hidden']}/discard",
                    data={"row_version": "1", "reason": "a garbled copy", "csrf_token": token})
    assert done.status_code == 302
    assert _state(session, world["hidden"])[:3] == ("discarded", 2, 1)
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "held_import.discard")
    ).one()
    assert "a garbled copy" in entry.payload and entry.actor_id == world["top"][0].id
    session.rollback()


def test_the_decisions_are_withheld_from_a_low_auditor(
    app, as_user, world, session, make_user, login
):
    top, token = as_user("top")
    answer = top.post(f"/held-imports/{world['hidden']}/discard",
                      data={"row_version": "1", "reason": f"about {WORD}", "csrf_token": token})
    assert answer.status_code == 302
    _auditor, password = make_user("low-auditor", roles=[Role.AUDITOR],
                                   clearance=Level.CONFIDENTIAL)
    client = app.test_client()
    login(client, "low-auditor", password)
    log = client.get("/audit/").get_data(as_text=True)
    assert "held_import.discard" not in log and WORD not in log
    high, password = make_user("high-auditor", roles=[Role.AUDITOR], clearance=Level.SECRET)
    client = app.test_client()
    login(client, "high-auditor", password)
    assert "held_import.discard" in client.get("/audit/").get_data(as_text=True)


def test_a_refused_decision_on_a_held_file_is_recorded_for_cleared_auditors_only(
    app, as_user, world, session, make_user, login
):
    # A stale decision (409) by a cleared person is a refused attempt on record: tied to the
    # held file's cable, so that an auditor below the cable's level does not even learn that
    # a held file of that id exists.
    top, token = as_user("top")
    stale = top.post(f"/held-imports/{world['hidden']}/apply",
                     data={"row_version": "7", "csrf_token": token})
    assert stale.status_code == 409
    refused = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "access.refused")
        .execution_options(populate_existing=True)
    ).all()
    hidden_cable = session.scalar(select(Cable.id).where(Cable.reference_id == HIDDEN))
    assert [entry.cable_id for entry in refused] == [hidden_cable]
    _auditor, password = make_user("low-auditor", roles=[Role.AUDITOR],
                                   clearance=Level.CONFIDENTIAL)
    client = app.test_client()
    login(client, "low-auditor", password)
    log = client.get("/audit/?action=access.refused").get_data(as_text=True)
    assert str(world["hidden"]) not in log
