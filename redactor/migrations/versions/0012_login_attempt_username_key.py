"""login attempts keep a keyed digest of the username typed, never the typed text

A failed login's username is often a password typed into the wrong field. ``login_attempts``
kept it in clear; it now keeps ``username_key``, an HMAC of the normalized name under a key
derived from the audit key (see ``redactor.accounts.limits``), which still lets the limiter
count failures per username. The rows only matter for the length of the rate-limit window, so
the table is rebuilt empty rather than converted (converting would need the audit key here).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _drop(name_column: str) -> None:
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f(f"ix_login_attempts_{name_column}"))
        batch_op.drop_index(batch_op.f("ix_login_attempts_client_addr"))
        batch_op.drop_index(batch_op.f("ix_login_attempts_at"))
    op.drop_table("login_attempts")


def _create(name_column: str) -> None:
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(name_column, sa.String(length=64), nullable=False),
        sa.Column("client_addr", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_attempts_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_login_attempts_client_addr"), ["client_addr"], unique=False
        )
        batch_op.create_index(
            batch_op.f(f"ix_login_attempts_{name_column}"), [name_column], unique=False
        )


def upgrade() -> None:
    _drop("username")
    _create("username_key")


def downgrade() -> None:
    _drop("username_key")
    _create("username")
