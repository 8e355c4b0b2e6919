"""users.must_change_password: a password an administrator chose must be changed first

Set on an account an administrator creates, and on a password an administrator resets;
cleared when the user changes their password. While it is set the browser shows the user the
change-password page only, and the API refuses their tokens. Existing accounts chose (or
long since used) their passwords: the column is added false for all of them, so nobody is
locked out by the upgrade.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
