"""references as links: cables.canonical_id, the cable_references table, tags a line each

``cables.canonical_id`` is the reference id a cable's text is (a section copy filed as
``08ECTION01OF02MANAMA492`` is ``08MANAMA492``); ``cable_references`` holds each stored
version's REF items with the canonical id of the cable each cites. Both are what the cable
page and the API join on to link a reference to a cable of the collection and to list the
cables that cite one (:mod:`redactor.cables.links`).

Backfill: each stored text is parsed again with the parser of this release (pure, never
raises), because the parsed views stored by earlier imports hold reference ids that are not
canonical (``09SECSTATE76108``, ``09REFTELKABUL2245``). The versions' texts and parsed views
are not changed. ``cables.tags`` changes from tags joined by spaces (which split person
tags such as ``OVIP (RICE, CONDOLEEZZA)``) to one tag a line, rebuilt from the current
version's stored parsed view (the list the column was made from).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_ID_MAX = 64

_cables = sa.table(
    "cables",
    sa.column("id", sa.Integer),
    sa.column("reference_id", sa.String),
    sa.column("current_version", sa.Integer),
    sa.column("canonical_id", sa.String),
    sa.column("tags", sa.Text),
)
_versions = sa.table(
    "cable_versions",
    sa.column("id", sa.Integer),
    sa.column("cable_id", sa.Integer),
    sa.column("number", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("parsed", sa.JSON),
)
_references = sa.table(
    "cable_references",
    sa.column("version_id", sa.Integer),
    sa.column("position", sa.Integer),
    sa.column("label", sa.Text),
    sa.column("text", sa.Text),
    sa.column("cited_id", sa.String),
)


def _short(value: str | None) -> str | None:
    return value if value and len(value) <= _ID_MAX else None


def _backfill(bind: sa.engine.Connection) -> None:
    from redactor.cables.parser import parse_cable  # pure; imported only when migrating

    current = {
        cable_id: (reference_id, number)
        for cable_id, reference_id, number in bind.execute(
            sa.select(_cables.c.id, _cables.c.reference_id, _cables.c.current_version)
        )
    }
    refs: list[dict] = []
    updates: list[dict] = []
    after = 0
    while True:
        # In batches by id, so that a large store is never held in memory at once.
        batch = bind.execute(
            sa.select(
                _versions.c.id, _versions.c.cable_id, _versions.c.number, _versions.c.text,
                _versions.c.parsed,
            )
            .where(_versions.c.id > after)
            .order_by(_versions.c.id)
            .limit(500)
        ).all()
        if not batch:
            break
        after = batch[-1][0]
        for version_id, cable_id, number, text, parsed_view in batch:
            parsed = parse_cable(text)
            refs.extend(
                {"version_id": version_id, "position": i, "label": r.label, "text": r.text,
                 "cited_id": _short(r.cable_id)}
                for i, r in enumerate(parsed.references)
            )
            reference_id, current_number = current[cable_id]
            if number == current_number:
                view = parsed_view if isinstance(parsed_view, dict) else {}
                tags = [str(t) for t in view.get("tags") or [] if "\n" not in str(t)]
                updates.append({
                    "id_": cable_id,
                    "canonical_": _short(parsed.canonical_id) or reference_id,
                    "tags_": "\n".join(tags),
                })
        if refs:
            bind.execute(_references.insert(), refs)
            refs = []
    if updates:
        bind.execute(
            _cables.update()
            .where(_cables.c.id == sa.bindparam("id_"))
            .values(canonical_id=sa.bindparam("canonical_"), tags=sa.bindparam("tags_")),
            updates,
        )


def upgrade() -> None:
    with op.batch_alter_table("cables", schema=None) as batch_op:
        batch_op.add_column(sa.Column("canonical_id", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_cables_canonical_id", ["canonical_id"], unique=False)
    op.create_table(
        "cable_references",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("cited_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["version_id"], ["cable_versions.id"]),
        sa.PrimaryKeyConstraint("version_id", "position"),
    )
    with op.batch_alter_table("cable_references", schema=None) as batch_op:
        batch_op.create_index("ix_cable_references_cited_id", ["cited_id"], unique=False)
    _backfill(op.get_bind())


def downgrade() -> None:
    bind = op.get_bind()
    # Back to tags joined by spaces (person tags split again, as before 0014).
    rows = [
        {"id_": cable_id, "tags_": " ".join((tags or "").split("\n"))}
        for cable_id, tags in bind.execute(sa.select(_cables.c.id, _cables.c.tags))
    ]
    if rows:
        bind.execute(
            _cables.update().where(_cables.c.id == sa.bindparam("id_"))
            .values(tags=sa.bindparam("tags_")),
            rows,
        )
    with op.batch_alter_table("cable_references", schema=None) as batch_op:
        batch_op.drop_index("ix_cable_references_cited_id")
    op.drop_table("cable_references")
    with op.batch_alter_table("cables", schema=None) as batch_op:
        batch_op.drop_index("ix_cables_canonical_id")
        batch_op.drop_column("canonical_id")
