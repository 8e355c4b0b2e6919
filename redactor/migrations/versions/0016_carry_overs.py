"""carry_overs: what a new version took over from the one before it, and what needs a look

One row per redaction or review mark of the previous version: carried (``new_redaction_id``
or ``new_portion_index`` set) or left behind (``needs_look``). A left-behind row holds the
release of the new version until a person resolves it (``resolved_by_id``).

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "carry_overs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cable_id", sa.Integer(), sa.ForeignKey("cables.id"), nullable=False),
        sa.Column(
            "from_version_id", sa.Integer(), sa.ForeignKey("cable_versions.id"), nullable=False
        ),
        sa.Column(
            "to_version_id", sa.Integer(), sa.ForeignKey("cable_versions.id"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("old_redaction_id", sa.Integer(), sa.ForeignKey("redactions.id")),
        sa.Column("new_redaction_id", sa.Integer(), sa.ForeignKey("redactions.id")),
        sa.Column("old_portion_index", sa.Integer()),
        sa.Column("new_portion_index", sa.Integer()),
        sa.Column("needs_look", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("resolved_by_id", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('redaction', 'review')", name="ck_carry_overs_kind"
        ),
    )
    op.create_index("ix_carry_overs_cable_id", "carry_overs", ["cable_id"])
    op.create_index("ix_carry_overs_to_version_id", "carry_overs", ["to_version_id"])


def downgrade() -> None:
    op.drop_index("ix_carry_overs_to_version_id", table_name="carry_overs")
    op.drop_index("ix_carry_overs_cable_id", table_name="carry_overs")
    op.drop_table("carry_overs")
