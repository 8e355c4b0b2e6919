"""``audit.record_many`` writes exactly the entries that one ``record`` call per action would."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from redactor import audit
from redactor.models import AuditEntry

SPECS: list[audit.EntrySpec] = [
    ("cable.import", ("cable", 7), {"reference_id": "09STATE1", "version": 1}),
    ("cable.new_version", ("cable", "8"), {"source": "dir/ä ö.txt", "nested": {"b": [1, 2]}}),
    ("user.login", None, None),
    ("cable.view", ("cable", None), {}),
    ("release.create", ("release", 3), {"sha256": "ab" * 32, "note": "line\nbreak \u202e"}),
]


@pytest.fixture
def clock(monkeypatch):
    """Entry times from a fixed start, one millisecond apart; ``clock.reset()`` restarts."""

    class Clock:
        def reset(self) -> None:
            start = datetime(2031, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
            self.ticks = (start + timedelta(milliseconds=n) for n in itertools.count())

    fake = Clock()
    fake.reset()
    monkeypatch.setattr(audit, "_now", lambda: next(fake.ticks))
    return fake


def entries_after(session, seq: int) -> list[tuple]:
    return [
        tuple(row)
        for row in session.execute(
            select(*audit._CHAIN_COLUMNS).where(AuditEntry.seq > seq).order_by(AuditEntry.seq)
        )
    ]


@pytest.mark.parametrize("with_actor", [False, True])
def test_record_many_writes_the_entries_of_one_record_call_per_spec(
    session, make_user, clock, with_actor
):
    actor = make_user("auditor")[0] if with_actor else None
    session.info["client_addr"] = "192.0.2.7"
    audit.record(session, None, "setup.first", ("x", 1), {"n": 1})  # a chain to continue
    session.commit()
    start = audit.chain_head_summary(session)["seq"]

    clock.reset()
    for action, subject, data in SPECS:
        audit.record(session, actor, action, subject, data)
    one_by_one = entries_after(session, start)
    session.rollback()

    clock.reset()
    head = audit.record_many(session, actor, SPECS)
    batched = entries_after(session, start)
    session.commit()

    assert batched == one_by_one
    assert len(batched) == len(SPECS)
    assert head == {"seq": start + len(SPECS), "mac": batched[-1][-1]}
    report = audit.verify(session, session.info["audit_key"])
    session.rollback()
    assert report.ok and report.count == start + len(SPECS), report.summary()


def test_record_many_and_record_continue_one_chain(session):
    audit.record(session, None, "a.one")
    audit.record_many(session, None, [("a.two", None, {"n": 2}), ("a.three", None, None)])
    audit.record(session, None, "a.four")
    session.commit()

    actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    report = audit.verify(session, session.info["audit_key"])
    session.rollback()
    assert actions == ["a.one", "a.two", "a.three", "a.four"]
    assert report.ok and report.count == 4, report.summary()


def test_record_many_of_nothing_writes_nothing_and_returns_the_head(session):
    audit.record(session, None, "a.one")
    session.commit()
    before = audit.chain_head_summary(session)

    assert audit.record_many(session, None, []) == before
    assert audit.chain_head_summary(session) == before
    session.rollback()


def test_record_many_needs_the_audit_key(session):
    session.info.pop("audit_key")
    with pytest.raises(audit.AuditKeyError):
        audit.record_many(session, None, SPECS)
