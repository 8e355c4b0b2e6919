"""Versions that keep the work: what a re-imported text takes over from the one before it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from redactor.models import (
    Cable,
    CableStatus,
    CarryOver,
    Decision,
    PortionReview,
    Redaction,
    RedactionStatus,
)
from redactor.review import carryover
from redactor.review.carryover import Pair, anchor, pair_portions
from redactor.review.policy import Role
from tests.test_api_support import Api, api_factory, issue_token, offsets_of

CABLE = "09CARRY1"
NAME = "QZJNAMEONE"
BODY = (
    "1. (C) Summary: Ambassador QZJNAMEONE met the minister on Tuesday.\n\n"
    "2. (C) Comment: nothing further to report. End comment.\n\n"
    "3. (C) The minister thanked QZJOTHER warmly."
)


@pytest.fixture
def crew(app, session, make_user):
    make_api = api_factory(app, session, make_user)
    user, _ = make_user("co-rita", roles=(Role.REVIEWER,))
    return {
        "proposer": Api(app.test_client(), issue_token(session, user), user),
        "approver": make_api("co-arne", roles=(Role.APPROVER,)),
    }


def _work(crew, make_cable, session, body=BODY):
    make_cable(CABLE, "CONFIDENTIAL", body=body)
    session.commit()  # make_cable's read ends: the API's requests write
    proposer, approver = crew["proposer"], crew["approver"]
    text = proposer.get(f"/api/v1/cables/{CABLE}").get_json()["text"]
    ids = {}
    for needle in (NAME, "QZJOTHER", "Tuesday"):
        start, end = offsets_of(text, needle)
        made = proposer.post(
            f"/api/v1/cables/{CABLE}/redactions",
            json={"start": start, "end": end, "codes": ["B6"]},
        )
        assert made.status_code == 201, made.get_json()
        ids[needle] = made.get_json()
    for needle in (NAME, "QZJOTHER"):
        r = ids[needle]
        ok = approver.post(f"/api/v1/redactions/{r['id']}/approve",
                           json={"version": r["row_version"]})
        assert ok.status_code == 200, ok.get_json()
    for index in range(3):
        assert proposer.post(f"/api/v1/cables/{CABLE}/portions/{index}/review").status_code in (
            200, 201)
    return ids


def _current(session):
    cable = session.scalars(
        select(Cable).where(Cable.reference_id == CABLE).execution_options(populate_existing=True)
    ).one()
    version = [v for v in cable.versions if v.number == cable.current_version][0]
    return cable, version


def test_a_one_character_correction_keeps_the_decisions_and_marks(crew, make_cable, session):
    _work(crew, make_cable, session)
    make_cable(CABLE, "CONFIDENTIAL", body=BODY.replace("nothing further", "nothing furthr"))
    cable, version = _current(session)
    assert version.number == 2
    moved = session.scalars(select(Redaction).where(Redaction.version_id == version.id)).all()
    assert sorted((version.text[r.start:r.end], r.status) for r in moved) == [
        (NAME, RedactionStatus.APPROVED), ("QZJOTHER", RedactionStatus.APPROVED),
        ("Tuesday", RedactionStatus.PENDING),
    ]
    for r in moved:
        for d in session.scalars(select(Decision).where(Decision.redaction_id == r.id)):
            assert d.approver_id == crew["approver"].user.id
            assert d.proposer_id == crew["proposer"].user.id
            assert (d.start, d.end) == (r.start, r.end)
    marks = {m.portion_index for m in session.scalars(
        select(PortionReview).where(PortionReview.version_id == version.id))}
    assert marks == {0, 2}  # the changed portion goes back to review
    assert cable.status == CableStatus.IN_REVIEW
    assert not any(i.needs_look for i in carryover.items_for(session, version.id))


def test_an_ambiguous_approved_span_is_left_behind_and_holds_the_release(
    crew, make_cable, session
):
    _work(crew, make_cable, session)
    changed = BODY.replace("thanked QZJOTHER warmly", "thanked QZJOTHER and QZJOTHER warmly")
    make_cable(CABLE, "CONFIDENTIAL", body=changed)
    cable, version = _current(session)
    left = [i for i in carryover.items_for(session, version.id) if i.needs_look]
    assert len(left) == 1 and "2 times" in left[0].reason
    old = session.get(Redaction, left[0].old_redaction_id)
    assert version.text.count("QZJOTHER") == 2 and old.status == RedactionStatus.APPROVED
    from redactor.review.service import outstanding_redactions
    assert old in outstanding_redactions(session, version, approvals_required=1)


def test_pairing_and_anchoring_are_plain_functions():
    pairs = pair_portions([(0, "a b c"), (1, "same")], [(0, "a b d"), (1, "same")])
    assert pairs == {0: Pair(0, False), 1: Pair(1, True)}
    old, new = "xx NAME yy", "xxx NAME yy"
    assert anchor(old, new, (3, 7), {0: (0, 10)}, {0: (0, 11)}, 0, Pair(0, False)) == (4, 8)
    assert isinstance(
        anchor(old, "NAME NAME", (3, 7), {0: (0, 10)}, {0: (0, 9)}, 0, Pair(0, False)), str
    )


def test_unchanged_text_writes_no_carry_over(crew, make_cable, session):
    _work(crew, make_cable, session)
    make_cable(CABLE, "CONFIDENTIAL", body=BODY)
    assert session.scalars(select(CarryOver)).all() == []


# --------------------------------------------------------------------------- the pages


@pytest.fixture
def browser_user(app, make_user, login):
    def make(name, roles):
        user, password = make_user(name, roles=roles)
        client = app.test_client()
        login(client, name, password)
        return client, user
    return make


def test_the_cable_page_shows_the_banner_with_links_to_the_old_version_and_the_diff(
    crew, make_cable, session, browser_user
):
    _work(crew, make_cable, session)
    make_cable(CABLE, "CONFIDENTIAL", body=BODY.replace("nothing further", "nothing furthr"))
    session.commit()
    client, _ = browser_user("co-vera", (Role.REVIEWER,))
    page = client.get(f"/cables/{CABLE}").get_data(as_text=True)
    assert "Version 2 replaces version 1" in page
    assert "Carried over: 3 redactions" in page and "2 reviewed marks" in page
    assert f"/cables/{CABLE}/versions/1" in page and f"/cables/{CABLE}/diff?from=1&amp;to=2" in page
    old = client.get(f"/cables/{CABLE}/versions/1")
    assert old.status_code == 200 and "nothing further" in old.get_data(as_text=True)
    diff = client.get(f"/cables/{CABLE}/diff?from=1&to=2").get_data(as_text=True)
    assert "version 1 against version 2" in diff and "furthr" in diff
    history = client.get(f"/cables/{CABLE}/versions").get_data(as_text=True)
    assert "Version 1" in history and "Version 2" in history and "(current)" in history
    assert client.get(f"/cables/{CABLE}?version=1").headers["Location"].endswith(
        f"/cables/{CABLE}/versions/1")
    released = client.get(f"/cables/{CABLE}/diff").get_data(as_text=True)
    assert "original against releasable" in released


def test_an_approver_resolves_a_left_behind_redaction_and_the_cable_can_be_ready(
    crew, make_cable, session, browser_user
):
    _work(crew, make_cable, session)
    # The correction drops the name from its portion: nothing to anchor to, so the redaction
    # is left behind, and one approver may resolve it (the text is printed nowhere). While the
    # text is still printed, resolving is refused (tests/security/test_versions.py).
    changed = BODY.replace("thanked QZJOTHER warmly", "thanked the aide warmly")
    make_cable(CABLE, "CONFIDENTIAL", body=changed)
    session.commit()
    client, _ = browser_user("co-olga", (Role.APPROVER,))
    page = client.get(f"/cables/{CABLE}").get_data(as_text=True)
    assert "Needs a new look" in page and "the release waits" in page
    from tests.fixtures_accounts import find_csrf_token
    _, version = _current(session)
    (item,) = [i for i in carryover.items_for(session, version.id) if i.needs_look]
    session.commit()
    done = client.post(f"/cables/{CABLE}/carry-over/{item.id}/resolve",
                       data={"csrf_token": find_csrf_token(page)})
    assert done.status_code == 302
    page = client.get(f"/cables/{CABLE}").get_data(as_text=True)
    assert "looked at by co-olga" in page
    again = client.post(f"/cables/{CABLE}/carry-over/{item.id}/resolve",
                        data={"csrf_token": find_csrf_token(page)})
    assert again.status_code == 409
