"""twins: the LSH band index of portions, verified twin portions, duplicate cables

``twin_bands`` holds the MinHash LSH band keys of every indexed portion of every current
version (primary key led by ``band_key``: the candidate lookup is one indexed query);
``twin_portions`` the verified twins (both directions); ``twin_cables`` the cables that are
the same text. See :mod:`redactor.consistency.twins`. Empty after the upgrade: fill it with
``redactor twins rebuild`` (imports keep it up to date from then on).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "twin_bands",
        sa.Column("band_key", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("cable_versions.id"), nullable=False),
        sa.Column("portion_index", sa.Integer(), nullable=False),
        sa.Column("cable_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("band_key", "version_id", "portion_index"),
    )
    op.create_index("ix_twin_bands_version_id", "twin_bands", ["version_id"])
    op.create_table(
        "twin_portions",
        sa.Column("version_id", sa.Integer(), sa.ForeignKey("cable_versions.id"), nullable=False),
        sa.Column("portion_index", sa.Integer(), nullable=False),
        sa.Column(
            "twin_version_id", sa.Integer(), sa.ForeignKey("cable_versions.id"), nullable=False
        ),
        sa.Column("twin_portion_index", sa.Integer(), nullable=False),
        sa.Column("twin_cable_id", sa.Integer(), sa.ForeignKey("cables.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "version_id", "portion_index", "twin_version_id", "twin_portion_index"
        ),
        sa.CheckConstraint(
            "kind IN ('copy', 'quotes', 'quoted_in', 'passage')", name="ck_twin_portions_kind"
        ),
    )
    op.create_index("ix_twin_portions_twin_version", "twin_portions", ["twin_version_id"])
    op.create_table(
        "twin_cables",
        sa.Column("cable_id", sa.Integer(), sa.ForeignKey("cables.id"), nullable=False),
        sa.Column("twin_cable_id", sa.Integer(), sa.ForeignKey("cables.id"), nullable=False),
        sa.Column("part", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cable_id", "twin_cable_id"),
    )
    op.create_index("ix_twin_cables_twin", "twin_cables", ["twin_cable_id"])


def downgrade() -> None:
    op.drop_index("ix_twin_cables_twin", table_name="twin_cables")
    op.drop_table("twin_cables")
    op.drop_index("ix_twin_portions_twin_version", table_name="twin_portions")
    op.drop_table("twin_portions")
    op.drop_index("ix_twin_bands_version_id", table_name="twin_bands")
    op.drop_table("twin_bands")
