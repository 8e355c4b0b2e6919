"""an index in the cable list's default order: newest first, cables without a date last

The list's default order is ``created DESC NULLS LAST, id DESC``. PostgreSQL cannot read the
index on ``created`` that way round (read backwards, it puts the NULLs first), so it sorted
every visible cable to show the first fifty. This index is in that order. PostgreSQL only:
SQLite puts NULLs first in ascending order, so its index on ``created`` read backwards is
already in the list's order (and it refuses ``NULLS LAST`` in an index).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.create_index(
        "ix_cables_newest_first",
        "cables",
        [sa.text("created DESC NULLS LAST"), sa.text("id DESC")],
        unique=False,
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_cables_newest_first", table_name="cables")
