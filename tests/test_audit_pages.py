"""The auditor's pages: who may see them, filters, paging, verify now, exports."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from redactor import audit
from redactor.models import AuditEntry
from redactor.review.policy import Level, Role
from tests.fixtures_accounts import find_csrf_token


@pytest.fixture
def auditor(make_user, login, client):
    user, password = make_user("audrey", roles=(Role.AUDITOR,))
    login(client, user.username, password)
    return user


def page_token(client) -> str:
    return find_csrf_token(client.get("/audit/").get_data(as_text=True))


def newest(session) -> tuple[str, str, dict]:
    row = session.execute(
        select(AuditEntry.action, AuditEntry.actor_name, AuditEntry.payload)
        .order_by(AuditEntry.seq.desc())
        .limit(1)
    ).one()
    session.rollback()
    return row.action, row.actor_name, json.loads(row.payload)


def note(session, action: str, subject=("", ""), data=None) -> None:
    audit.record(session, None, action, subject, data or {})
    session.commit()


@pytest.mark.parametrize("roles", [(Role.AUDITOR,), (Role.ADMIN,)])
def test_auditors_and_admins_see_the_log(make_user, login, client, roles):
    user, password = make_user("reader", roles=roles)
    login(client, user.username, password)
    response = client.get("/audit/")
    assert response.status_code == 200
    assert "user.create" in response.get_data(as_text=True)


@pytest.mark.parametrize("roles", [(Role.REVIEWER,), (Role.APPROVER,), (Role.RELEASE_AUTHORITY,)])
def test_other_roles_are_refused_every_audit_page(make_user, login, client, roles):
    user, password = make_user("someone", roles=roles)
    login(client, user.username, password)
    assert client.get("/audit/").status_code == 403
    token = find_csrf_token(client.get("/cables").get_data(as_text=True))
    assert client.post("/audit/verify", data={"csrf_token": token}).status_code == 403
    exported = client.post("/audit/export", data={"csrf_token": token, "format": "csv"})
    assert exported.status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/audit/")
    assert response.status_code in (302, 401)


def test_the_log_is_newest_first_and_filtered_by_user_action_and_object(auditor, client, session):
    note(session, "cable.view", ("cable", "09FIRST1"))
    note(session, "cable.view", ("cable", "09SECOND2"))
    page = client.get("/audit/").get_data(as_text=True)
    assert page.index("09SECOND2") < page.index("09FIRST1")

    by_object = client.get("/audit/?object=09FIRST1").get_data(as_text=True)
    assert "09FIRST1" in by_object and "09SECOND2" not in by_object
    by_action = client.get("/audit/?action=auth.login").get_data(as_text=True)
    assert "auth.login" in by_action and "09FIRST1" not in by_action
    by_user = client.get("/audit/?user=audrey").get_data(as_text=True)
    assert "auth.login" in by_user and "cable.view" not in by_user.split("<tbody>")[1]


def test_the_date_range_filter_is_inclusive_and_bad_dates_are_reported(auditor, client, session):
    note(session, "cable.view", ("cable", "09TODAY1"))
    today = session.scalar(select(AuditEntry.at).order_by(AuditEntry.seq.desc()).limit(1))
    session.rollback()
    day = today.date().isoformat()
    assert "09TODAY1" in client.get(f"/audit/?since={day}&until={day}").get_data(as_text=True)
    earlier = client.get("/audit/?until=2001-01-01").get_data(as_text=True)
    assert "09TODAY1" not in earlier
    bad = client.get("/audit/?since=yesterday").get_data(as_text=True)
    assert "not a date" in bad and "09TODAY1" in bad


def test_the_log_pages_through_older_entries(auditor, client, session):
    for number in range(60):
        audit.record(session, None, "cable.view", ("cable", f"09PAGE{number:03d}"))
    session.commit()
    first = client.get("/audit/?action=cable.view").get_data(as_text=True)
    assert "09PAGE059" in first and "09PAGE009" not in first
    older = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    second = client.get(older).get_data(as_text=True)
    assert "09PAGE009" in second and "09PAGE059" not in second
    assert 'rel="next"' not in second and 'rel="prev"' in second


def test_cable_entries_link_to_the_cable_page(auditor, client, session, make_cable):
    make_cable("09LINKED1", "UNCLASSIFIED")
    session.rollback()  # make_cable leaves a read open (on SQLite: the write lock)
    page = client.get("/audit/?object=09LINKED1").get_data(as_text=True)
    assert 'href="/cables/09LINKED1"' in page


def test_entries_about_a_cable_above_the_readers_clearance_do_not_exist_for_the_reader(
    make_user, login, client, session, make_cable
):
    # Changed with issue 13 (#7): such entries used to be listed "(withheld)"; now they are
    # left out entirely, of pages, the action menu and exports.
    hidden_id = make_cable("09HIDDEN1", "TOP SECRET").id
    # An entry naming the cable only in its payload, as a redaction's entries do.
    note(session, "redaction.propose", ("redaction", 7), {"cable_id": hidden_id, "why": "ZQXWHY"})
    note(session, "cable.view", ("cable", "09HIDDEN1"), {"note": "ZQXVIEW"})
    make_cable("09SHOWN1", "UNCLASSIFIED")
    session.rollback()
    user, password = make_user("lowaud", roles=(Role.AUDITOR,), clearance=Level.CONFIDENTIAL)
    login(client, user.username, password)
    page = client.get("/audit/").get_data(as_text=True)
    assert "cable.import" in page and "09SHOWN1" in page
    assert "redaction.propose" not in page and "cable.view" not in page
    assert "09HIDDEN1" not in page and "ZQXWHY" not in page and "ZQXVIEW" not in page
    searched = client.get("/audit/?object=09HIDDEN1").get_data(as_text=True)
    assert "No entries match." in searched  # as for an unknown reference id
    token = page_token(client)
    exported = client.post("/audit/export", data={"csrf_token": token, "format": "jsonl"})
    assert b"09HIDDEN1" not in exported.data and b"ZQXWHY" not in exported.data
    assert b"redaction.propose" not in exported.data and b"09SHOWN1" in exported.data


def test_verify_now_shows_ok_and_is_audited_after_the_result(auditor, client, session):
    response = client.post("/audit/verify", data={"csrf_token": page_token(client)})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "ok: " in body
    action, actor, payload = newest(session)
    assert (action, actor) == ("audit.verify", "audrey")
    assert payload["ok"] is True
    # The entry came after the check: the count it reports excludes itself.
    assert payload["head_seq"] == payload["count"]
    assert audit.chain_head_summary(session)["seq"] == payload["head_seq"] + 1


def test_verify_now_shows_the_first_bad_entry(auditor, client, session, database_url):
    note(session, "cable.view", ("cable", "09TAMPER1"))
    seq = audit.chain_head_summary(session)["seq"]
    session.rollback()
    token = page_token(client)
    if database_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        conn.execute("DROP TRIGGER audit_entries_no_update")
        conn.execute("UPDATE audit_entries SET object_id = 'x' WHERE seq = ?", (seq,))
        conn.close()
    else:
        engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("DROP TRIGGER audit_entries_no_change ON audit_entries"))
            conn.execute(text(f"UPDATE audit_entries SET object_id = 'x' WHERE seq = {seq}"))
        engine.dispose()
    body = client.post("/audit/verify", data={"csrf_token": token}).get_data(as_text=True)
    assert "does not verify" in body
    assert f"FAULT seq {seq}: mac mismatch" in body
    assert newest(session)[2]["ok"] is False


def test_verify_now_without_a_csrf_token_is_refused_and_not_audited(auditor, client, session):
    before = audit.chain_head_summary(session)
    session.rollback()
    assert client.post("/audit/verify").status_code == 400
    assert audit.chain_head_summary(session) == before


def test_verify_now_is_not_offered_on_get(auditor, client):
    assert client.get("/audit/verify").status_code == 405


def test_csv_export_neutralises_formula_cells_and_is_audited(auditor, client, session):
    for dangerous in ("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR"):
        audit.record(session, None, "cable.view", ("cable", dangerous), {"note": dangerous})
    session.commit()
    response = client.post(
        "/audit/export", data={"csrf_token": page_token(client), "format": "csv"}
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    objects = [row["object_id"] for row in rows if row["action"] == "cable.view"]
    assert objects == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\tTAB", "'\rCR"]
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    action, actor, payload = newest(session)
    assert (action, actor) == ("audit.export", "audrey")
    assert payload["format"] == "csv" and payload["count"] == len(rows)


def test_jsonl_export_keeps_the_filters_and_records_them(auditor, client, session):
    note(session, "cable.view", ("cable", "09ONLY1"))
    note(session, "cable.view", ("cable", "09OTHER2"))
    response = client.post(
        "/audit/export",
        data={"csrf_token": page_token(client), "format": "jsonl", "object": "09ONLY1"},
    )
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert [line["object_id"] for line in lines] == ["09ONLY1"]
    action, _actor, payload = newest(session)
    assert action == "audit.export"
    assert payload["filters"] == {"object": "09ONLY1"} and payload["count"] == 1


def test_an_unknown_export_format_is_refused_and_not_audited(auditor, client, session):
    token = page_token(client)
    before = audit.chain_head_summary(session)
    session.rollback()
    response = client.post("/audit/export", data={"csrf_token": token, "format": "xlsx"})
    assert response.status_code == 422
    assert audit.chain_head_summary(session) == before


def test_the_audit_pages_carry_no_inline_script_or_style(auditor, client):
    page = client.get("/audit/").get_data(as_text=True)
    assert "<script" not in page and "style=" not in page and "<style" not in page
