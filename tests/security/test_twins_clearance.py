"""Twins, attacked: a reader never learns of a twin above their clearance.

The attacker: a CONFIDENTIAL reviewer whose CONFIDENTIAL cable has a SECRET twin (the same
paragraph, with an approved redaction there). They must see "also in 0 cables" exactly as
on a portion with no twin, no id and no count of the SECRET cable on the cable page or in
the list, and the apply route must answer a hidden twin, and any route for a hidden cable,
exactly as an unknown one. A held import (a file naming the hidden cable) indexes nothing.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from redactor.cables.service import import_cable
from redactor.consistency.models import TwinBand, TwinPortion
from redactor.redaction import service as redaction_service
from redactor.review.policy import Level, Role
from tests.fixtures_accounts import find_csrf_token
from tests.fixtures_store import MAX_BYTES, cable_text
from tests.test_twins import NAME, OTHER, P1, P2

SECRET = "09ZQXTWINS1"  # the hidden twin
LOW = "09ZQXTWINC2"  # the attacker's cable, CONFIDENTIAL, a copy of the secret one
ALONE = "09ZQXTWINN3"  # CONFIDENTIAL, no twin anywhere
OWN = (
    "2. (C) The delegation then visited the new desalination plant north of the capital, "
    "where engineers described delays in the delivery of membranes and pumps from abroad."
)
LONE = (
    "2. (C) Farmers in the southern valleys reported a second poor harvest, and the "
    "agriculture ministry promised seed loans that local councils say have not yet arrived."
)


@pytest.fixture
def world(session, make_cable, make_user):
    top, _ = make_user("twin-top", roles=[Role.REVIEWER], clearance=Level.SECRET)
    boss, _ = make_user("twin-boss", roles=[Role.APPROVER], clearance=Level.SECRET)
    low, secret = make_user("twin-low", roles=[Role.REVIEWER], clearance=Level.CONFIDENTIAL)
    hidden = make_cable(SECRET, "SECRET", body=f"{P1.replace('(C)', '(S)')}\n\n{P2}")
    start = hidden.versions[0].text.index(NAME)
    r = redaction_service.propose(session, top, hidden, start=start, end=start + len(NAME),
                                  codes=["B6"])
    session.flush()
    redaction_service.approve(session, boss, r, expected_row_version=r.row_version)
    session.commit()
    make_cable(LOW, "CONFIDENTIAL", body=f"{P1}\n\n{OWN}")
    make_cable(ALONE, "CONFIDENTIAL", body=f"{OTHER}\n\n{LONE}")
    assert session.scalar(select(func.count()).select_from(TwinPortion)) > 0
    session.rollback()  # no read transaction left open while the app writes
    return {"low": ("twin-low", secret)}


@pytest.fixture
def low_client(app, world, login):
    client = app.test_client()
    login(client, *world["low"])
    return client


def _twin_blocks(page: str) -> list[str]:
    return re.findall(r'<details class="twins".*?</details>', page, flags=re.S)


def test_a_hidden_twin_reads_as_no_twin_on_the_cable_page(low_client):
    page = low_client.get(f"/cables/{LOW}").get_data(as_text=True)
    control = low_client.get(f"/cables/{ALONE}").get_data(as_text=True)
    assert _twin_blocks(page) and _twin_blocks(page) == _twin_blocks(control)
    assert "Also in 0 cables" in page
    assert SECRET not in page and "B6" not in page.split('id="propose"')[0]
    assert "Duplicate of" not in page and "also sent as" not in page


def test_the_list_names_no_hidden_duplicate(low_client):
    page = low_client.get("/cables").get_data(as_text=True)
    assert LOW in page and SECRET not in page and "duplicate of" not in page.lower()


def _post(client, url: str, data: dict) -> tuple[int, str]:
    token = find_csrf_token(client.get(f"/cables/{LOW}").get_data(as_text=True))
    response = client.post(url, data={**data, "csrf_token": token})
    body = re.sub(r'(name="csrf[-_]token" (?:content|value)=")[^"]*"', r'\1"',
                  response.get_data(as_text=True))
    return response.status_code, body


def test_applying_a_hidden_twin_is_answered_as_an_unknown_one(low_client, session):
    form = {"twin_portion": "0", "version": "1"}
    url = f"/cables/{LOW}/portions/0/twins/apply"
    hidden = _post(low_client, url, {**form, "twin": SECRET})
    unknown = _post(low_client, url, {**form, "twin": "09NOSUCH1"})
    assert hidden[0] == unknown[0] == 404 and hidden[1] == unknown[1]
    on_hidden = _post(low_client, f"/cables/{SECRET}/portions/0/twins/apply",
                      {**form, "twin": LOW})
    on_unknown = _post(low_client, "/cables/09NOSUCH2/portions/0/twins/apply",
                       {**form, "twin": LOW})
    assert on_hidden[0] == on_unknown[0] == 404 and on_hidden[1] == on_unknown[1]
    assert SECRET not in hidden[1]


@pytest.mark.parametrize("form", [
    {"twin": "x", "twin_portion": "-1", "version": "1"},
    {"twin": "x", "twin_portion": "99999999999999", "version": "1"},
    {"twin": "x\x00", "twin_portion": "0", "version": "1"},
    {"twin_portion": "0", "version": "abc"},
])
def test_hostile_forms_are_refused_without_a_500(low_client, form):
    status, _ = _post(low_client, f"/cables/{LOW}/portions/0/twins/apply", form)
    assert 400 <= status < 500


def test_a_held_import_indexes_nothing(session, world, make_user):
    sender, _ = make_user("twin-sender", roles=[Role.REVIEWER], clearance=Level.CONFIDENTIAL)
    before = session.scalar(select(func.count()).select_from(TwinBand))
    pairs = session.scalar(select(func.count()).select_from(TwinPortion))
    text = cable_text(SECRET, "CONFIDENTIAL", body=f"{P1}\n\n{P2}")
    outcome = import_cable(session, sender, "guess.txt", text.encode(), max_bytes=MAX_BYTES)
    session.commit()
    assert outcome.status.value == "imported" and outcome.version == 1
    assert session.scalar(select(func.count()).select_from(TwinBand)) == before
    assert session.scalar(select(func.count()).select_from(TwinPortion)) == pairs
