"""The audit chain shows every kind of tampering, and names the first entry it touched.

Tampering is done the way an attacker with raw access to the database would do it: the
append-only triggers are dropped first, then rows are edited with plain SQL, outside the
application. Checkpoints (signed outside the database) are what reveal a shortened log.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from datetime import datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, delete, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from redactor import audit
from redactor.models import AuditEntry

OTHER_KEY = bytes.fromhex("a7" * 32)


class RawAccess:
    """Plain SQL on the test database, with the append-only triggers dropped."""

    def __init__(self, database_url: str) -> None:
        self.sqlite = database_url.startswith("sqlite")
        if self.sqlite:
            self.conn = sqlite3.connect(make_url(database_url).database, isolation_level=None)
            self.conn.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
            self.conn.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
        else:
            self.engine = create_engine(database_url, isolation_level="AUTOCOMMIT")
            self.conn = self.engine.connect()
            self.conn.execute(text("DROP TRIGGER audit_entries_no_change ON audit_entries"))

    def execute(self, sql: str, params: dict | None = None) -> None:
        if self.sqlite:
            self.conn.execute(sql, params or {})
        else:
            self.conn.execute(text(sql), params or {})

    def rows(self) -> list[dict]:
        sql = "SELECT * FROM audit_entries ORDER BY seq"
        if self.sqlite:
            cursor = self.conn.execute(sql)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor]
        return [dict(row._mapping) for row in self.conn.execute(text(sql))]

    def replace_all(self, rows: list[dict]) -> None:
        """Put the table back to ``rows``: what restoring an older copy does to the log."""
        self.execute("DELETE FROM audit_entries")
        for row in rows:
            names = ", ".join(row)
            values = ", ".join(f":{name}" for name in row)
            self.execute(f"INSERT INTO audit_entries ({names}) VALUES ({values})", row)

    def close(self) -> None:
        self.conn.close()
        if not self.sqlite:
            self.engine.dispose()


@pytest.fixture
def raw(database_url, session):
    """Attacker's access; the application session is ended first so it holds no lock."""
    session.rollback()
    access = RawAccess(database_url)
    yield access
    access.close()


@pytest.fixture
def key(session) -> bytes:
    return session.info["audit_key"]


def append(session, count: int, action: str = "cable.view") -> None:
    start = audit.chain_head_summary(session)["seq"]
    for number in range(start + 1, start + count + 1):
        audit.record(session, None, action, ("cable", f"09CABLE{number}"), {"n": number})
    session.commit()


def check(session, key: bytes, **kwargs) -> audit.VerifyReport:
    report = audit.verify(session, key, **kwargs)
    session.rollback()  # release the read (and, on SQLite, the write lock)
    return report


def checkpoint(session, app) -> audit.Checkpoint:
    path = audit.write_checkpoint(session, app.instance_path)
    session.rollback()
    return audit.load_checkpoint(path, audit.instance_public_key(app.instance_path))


def remac(key: bytes, row: dict, prev_mac: str) -> str:
    fields = {name: value for name, value in row.items() if name != "mac"}
    if isinstance(fields["at"], str):  # SQLite hands back the stored text
        fields["at"] = datetime.fromisoformat(fields["at"])
    entry = AuditEntry(**fields)
    return audit.compute_mac(key, prev_mac, audit.entry_body(entry))


def test_an_untouched_chain_verifies_with_its_head(session, key):
    append(session, 5)
    report = check(session, key)
    assert report.ok, report.summary()
    assert (report.count, report.head_seq) == (5, 5)
    assert report.head_mac == audit.head(session).mac
    assert report.summary().startswith("ok: 5 entries, head seq 5 mac ")


def test_an_empty_chain_verifies(session, key):
    report = check(session, key)
    assert report.ok and report.count == 0 and report.head_mac == audit.GENESIS_MAC


def test_entries_link_to_their_predecessor_from_the_genesis_mac(session):
    append(session, 3)
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_mac == audit.GENESIS_MAC
    assert [e.prev_mac for e in entries[1:]] == [e.mac for e in entries[:-1]]


def test_an_edited_payload_is_named_as_a_mac_mismatch_at_its_entry(session, key, raw):
    append(session, 6)
    raw.execute("UPDATE audit_entries SET payload = :p WHERE seq = 3", {"p": '{"n":33}'})
    report = check(session, key)
    assert not report.ok
    assert (report.first_fault.seq, report.first_fault.kind) == (3, "mac mismatch")
    assert len(report.faults) == 1  # the entries after it still link to what is stored


def test_an_edited_actor_is_named_as_a_mac_mismatch_at_its_entry(session, key, raw):
    append(session, 6)
    raw.execute("UPDATE audit_entries SET actor_name = 'someone_else' WHERE seq = 4")
    report = check(session, key)
    assert (report.first_fault.seq, report.first_fault.kind) == (4, "mac mismatch")
    assert "FAULT seq 4: mac mismatch" in report.summary()


def test_an_edited_time_is_detected(session, key, raw):
    append(session, 3)
    raw.execute("UPDATE audit_entries SET at = :at WHERE seq = 2", {"at": "2001-01-01 00:00:00"})
    assert check(session, key).first_fault.seq == 2


def test_a_deleted_middle_entry_is_named_as_a_gap(session, key, raw):
    append(session, 6)
    raw.execute("DELETE FROM audit_entries WHERE seq = 3")
    report = check(session, key)
    fault = report.first_fault
    assert (fault.seq, fault.kind) == (4, "sequence gap")
    assert "seq 3 missing" in fault.detail


def test_a_deleted_first_entry_is_named(session, key, raw):
    append(session, 3)
    raw.execute("DELETE FROM audit_entries WHERE seq = 1")
    fault = check(session, key).first_fault
    assert (fault.seq, fault.kind) == (2, "sequence gap")
    assert "seq 1 missing" in fault.detail


def test_a_deleted_and_renumbered_middle_entry_is_detected(session, key, raw):
    # Closing the gap by renumbering the later entries still breaks their links and MACs.
    append(session, 5)
    raw.execute("DELETE FROM audit_entries WHERE seq = 3")
    raw.execute("UPDATE audit_entries SET seq = seq - 1 WHERE seq = 4")
    raw.execute("UPDATE audit_entries SET seq = seq - 1 WHERE seq = 5")
    report = check(session, key)
    assert (report.first_fault.seq, report.first_fault.kind) == (3, "prev_mac mismatch")


def test_swapped_entries_are_named_at_the_first_of_them(session, key, raw):
    append(session, 6)
    raw.execute("UPDATE audit_entries SET seq = -1 WHERE seq = 3")
    raw.execute("UPDATE audit_entries SET seq = 3 WHERE seq = 4")
    raw.execute("UPDATE audit_entries SET seq = 4 WHERE seq = -1")
    report = check(session, key)
    assert (report.first_fault.seq, report.first_fault.kind) == (3, "prev_mac mismatch")


def test_swapped_contents_under_the_same_seqs_are_detected(session, key, raw):
    append(session, 4)
    rows = {row["seq"]: row for row in raw.rows()}
    for seq, other in ((2, 3), (3, 2)):
        raw.execute(
            "UPDATE audit_entries SET payload = :p, object_id = :o WHERE seq = :s",
            {"p": rows[other]["payload"], "o": rows[other]["object_id"], "s": seq},
        )
    assert check(session, key).first_fault.seq == 2


def test_entries_re_maced_without_the_key_are_named_at_the_first_edit(session, key, raw):
    # The attacker edits entry 3 and rebuilds the rest of the chain with a key of their own.
    append(session, 6)
    rows = raw.rows()
    rows[2]["payload"] = '{"n":"forged"}'
    prev = rows[1]["mac"]
    for row in rows[2:]:
        row["prev_mac"] = prev
        row["mac"] = prev = remac(OTHER_KEY, row, row["prev_mac"])
        raw.execute(
            "UPDATE audit_entries SET payload = :payload, prev_mac = :prev_mac, mac = :mac "
            "WHERE seq = :seq",
            {name: row[name] for name in ("payload", "prev_mac", "mac", "seq")},
        )
    report = check(session, key)
    assert (report.first_fault.seq, report.first_fault.kind) == (3, "mac mismatch")


def test_verifying_with_another_key_fails_at_the_first_entry(session):
    append(session, 2)
    report = check(session, OTHER_KEY)
    assert (report.first_fault.seq, report.first_fault.kind) == (1, "mac mismatch")


def test_a_payload_that_is_not_json_is_named(session, key, raw):
    append(session, 3)
    raw.execute("UPDATE audit_entries SET payload = 'not json' WHERE seq = 2")
    report = check(session, key)
    assert (report.first_fault.seq, report.first_fault.kind) == (2, "malformed payload")


def test_a_fault_is_found_across_streaming_batches(session, key, raw, monkeypatch):
    monkeypatch.setattr(audit, "_STREAM_BATCH", 4)
    append(session, 23)
    raw.execute("UPDATE audit_entries SET action = 'x' WHERE seq = 17")
    report = check(session, key)
    assert report.count == 23
    assert report.first_fault.seq == 17


def test_a_deleted_tail_is_invisible_to_the_chain_but_caught_by_a_checkpoint(
    app, session, key, raw
):
    append(session, 6)
    signed = checkpoint(session, app)
    assert signed.seq == 6 and signed.count == 6
    raw.execute("DELETE FROM audit_entries WHERE seq > 4")
    assert check(session, key).ok  # why checkpoints exist
    report = check(session, key, checkpoints=[signed])
    assert (report.first_fault.seq, report.first_fault.kind) == (5, "tail missing")


def test_a_database_restored_from_an_older_copy_is_behind_the_checkpoint(app, session, key, raw):
    append(session, 4)
    backup = raw.rows()
    append(session, 3)
    signed = checkpoint(session, app)
    raw.replace_all(backup)
    report = check(session, key, checkpoints=[signed])
    assert (report.first_fault.seq, report.first_fault.kind) == (5, "tail missing")
    assert "older copy" in report.first_fault.detail


def test_an_older_copy_restored_and_continued_mismatches_the_checkpoint(app, session, key, raw):
    append(session, 4)
    backup = raw.rows()
    append(session, 3)
    signed = checkpoint(session, app)
    raw.replace_all(backup)
    append(session, 5, action="cable.import")  # new history past the checkpoint's seq
    report = check(session, key, checkpoints=[signed])
    assert report.head_seq == 9
    assert (report.first_fault.seq, report.first_fault.kind) == (7, "checkpoint mismatch")


def test_verify_instance_reads_the_checkpoints_folder(app, session, key, raw):
    append(session, 3)
    checkpoint(session, app)
    raw.execute("DELETE FROM audit_entries WHERE seq = 3")
    report = audit.verify_instance(session, key, app.instance_path)
    session.rollback()
    assert report.checkpoints == 1
    assert report.first_fault.kind == "tail missing"


def test_a_checkpoint_file_is_signed_and_the_signing_key_is_private(app, session):
    append(session, 2)
    path = audit.write_checkpoint(session, app.instance_path)
    assert path.parent == Path(app.instance_path) / "checkpoints"
    content = json.loads(path.read_text())
    assert set(content) == {"seq", "mac", "at", "count", "public_key", "signature"}
    assert (content["seq"], content["count"]) == (2, 2)
    assert content["mac"] == audit.chain_head_summary(session)["mac"]
    key_file = Path(app.instance_path) / "audit-signing.key"
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert (
        (Path(app.instance_path) / "audit-signing.pub")
        .read_bytes()
        .startswith(b"-----BEGIN PUBLIC KEY-----")
    )


def test_a_checkpoint_can_be_written_elsewhere(app, session, tmp_path):
    append(session, 1)
    path = audit.write_checkpoint(session, app.instance_path, tmp_path / "offsite")
    assert path.parent == tmp_path / "offsite"


def test_a_forged_checkpoint_is_refused(app, session, tmp_path):
    append(session, 3)
    path = audit.write_checkpoint(session, app.instance_path)
    public = audit.instance_public_key(app.instance_path)
    content = json.loads(path.read_text())
    content["seq"] = 2  # e.g. to make a truncated log look complete
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(content))
    with pytest.raises(audit.CheckpointError, match="signature"):
        audit.load_checkpoint(forged, public)


def test_a_checkpoint_signed_by_another_key_is_refused(app, session, tmp_path):
    append(session, 1)
    path = audit.write_checkpoint(session, app.instance_path)
    content = json.loads(path.read_text())
    impostor = Ed25519PrivateKey.generate()
    content["public_key"] = audit._public_hex(impostor.public_key())
    unsigned = {k: v for k, v in content.items() if k != "signature"}
    content["signature"] = impostor.sign(audit.canonical_json(unsigned).encode()).hex()
    path.write_text(json.dumps(content))
    with pytest.raises(audit.CheckpointError, match="another key"):
        audit.load_checkpoint(path, audit.instance_public_key(app.instance_path))
    # Trusting the key written in the file instead would have accepted it.
    assert audit.load_checkpoint(path, impostor.public_key()).seq == 1


def test_a_forged_checkpoint_in_the_instance_folder_is_a_fault(app, session, key):
    append(session, 2)
    path = audit.write_checkpoint(session, app.instance_path)
    path.write_text(path.read_text().replace('"count": 2', '"count": 3'))
    report = audit.verify_instance(session, key, app.instance_path)
    assert not report.ok
    assert report.first_fault.kind == "bad checkpoint"


def test_a_checkpoint_is_not_written_for_a_broken_chain(app, session, raw):
    append(session, 3)
    raw.execute("UPDATE audit_entries SET payload = '{}' WHERE seq = 2")
    with pytest.raises(audit.AuditChainError, match="seq 2"):
        audit.write_checkpoint(session, app.instance_path)
    assert not list((Path(app.instance_path) / "checkpoints").glob("*.json"))


def test_chain_head_summary_is_the_newest_entry(session):
    assert audit.chain_head_summary(session) == {"seq": 0, "mac": audit.GENESIS_MAC}
    append(session, 2)
    newest = audit.head(session)
    assert audit.chain_head_summary(session) == {"seq": 2, "mac": newest.mac}


def test_the_signing_key_is_created_once(app):
    first = audit.load_signing_key(app.instance_path)
    second = audit.load_signing_key(app.instance_path)
    assert audit._public_hex(first.public_key()) == audit._public_hex(second.public_key())


# ---- the database refuses changes made through the application's own connection ----------


def test_updating_an_entry_through_sqlalchemy_fails_and_changes_nothing(session):
    append(session, 2)
    before = session.scalars(select(AuditEntry.payload).where(AuditEntry.seq == 1)).one()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(update(AuditEntry).where(AuditEntry.seq == 1).values(payload="{}"))
    session.rollback()
    assert session.scalars(select(AuditEntry.payload).where(AuditEntry.seq == 1)).one() == before


def test_an_orm_attribute_change_on_an_entry_fails_at_flush(session):
    append(session, 1)
    entry = session.get(AuditEntry, 1)
    entry.actor_name = "rewritten"
    with pytest.raises(DatabaseError, match="append-only"):
        session.flush()
    session.rollback()
    session.expire_all()
    assert session.get(AuditEntry, 1).actor_name == ""


def test_deleting_an_entry_through_sqlalchemy_fails_and_changes_nothing(session, key):
    append(session, 3)
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(delete(AuditEntry).where(AuditEntry.seq == 2))
    session.rollback()
    assert session.scalar(select(AuditEntry.seq).where(AuditEntry.seq == 2)) == 2
    assert check(session, key).ok


def test_emptying_the_whole_log_fails(session):
    # PostgreSQL has TRUNCATE (a statement trigger refuses it); SQLite's equivalent is a
    # DELETE with no WHERE clause, which its row trigger must refuse as well.
    append(session, 2)
    if session.get_bind().dialect.name == "postgresql":
        statement = "TRUNCATE audit_entries"
    else:
        statement = "DELETE FROM audit_entries"
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text(statement))
    session.rollback()
    assert audit.chain_head_summary(session)["seq"] == 2
