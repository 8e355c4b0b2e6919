"""occurrence_decisions and redactions.link_group: consistency inside one cable

``occurrence_decisions``: "release this occurrence", a two-person decision to leave printed
a place of a version that holds text withheld elsewhere in it (the release gate refuses a
release that prints approved-hidden text anywhere else without one). ``redactions.link_group``:
the proposals made in one action for every occurrence of the same text.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "occurrence_decisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cable_id", sa.Integer(), sa.ForeignKey("cables.id"), nullable=False),
        sa.Column(
            "version_id", sa.Integer(), sa.ForeignKey("cable_versions.id"), nullable=False
        ),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decider_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.CheckConstraint('start >= 0 AND start < "end"', name="ck_occurrence_decisions_span"),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'withdrawn')",
            name="ck_occurrence_decisions_status",
        ),
        sa.CheckConstraint(
            "decider_id IS NULL OR decider_id <> proposer_id",
            name="ck_occurrence_decisions_two_person",
        ),
    )
    op.create_index(
        "ix_occurrence_decisions_cable_id", "occurrence_decisions", ["cable_id"]
    )
    op.create_index(
        "ix_occurrence_decisions_version_id", "occurrence_decisions", ["version_id"]
    )
    op.create_index("ix_occurrence_decisions_status", "occurrence_decisions", ["status"])
    with op.batch_alter_table("redactions") as batch:
        batch.add_column(sa.Column("link_group", sa.String(32), nullable=True))
        batch.create_index("ix_redactions_link_group", ["link_group"])


def downgrade() -> None:
    with op.batch_alter_table("redactions") as batch:
        batch.drop_index("ix_redactions_link_group")
        batch.drop_column("link_group")
    op.drop_index("ix_occurrence_decisions_status", table_name="occurrence_decisions")
    op.drop_index("ix_occurrence_decisions_version_id", table_name="occurrence_decisions")
    op.drop_index("ix_occurrence_decisions_cable_id", table_name="occurrence_decisions")
    op.drop_table("occurrence_decisions")
