"""The audit promise, tried as an attacker would (issue 13).

The audit MACs the bytes it stores (someone holding the database file rewrites a payload so
that it parses the same: verification must still fail and name the entry); shows auditors
nothing about cables above their clearance (entries about a hidden cable's redactions do not
exist for them, in pages, filters, exports or the API); records the views that search
snippets and the API diff are; records refused attempts as actions of their own, without
becoming an oracle; and keeps rejection reasons readable by auditors cleared for the cable.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from redactor import audit
from redactor.models import AuditEntry, Cable
from redactor.redaction import service as redactions
from redactor.review.policy import Level, Role
from tests.conftest import TEST_AUDIT_KEY
from tests.fixtures_accounts import find_csrf_token
from tests.test_api_support import BODY, api_factory, offsets_of

NAME = "QZJNAMEONE"
REASON = "QZJREASON the name is already public"
KEY = bytes.fromhex(TEST_AUDIT_KEY)


@pytest.fixture
def make_api(app, session, make_user):
    return api_factory(app, session, make_user)


def _lift_append_only(session) -> None:
    """What someone holding the database file does first: drop the append-only trigger."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DROP TRIGGER audit_entries_no_update"))
    else:
        session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change"))


def _rewrite_payload(session, seq: int, payload: str) -> None:
    _lift_append_only(session)
    session.execute(text("UPDATE audit_entries SET payload = :p WHERE seq = :s"),
                    {"p": payload, "s": seq})
    session.commit()


def _entries(session, action: str | None = None, after: int = 0) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq)
    if action:
        query = query.where(AuditEntry.action == action)
    rows = list(session.scalars(query))
    session.rollback()  # on SQLite a read holds the write lock the next request needs
    return rows


def _head(session) -> int:
    seq = session.scalar(select(func.coalesce(func.max(AuditEntry.seq), 0)))
    session.rollback()
    return seq


# ------------------------------------------------------------------ #10 MAC over stored bytes


@pytest.mark.parametrize(
    "rewrite",
    [
        pytest.param(lambda _stored: '{"username":"admin","username":"mallory"}', id="duplicate"),
        pytest.param(lambda stored: json.dumps(json.loads(stored), indent=2), id="reindent"),
    ],
)
def test_a_payload_rewritten_to_parse_the_same_fails_verification_naming_it(
    session, rewrite, make_user, login, client
):
    audit.record(session, None, "setup")
    entry = audit.record(session, None, "user.create", ("user", 9), {"username": "mallory"})
    audit.record(session, None, "after")
    session.commit()
    seq, stored = entry.seq, entry.payload
    forged = rewrite(stored)
    assert json.loads(forged) == json.loads(stored) and forged != stored
    _rewrite_payload(session, seq, forged)

    report = audit.verify(session, KEY)
    session.rollback()
    assert not report.ok
    assert report.first_fault.seq == seq, report.summary()
    assert f"seq {seq}" in report.summary()
    # The auditor's "verify now" names the same entry.
    auditor, password = make_user("auditor-v", roles=(Role.AUDITOR,))
    login(client, auditor.username, password)
    token = find_csrf_token(client.get("/audit/").get_data(as_text=True))
    page = client.post("/audit/verify", data={"csrf_token": token}).get_data(as_text=True)
    assert f"seq {seq}" in page and "FAULT" in page


def _legacy_mac(prev_mac: str, row: dict) -> str:
    """The MAC as the code before issue 13 computed it: over the *parsed* payload."""
    body = {name: row[name] for name in (
        "seq", "actor_id", "actor_name", "action", "object_type", "object_id", "client_addr")}
    body["at"] = row["at"].isoformat(timespec="microseconds")
    body["payload"] = json.loads(row["payload"])
    message = prev_mac + json.dumps(body, sort_keys=True, separators=(",", ":"),
                                    ensure_ascii=False)
    return hmac.new(KEY, message.encode("utf-8"), hashlib.sha256).hexdigest()


def _insert_legacy(session, count: int) -> None:
    prev = audit.GENESIS_MAC
    for seq in range(1, count + 1):
        row = {
            "seq": seq, "at": datetime(2026, 1, 1, 12, 0, seq, tzinfo=UTC), "actor_id": None,
            "actor_name": "old", "action": "cable.view", "object_type": "cable",
            "object_id": f"09OLD{seq}", "client_addr": "",
            "payload": audit.canonical_json({"n": seq, "note": "Žluťoučký kůň"}),
        }
        row["prev_mac"] = prev
        row["mac"] = prev = _legacy_mac(prev, row)
        session.add(AuditEntry(**row))
    session.commit()


def test_entries_written_by_the_old_code_still_verify_and_still_catch_rewrites(session):
    _insert_legacy(session, 3)
    audit.record(session, None, "new.entry", ("cable", "09NEW1"), {"x": 1})
    session.commit()
    report = audit.verify(session, KEY)
    assert report.ok, report.summary()
    session.rollback()
    _rewrite_payload(session, 2, '{"n":99,"n":2,"note":"Žluťoučký kůň"}')
    report = audit.verify(session, KEY)
    assert not report.ok and report.first_fault.seq == 2, report.summary()


def test_moving_an_entry_to_another_cable_fails_verification(session, make_cable):
    make_cable("09MOVE1", "TOP SECRET")
    other = make_cable("09MOVE2", "UNCLASSIFIED")
    session.commit()
    seq = _head(session)  # the import of 09MOVE2
    _lift_append_only(session)
    session.execute(text("UPDATE audit_entries SET cable_id = NULL WHERE seq = :s"), {"s": seq})
    session.commit()
    report = audit.verify(session, KEY)
    assert not report.ok and report.first_fault.seq == seq, report.summary()
    assert other.id


# ------------------------------------------------------------------ #7 hidden cables' entries


def _hidden_redaction_history(session, make_cable, make_user):
    """A TOP SECRET cable whose proposal was rejected with a reason, then another approved."""
    secret = make_cable("09TSAUDIT1", "TOP SECRET", body=BODY.replace("(C)", "(TS)"))
    proposer, _ = make_user("ts-proposer", roles=(Role.REVIEWER,))
    approver, _ = make_user("ts-approver", roles=(Role.APPROVER,))
    start, end = offsets_of(secret.versions[-1].text, NAME)
    first = redactions.propose(session, proposer, secret, start=start, end=end, codes=["B6"])
    redactions.reject(session, approver, first, expected_row_version=first.row_version,
                      reason=REASON)
    second = redactions.propose(session, proposer, secret, start=start, end=end, codes=["B6"])
    redactions.approve(session, approver, second, expected_row_version=second.row_version)
    session.commit()
    return secret


def test_a_low_auditor_sees_nothing_of_a_hidden_cables_redactions_anywhere(
    session, make_cable, make_user, login, client, make_api
):
    _hidden_redaction_history(session, make_cable, make_user)
    low, password = make_user("low-auditor", roles=(Role.AUDITOR,), clearance=Level.SECRET)
    login(client, low.username, password)
    pages = [
        client.get("/audit/").get_data(as_text=True),
        client.get("/audit/?action=redaction.reject").get_data(as_text=True),
        client.get("/audit/?object=09TSAUDIT1").get_data(as_text=True),
        client.get("/audit/?user=ts-approver").get_data(as_text=True),
    ]
    token = find_csrf_token(pages[0])
    for fmt in ("csv", "jsonl"):
        exported = client.post("/audit/export", data={"csrf_token": token, "format": fmt})
        assert exported.status_code == 200
        pages.append(exported.get_data(as_text=True))
    api = make_api("low-auditor-api", roles=(Role.AUDITOR,), clearance=Level.SECRET)
    pages.append(api.get("/api/v1/audit?limit=200").get_data(as_text=True))
    pages.append(api.get("/api/v1/audit?action=redaction.approve").get_data(as_text=True))
    for index, body in enumerate(pages):
        if index not in (1, 2, 7):  # those pages echo the filter the auditor typed
            assert "redaction.reject" not in body and "redaction.approve" not in body
            assert "redaction.propose" not in body and "09TSAUDIT1" not in body
        assert "QZJREASON" not in body and "reason_sha256" not in body
        assert '"start"' not in body and "B6" not in body
    assert "No entries match." in pages[1] and "No entries match." in pages[2]
    assert json.loads(pages[7])["items"] == []


def test_a_cleared_auditor_reads_the_reason_of_a_rejection(
    session, make_cable, make_user, make_api
):
    _hidden_redaction_history(session, make_cable, make_user)
    high = make_api("ts-auditor", roles=(Role.AUDITOR,), clearance=Level.TOP_SECRET)
    items = high.get("/api/v1/audit?action=redaction.reject").get_json()["items"]
    assert [item["payload"]["reason"] for item in items] == [REASON]


# ------------------------------------------------------------------ #8 views through the API


def test_the_api_diff_and_search_snippets_are_recorded_as_views(
    session, make_cable, make_user, login, client, make_api
):
    snip = str(make_cable("09SNIP1", "SECRET", body=BODY.replace("(C)", "(S)")).id)
    session.commit()
    reader = make_api("snippet-reader", roles=(Role.REVIEWER,), clearance=Level.SECRET)
    before = _head(session)
    assert reader.get("/api/v1/cables/09SNIP1/diff").status_code == 200
    views = _entries(session, "cable.view", before)
    assert [(v.actor_name, v.object_id) for v in views] == [("snippet-reader", snip)]

    before = _head(session)
    found = reader.get("/api/v1/cables?q=QZJNAMEONE").get_json()
    assert NAME in json.dumps(found["items"][0]["snippet"])
    views = _entries(session, "cable.view", before)
    assert [(v.object_id, json.loads(v.payload)["via"]) for v in views] == [(snip, "search")]

    user, password = make_user("web-reader", roles=(Role.REVIEWER,), clearance=Level.SECRET)
    login(client, user.username, password)
    before = _head(session)
    page = client.get("/cables?q=QZJNAMEONE").get_data(as_text=True)
    assert NAME in page
    views = _entries(session, "cable.view", before)
    assert [(v.actor_name, v.object_id) for v in views] == [("web-reader", snip)]


# ------------------------------------------------------------------ refused attempts


def test_refused_attempts_are_recorded_as_actions_of_their_own(
    session, make_cable, make_user, login, client, make_api
):
    cable = make_cable("09REFUSE1", "CONFIDENTIAL", body=BODY)
    start, end = offsets_of(cable.versions[-1].text, NAME)
    make_cable("09REFUSE2", "TOP SECRET")
    session.commit()
    both = make_api("both-hats", roles=(Role.REVIEWER, Role.APPROVER), clearance=Level.SECRET)
    made = both.post("/api/v1/cables/09REFUSE1/redactions",
                     json={"start": start, "end": end, "codes": ["B6"]}).get_json()
    rid = made["id"]

    before = _head(session)
    # A self-approval (403), a stale decision (409), a release without the role (403), a
    # cable above the caller's clearance (404).
    assert both.post(f"/api/v1/redactions/{rid}/approve",
                     json={"version": made["row_version"]}).status_code == 403
    assert both.post(f"/api/v1/redactions/{rid}/withdraw",
                     json={"version": made["row_version"] + 5}).status_code == 409
    assert both.post("/api/v1/cables/09REFUSE1/releases", json={}).status_code == 403
    assert both.get("/api/v1/cables/09REFUSE2").status_code == 404
    # A non-admin at an admin page (403), in the browser.
    user, password = make_user("not-admin", roles=(Role.REVIEWER,))
    login(client, user.username, password)
    assert client.get("/admin/users").status_code == 403

    refused = [e for e in _entries(session, after=before) if e.action.startswith("access.")]
    got = [(e.action, e.actor_name, json.loads(e.payload)["status"]) for e in refused]
    assert got == [
        ("access.refused", "both-hats", 403),
        ("access.refused", "both-hats", 409),
        ("access.refused", "both-hats", 403),
        ("access.not_found", "both-hats", 404),
        ("access.refused", "not-admin", 403),
    ]
    assert json.loads(refused[0].payload)["path"] == f"/api/v1/redactions/{rid}/approve"
    hidden_id = session.scalar(select(Cable.id).where(Cable.reference_id == "09REFUSE2"))
    session.rollback()
    assert refused[3].cable_id == hidden_id
    # Nothing the refused requests tried was kept, and the chain is sound.
    assert _entries(session, "redaction.approve") == []
    assert audit.verify(session, KEY).ok


def test_a_refusal_entry_is_no_existence_oracle(session, make_cable, make_api):
    make_cable("09ORACLE1", "TOP SECRET")
    session.commit()
    low = make_api("low-prober", roles=tuple(Role), clearance=Level.CONFIDENTIAL)
    before_log = low.get("/api/v1/audit?limit=200").get_json()["items"]
    answers = [low.get(f"/api/v1/cables/{ref}") for ref in ("09ORACLE1", "09NOSUCH9")]
    assert answers[0].status_code == answers[1].status_code == 404
    assert answers[0].get_json() == answers[1].get_json()
    after_log = low.get("/api/v1/audit?limit=200").get_json()["items"]
    # Both attempts are on record, and neither is visible to the prober (an auditor too).
    recorded = _entries(session, "access.not_found")
    assert len(recorded) == 2
    new = [item for item in after_log if item["seq"] not in {i["seq"] for i in before_log}]
    assert all(item["action"] != "access.not_found" for item in new)
    assert "09ORACLE1" not in json.dumps(after_log) and "09NOSUCH9" not in json.dumps(after_log)
    top = make_api("top-auditor", roles=(Role.AUDITOR,), clearance=Level.TOP_SECRET)
    seen = top.get("/api/v1/audit?action=access.not_found").get_json()["items"]
    assert {item["payload"]["path"] for item in seen} == {
        "/api/v1/cables/09ORACLE1", "/api/v1/cables/09NOSUCH9"}


def test_migration_0011_hides_the_old_entries_about_a_hidden_cables_redactions(tmp_path):
    # A database written before the column existed: an entry about a redaction of a TOP
    # SECRET cable names the cable only through the redaction.
    from sqlalchemy import create_engine

    from redactor.migrations import upgrade_database

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade_database(url, "0007")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO users (id, username, display_name, password_hash, clearance, active, "
            "session_version, created_at) VALUES (1, 'old', '', 'x', 3, 1, 1, "
            "CURRENT_TIMESTAMP)"))
        conn.execute(text(
            "INSERT INTO cables (id, reference_id, classification, level, origin, subject, "
            "tags, status, current_version, imported_at, row_version) VALUES (1, '09OLDTS1', "
            "'TOP SECRET', 3, '', '', '', 'new', 1, CURRENT_TIMESTAMP, 1)"))
        conn.execute(text(
            "INSERT INTO cable_versions (id, cable_id, number, text, sha256, parsed, "
            "source_name, imported_at) VALUES (1, 1, 1, 'x', :h, '{}', 'old.txt', "
            "CURRENT_TIMESTAMP)"), {"h": "0" * 64})
        conn.execute(text(
            "INSERT INTO redactions (id, cable_id, version_id, start, \"end\", codes, "
            "rationale, status, proposer_id, revision, row_version, created_at, updated_at) "
            "VALUES (5, 1, 1, 0, 1, '[]', '', 'pending', 1, 1, 1, CURRENT_TIMESTAMP, "
            "CURRENT_TIMESTAMP)"))
        conn.execute(text(
            "INSERT INTO audit_entries (seq, at, actor_id, actor_name, action, object_type, "
            "object_id, payload, client_addr, prev_mac, mac) VALUES (1, CURRENT_TIMESTAMP, "
            "NULL, 'old', 'redaction.reject', 'redaction', '5', '{}', '', :g, :m)"),
            {"g": audit.GENESIS_MAC, "m": "1" * 64})
    upgrade_database(url)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT cable_id FROM audit_entries")).scalar() == 1
        # The append-only trigger is back.
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("UPDATE audit_entries SET cable_id = NULL"))
    engine.dispose()


def test_every_entry_about_a_cable_names_it_by_the_same_object_id(session, make_api):
    """A view, an import and a status change of one cable name the same object: an auditor
    who follows one cable's entries by their object id finds all of them."""
    from tests.fixtures_store import cable_text

    importer = make_api("same-id", roles=(Role.REVIEWER,), clearance=Level.SECRET)
    text = cable_text("09SAMEID1", "SECRET")
    assert importer.post("/api/v1/cables", json={"cables": [{"name": "s.txt", "text": text}]}
                         ).get_json()["ok"]
    assert importer.get("/api/v1/cables/09SAMEID1").status_code == 200
    assert importer.get("/api/v1/cables?q=09SAMEID1").status_code == 200
    index = importer.get("/api/v1/cables/09SAMEID1").get_json()["portions"][0]["index"]
    assert importer.post(f"/api/v1/cables/09SAMEID1/portions/{index}/review").status_code == 200
    cable = session.scalars(select(Cable).where(Cable.reference_id == "09SAMEID1")).one()
    entries = session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "cable")
    ).all()
    session.rollback()
    actions = {entry.action for entry in entries}
    assert {"cable.import", "cable.view", "cable.status"} <= actions, actions
    assert {entry.object_id for entry in entries} == {str(cable.id)}
    assert {entry.cable_id for entry in entries} == {cable.id}
