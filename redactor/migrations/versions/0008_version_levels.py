"""each cable version gets its own level; imports a low importer may not apply are held

``cable_versions.level`` is the level of one stored text (the highest of its line 4, banner,
subject and portion markings), so that reading an older version needs clearance for that
version and not for whatever the cable says now. Existing rows are filled in fail-closed:
the highest of the cable's current level, the version's own line 4 and the levels of its
stored portion markings (the banner and subject are only in the parsed view, which this
migration does not re-read; new imports use all four). The cable's level is then raised to
the highest of its versions, so no earlier import that lowered it keeps an older SECRET
text readable.

``held_imports`` keeps the files that an importer not cleared for a cable sent for it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_LEVELS = {"U": 0, "C": 1, "S": 2, "TS": 3}
_LINE4 = (("TOP SECRET", 3), ("SECRET", 2), ("CONFIDENTIAL", 1), ("UNCLASSIFIED", 0))


def _line4_level(text: str) -> int:
    lines = text.split("\n", 4)
    head = lines[3].strip().upper().split("//")[0].strip() if len(lines) > 3 else ""
    for label, level in _LINE4:
        if head in (label, label.replace(" ", "_")):
            return level
    return 3  # unreadable: counts as the highest


def _backfill(bind: sa.engine.Connection) -> None:
    versions = sa.table(
        "cable_versions",
        sa.column("id", sa.Integer),
        sa.column("cable_id", sa.Integer),
        sa.column("text", sa.Text),
        sa.column("level", sa.Integer),
    )
    cables = sa.table("cables", sa.column("id", sa.Integer), sa.column("level", sa.Integer))
    portions = sa.table(
        "portions", sa.column("version_id", sa.Integer), sa.column("level", sa.String)
    )
    marked: dict[int, int] = {}
    for version_id, mark in bind.execute(sa.select(portions.c.version_id, portions.c.level)):
        level = _LEVELS.get(mark or "", 0)
        marked[version_id] = max(marked.get(version_id, 0), level)
    cable_levels = dict(bind.execute(sa.select(cables.c.id, cables.c.level)).all())
    highest: dict[int, int] = {}
    rows = []
    for version_id, cable_id, text in bind.execute(
        sa.select(versions.c.id, versions.c.cable_id, versions.c.text)
    ):
        level = max(cable_levels[cable_id], _line4_level(text), marked.get(version_id, 0))
        rows.append({"id_": version_id, "level_": level})
        highest[cable_id] = max(highest.get(cable_id, 0), level)
    if rows:
        bind.execute(
            versions.update()
            .where(versions.c.id == sa.bindparam("id_"))
            .values(level=sa.bindparam("level_")),
            rows,
        )
    raised = [
        {"id_": cable_id, "level_": level}
        for cable_id, level in highest.items()
        if level > cable_levels[cable_id]
    ]
    if raised:
        bind.execute(
            cables.update()
            .where(cables.c.id == sa.bindparam("id_"))
            .values(level=sa.bindparam("level_")),
            raised,
        )


def upgrade() -> None:
    with op.batch_alter_table("cable_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.Integer(), nullable=True))
    _backfill(op.get_bind())
    with op.batch_alter_table("cable_versions", schema=None) as batch_op:
        batch_op.alter_column("level", existing_type=sa.Integer(), nullable=False)
        batch_op.create_check_constraint("ck_cable_versions_level", "level BETWEEN 0 AND 3")
    op.create_table(
        "held_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.String(length=64), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source_name", sa.String(length=300), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("held_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("level BETWEEN 0 AND 3", name="ck_held_imports_level"),
        sa.ForeignKeyConstraint(["held_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("held_imports", schema=None) as batch_op:
        batch_op.create_index("ix_held_imports_reference_id", ["reference_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("held_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_held_imports_reference_id")
    op.drop_table("held_imports")
    with op.batch_alter_table("cable_versions", schema=None) as batch_op:
        batch_op.drop_constraint("ck_cable_versions_level", type_="check")
        batch_op.drop_column("level")
