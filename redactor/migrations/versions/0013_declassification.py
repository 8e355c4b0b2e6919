"""held imports can be applied or discarded; declassification requests

``held_imports`` gains the state of its decision (``status``, who decided, when, why, the
version it became) and ``row_version``, the optimistic lock of that decision. Existing rows
are ``held``.

``declassification_requests`` holds the two-person decisions that lower a cable's level (see
``redactor.cables.declassify``).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("held_imports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "status",
                sa.Enum(
                    "held",
                    "applied",
                    "discarded",
                    name="held_status",
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                nullable=False,
                server_default="held",
            )
        )
        batch_op.add_column(sa.Column("decided_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("decision_reason", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("applied_version", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("row_version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.create_foreign_key(
            "fk_held_imports_decided_by_id_users", "users", ["decided_by_id"], ["id"]
        )
        batch_op.create_index("ix_held_imports_status", ["status"], unique=False)
    op.create_table(
        "declassification_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cable_id", sa.Integer(), nullable=False),
        sa.Column("from_level", sa.Integer(), nullable=False),
        sa.Column("to_level", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                name="declassification_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("decider_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_seq", sa.Integer(), nullable=True),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "to_level >= 0 AND to_level < from_level AND from_level <= 3",
            name="ck_declassification_levels",
        ),
        sa.CheckConstraint(
            "decider_id IS NULL OR decider_id <> proposer_id",
            name="ck_declassification_two_person",
        ),
        sa.ForeignKeyConstraint(["cable_id"], ["cables.id"]),
        sa.ForeignKeyConstraint(["proposer_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["decider_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("declassification_requests", schema=None) as batch_op:
        batch_op.create_index("ix_declassification_requests_cable_id", ["cable_id"], unique=False)
        batch_op.create_index("ix_declassification_requests_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("declassification_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_declassification_requests_status")
        batch_op.drop_index("ix_declassification_requests_cable_id")
    op.drop_table("declassification_requests")
    with op.batch_alter_table("held_imports", schema=None) as batch_op:
        batch_op.drop_index("ix_held_imports_status")
        batch_op.drop_constraint("held_status", type_="check")
        batch_op.drop_constraint("fk_held_imports_decided_by_id_users", type_="foreignkey")
        for column in (
            "row_version",
            "applied_version",
            "decision_reason",
            "decided_at",
            "decided_by_id",
            "status",
        ):
            batch_op.drop_column(column)
