"""The cable list and the read-only cable page: clearance, escaping, audit, filters."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from redactor.models import AuditEntry, Cable
from redactor.review.policy import Level, Role
from tests.pages import without_csrf

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    "{{7*7191}}",
]


@pytest.fixture
def add_cable(session, make_cable):
    """``make_cable``, then end the read transaction it leaves open: on SQLite every
    transaction holds the write lock (BEGIN IMMEDIATE), which would block the requests."""

    def add(*args, **kwargs):
        cable = make_cable(*args, **kwargs)
        session.commit()
        return cable

    return add


@pytest.fixture
def reader(client, make_user, login):
    """A reviewer cleared to SECRET, logged in."""
    user, password = make_user("reader", roles=[Role.REVIEWER], clearance=Level.SECRET)
    login(client, "reader", password)
    return user


def _views(session) -> list[tuple[str, dict]]:
    rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "cable.view"))
    return [(row.object_id, json.loads(row.payload)) for row in rows]


def test_cable_text_is_escaped_on_the_cable_page(client, add_cable, reader):
    body = "1. (C) " + " ".join(PAYLOADS) + "\n\n2. (C) Second paragraph."
    add_cable("09XSS1", "CONFIDENTIAL", body=body, subject='<b>BOLD</b> "QUOTED"')
    page = client.get("/cables/09XSS1").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page and "<svg onload" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "{{7*7191}}" in page and "50337" not in page
    assert "<b>BOLD</b>" not in page


def test_cable_text_keeps_its_line_breaks(client, add_cable, reader):
    add_cable("09LINES1", "UNCLASSIFIED", body="1. (U) First line.\nSecond line.")
    page = client.get("/cables/09LINES1").get_data(as_text=True)
    assert "1. (U) First line.\nSecond line." in page


def test_cable_above_clearance_is_404_like_an_unknown_one(client, add_cable, reader):
    add_cable("09TOPS1", "TOP SECRET", subject="ZEPHYR UNSEEN")
    above = client.get("/cables/09TOPS1")
    unknown = client.get("/cables/09NOSUCH1")
    assert above.status_code == unknown.status_code == 404
    assert "ZEPHYR" not in above.get_data(as_text=True)
    assert without_csrf(above.get_data(as_text=True)).replace(
        "09TOPS1", "09NOSUCH1"
    ) == without_csrf(unknown.get_data(as_text=True))


def test_list_shows_only_cables_within_clearance(client, add_cable, reader):
    add_cable("09CONF1", "CONFIDENTIAL", subject="MARIGOLD VISIBLE")
    add_cable("09SECR1", "SECRET//NOFORN", subject="HEMLOCK VISIBLE")
    add_cable("09TOPS1", "TOP SECRET", subject="ZEPHYR UNSEEN")
    page = client.get("/cables").get_data(as_text=True)
    assert "09CONF1" in page and "09SECR1" in page and "MARIGOLD" in page
    assert "09TOPS1" not in page and "ZEPHYR" not in page
    assert "2 cables" in page


def test_search_never_returns_a_cable_above_clearance(client, add_cable, reader):
    add_cable("09CONF1", "CONFIDENTIAL", subject="SHARED WORD")
    add_cable("09TOPS1", "TOP SECRET", subject="SHARED WORD")
    page = client.get("/cables?q=shared").get_data(as_text=True)
    assert "09CONF1" in page and "09TOPS1" not in page
    assert "<mark>" in page


def test_filters_narrow_the_list(client, add_cable, reader):
    add_cable("09CONF1", "CONFIDENTIAL", origin="Embassy Alpha")
    add_cable("09UNCL1", "UNCLASSIFIED", origin="Embassy Beta")
    by_level = client.get("/cables?classification=UNCLASSIFIED").get_data(as_text=True)
    assert "09UNCL1" in by_level and "09CONF1" not in by_level
    by_origin = client.get("/cables?origin=Embassy+Alpha").get_data(as_text=True)
    assert "09CONF1" in by_origin and "09UNCL1" not in by_origin
    by_status = client.get("/cables?status=released").get_data(as_text=True)
    assert "09CONF1" not in by_status and "09UNCL1" not in by_status


def test_origin_menu_lists_no_origin_above_clearance(client, add_cable, reader):
    add_cable("09TOPS1", "TOP SECRET", origin="Embassy Hiddenland")
    assert "Hiddenland" not in client.get("/cables").get_data(as_text=True)


def test_list_is_paginated(client, add_cable, reader, monkeypatch):
    from redactor.web import cables

    monkeypatch.setattr(cables, "PAGE_SIZE", 2)
    for n in range(5):
        add_cable(f"09PAGE{n}", "UNCLASSIFIED")
    first = client.get("/cables").get_data(as_text=True)
    assert "Page 1 of 3" in first and 'rel="next"' in first
    third = client.get("/cables?page=3").get_data(as_text=True)
    assert third.count("/cables/09PAGE") == 1 and 'rel="next"' not in third


def test_viewing_a_classified_cable_is_audited(client, session, add_cable, reader):
    add_cable("09CONF1", "CONFIDENTIAL")
    add_cable("09UNCL1", "UNCLASSIFIED")
    client.get("/cables/09CONF1")
    client.get("/cables/09UNCL1")
    client.get("/cables/09TOPS9")
    views = _views(session)
    conf = session.scalar(select(Cable.id).where(Cable.reference_id == "09CONF1"))
    assert [object_id for object_id, _ in views] == [str(conf)]
    assert views[0][1]["classification"] == "CONFIDENTIAL"


def test_home_redirects_to_the_cable_list(client):
    assert client.get("/").headers["Location"] == "/cables"


def test_a_search_past_the_count_cap_says_more_than_and_pages_on(
    client, add_cable, reader, monkeypatch
):
    monkeypatch.setattr("redactor.cables.search.COUNT_CAP", 3)
    for number in range(1, 6):
        add_cable(f"09WOMBAT{number}", "SECRET", body=f"1. (S) Wombat number {number}.")
    monkeypatch.setattr("redactor.web.cables.PAGE_SIZE", 2)
    monkeypatch.setattr("redactor.web.cables.SEARCH_PAGE_SIZE", 2)
    first = client.get("/cables?q=wombat").get_data(as_text=True)
    assert "More than 3 cables" in first and "<span>Page 1</span>" in first
    assert 'rel="next"' in first
    last = client.get("/cables?q=wombat&page=3").get_data(as_text=True)
    assert last.count('href="/cables/09WOMBAT') == 1 and 'rel="next"' not in last
    listed = client.get("/cables").get_data(as_text=True)  # the list is capped alike
    assert "More than 3 cables" in listed


def test_search_results_come_twenty_a_page_and_the_list_fifty(client, add_cable, reader):
    for number in range(25):
        add_cable(f"09NUMBAT{number}", "UNCLASSIFIED", body=f"1. (U) Numbat count {number}.")
    found = client.get("/cables?q=numbat").get_data(as_text=True)
    assert found.count('href="/cables/09NUMBAT') == 20 and "Page 1 of 2" in found
    listed = client.get("/cables").get_data(as_text=True)
    assert listed.count('href="/cables/09NUMBAT') == 25 and "Page 1 of" not in listed
