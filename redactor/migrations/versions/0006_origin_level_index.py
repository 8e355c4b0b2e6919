"""an index on cables (origin, level) for the origin filter menu

The list page offers the distinct origins of the cables a user may see. With an index on
``(origin, level)`` they are read by a loose index scan (one seek per origin, see
``redactor.cables.search.visible_origins``) instead of a scan of every cable. The index
replaces the one on ``origin`` alone, which it covers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# Plain index operations, not batch mode: nothing here needs SQLite's table rebuild.
def upgrade() -> None:
    op.create_index("ix_cables_origin_level", "cables", ["origin", "level"], unique=False)
    op.drop_index("ix_cables_origin", table_name="cables")


def downgrade() -> None:
    op.create_index("ix_cables_origin", "cables", ["origin"], unique=False)
    op.drop_index("ix_cables_origin_level", table_name="cables")
