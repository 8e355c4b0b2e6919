"""changes to an approved redaction are proposals of their own (two-person rule on removal)

An approved redaction is never changed or withdrawn in place: an edit of its span or codes,
or a withdrawal, becomes a new pending row that ``replaces_id`` the approved one
(``withdraws`` is true for a withdrawal request). The approved row stays approved, and its
text hidden, until a second person approves the change.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("redactions") as batch:
        batch.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("withdraws", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_foreign_key(
            "fk_redactions_replaces", "redactions", ["replaces_id"], ["id"]
        )
        batch.create_index("ix_redactions_replaces_id", ["replaces_id"])


def downgrade() -> None:
    with op.batch_alter_table("redactions") as batch:
        batch.drop_index("ix_redactions_replaces_id")
        batch.drop_constraint("fk_redactions_replaces", type_="foreignkey")
        batch.drop_column("withdraws")
        batch.drop_column("replaces_id")
