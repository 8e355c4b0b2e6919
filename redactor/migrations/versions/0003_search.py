"""full-text search of the current version of each cable

SQLite: an FTS5 table whose content is ``cable_versions.text`` (external content: the text is
not stored twice), one row per cable, keyed by the current version's id. PostgreSQL: a table
with one ``tsvector`` per cable and a GIN index. Both are maintained by the import service
(``redactor.cables.search.index_version``); existing cables are indexed here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_CURRENT_VERSIONS = (
    "SELECT v.id, v.cable_id, v.text FROM cable_versions v "
    "JOIN cables c ON c.id = v.cable_id AND v.number = c.current_version"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Never use the FTS5 'rebuild' command on this table: it would index every version.
        op.execute(
            "CREATE VIRTUAL TABLE cable_search USING fts5("
            "text, content='cable_versions', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "INSERT INTO cable_search(rowid, text) "
            f"SELECT id, text FROM ({_CURRENT_VERSIONS})"
        )
        return
    op.create_table(
        "cable_search",
        sa.Column("cable_id", sa.Integer(), sa.ForeignKey("cables.id"), primary_key=True),
        sa.Column(
            "version_id", sa.Integer(), sa.ForeignKey("cable_versions.id"), nullable=False
        ),
        sa.Column("document", postgresql.TSVECTOR(), nullable=False),
    )
    op.create_index(
        "ix_cable_search_document", "cable_search", ["document"], postgresql_using="gin"
    )
    # The same words the import service indexes (see search_document).
    from redactor.cables.search import search_document

    insert = sa.text(
        "INSERT INTO cable_search (cable_id, version_id, document) "
        "VALUES (:cable_id, :version_id, to_tsvector('simple', :document))"
    )
    for version_id, cable_id, text in bind.execute(sa.text(_CURRENT_VERSIONS)):
        bind.execute(
            insert,
            {"cable_id": cable_id, "version_id": version_id, "document": search_document(text)},
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE cable_search")
        return
    op.drop_index("ix_cable_search_document", table_name="cable_search")
    op.drop_table("cable_search")
