"""audit entries name the cable they concern (``cable_id``), for hiding them by clearance

An entry about a redaction, a decision, a comment or a release of a cable tells about that
cable; readers of the log not cleared for it must not see it. The column is filled in for the
entries already written, from what they name: a cable (by reference id or row id), a
redaction or a release as their object, or a ``cable_id``, ``reference_id``, ``redaction_id``
or ``release_id`` (or a list of ``releases``: the highest-level cable) in their payload. Their
MAC does not cover this value (it was computed before the column existed); every entry written
from now on is MACed with it (see ``redactor.audit``).

The append-only triggers are lifted for the fill and put back at once, in the same
transaction.

Revision ID: 0011
Revises: 0009
Create Date: 2026-11-29
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None

_MESSAGE = "audit entries are append-only"
_MAX_ID = 2**31 - 1

# Fill from the object the entry names, in SQL: (object type, table, column giving the cable).
_BY_OBJECT = (
    ("cable", "cables", "t.reference_id", "id"),
    ("cable", "cables", "CAST(t.id AS VARCHAR(20))", "id"),
    ("redaction", "redactions", "CAST(t.id AS VARCHAR(20))", "cable_id"),
    ("release", "releases", "CAST(t.id AS VARCHAR(20))", "cable_id"),
)
_PAYLOAD_KEYS = (
    ("cable_id", "SELECT id FROM cables WHERE id = :v"),
    ("reference_id", "SELECT id FROM cables WHERE reference_id = :v"),
    ("redaction_id", "SELECT cable_id FROM redactions WHERE id = :v"),
    ("release_id", "SELECT cable_id FROM releases WHERE id = :v"),
)


def _lift_triggers(bind: sa.Connection) -> None:
    if bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER audit_entries_no_update")
    else:
        op.execute("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change")


def _restore_triggers(bind: sa.Connection) -> None:
    if bind.dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
        )
    else:
        op.execute("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_change")


def _id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 12:
        value = int(value)
    return value if isinstance(value, int) and 0 < value <= _MAX_ID else None


def _from_payload(bind: sa.Connection, payload: str) -> int | None:
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    for key, query in _PAYLOAD_KEYS:
        value = data.get(key)
        value = value if key == "reference_id" and isinstance(value, str) else _id(value)
        if value is not None:
            found = bind.execute(sa.text(query), {"v": value}).scalar()
            if found is not None:
                return found
    releases = [n for n in map(_id, data.get("releases") or []) if n is not None]
    if releases:
        return bind.execute(
            sa.text(
                "SELECT c.id FROM cables c JOIN releases r ON r.cable_id = c.id "
                "WHERE r.id IN :ids ORDER BY c.level DESC, c.id LIMIT 1"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": releases},
        ).scalar()
    return None


def upgrade() -> None:
    bind = op.get_bind()
    op.add_column("audit_entries", sa.Column("cable_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_entries_cable_id", "audit_entries", ["cable_id"], unique=False)
    _lift_triggers(bind)
    for object_type, table, column, cable_column in _BY_OBJECT:
        op.execute(
            sa.text(
                f"UPDATE audit_entries SET cable_id = (SELECT t.{cable_column} FROM {table} t "
                f"WHERE {column} = audit_entries.object_id) "
                "WHERE cable_id IS NULL AND object_type = :type"
            ).bindparams(type=object_type)
        )
    rows = bind.execute(
        sa.text("SELECT seq, payload FROM audit_entries WHERE cable_id IS NULL ORDER BY seq")
    ).all()
    for seq, payload in rows:
        found = _from_payload(bind, payload)
        if found is not None:
            bind.execute(
                sa.text("UPDATE audit_entries SET cable_id = :c WHERE seq = :s"),
                {"c": found, "s": seq},
            )
    _restore_triggers(bind)


def downgrade() -> None:
    op.drop_index("ix_audit_entries_cable_id", table_name="audit_entries")
    op.drop_column("audit_entries", "cable_id")
