"""Catalog, tombstones, re-index progress; FTS trigger and trigram indexes.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_UUID = pg.UUID(as_uuid=True)

# Both configs on purpose: 'russian' stems Cyrillic (договоры → договор) and 'english' stems
# Latin words with the English rules; the query side ORs the two configs the same way.
_SEARCH_TRIGGER = r"""
CREATE FUNCTION catalog_files_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    name_text text := regexp_replace(NEW.original_filename, '[_.\-]+', ' ', 'g');
    tags_text text := coalesce(array_to_string(NEW.tags, ' '), '');
    descr text := coalesce(NEW.description, '');
    custom jsonb := coalesce(NEW.custom, '{}'::jsonb);
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('russian', name_text), 'A')
        || setweight(to_tsvector('english', name_text), 'A')
        || setweight(to_tsvector('russian', tags_text), 'B')
        || setweight(to_tsvector('english', tags_text), 'B')
        || setweight(to_tsvector('russian', descr), 'B')
        || setweight(to_tsvector('english', descr), 'B')
        || setweight(jsonb_to_tsvector('russian', custom, '["string", "numeric"]'), 'C')
        || setweight(jsonb_to_tsvector('english', custom, '["string", "numeric"]'), 'C');
    RETURN NEW;
END
$$
"""
_SEARCH_TRIGGER_BIND = r"""
CREATE TRIGGER catalog_files_search_vector
    BEFORE INSERT OR UPDATE OF original_filename, tags, description, custom ON catalog_files
    FOR EACH ROW EXECUTE FUNCTION catalog_files_search_vector();
"""


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "catalog_files",
        sa.Column("file_id", _UUID, primary_key=True),
        sa.Column("storage_element_id", _UUID, nullable=False),
        sa.Column("original_filename", sa.Text, nullable=False),
        sa.Column("storage_filename", sa.Text, nullable=False),
        sa.Column("extension", sa.String(64), nullable=False, server_default=""),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("uploaded_by_id", sa.String(255), nullable=False),
        sa.Column("uploaded_by_name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("version", sa.String(64)),
        sa.Column("tags", pg.ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("retention_policy", sa.String(16), nullable=False),
        sa.Column("ttl_days", sa.Integer),
        sa.Column("expires_at", _TS),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("compression_algorithm", sa.String(16)),
        sa.Column("stored_size", sa.BigInteger),
        sa.Column("custom", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("finalized_at", _TS),
        sa.Column("last_verified_at", _TS),
        sa.Column("schema_version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("event_at", _TS, nullable=False),
        sa.Column("deleted_at", _TS),
        sa.Column("reindexed_at", _TS),
        sa.Column("indexed_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("search_vector", pg.TSVECTOR),
    )
    op.execute(_SEARCH_TRIGGER)
    op.execute(_SEARCH_TRIGGER_BIND)
    op.create_index(
        "ix_catalog_search_vector", "catalog_files", ["search_vector"], postgresql_using="gin"
    )
    op.execute(
        "CREATE INDEX ix_catalog_name_trgm ON catalog_files "
        "USING gin (lower(original_filename) gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX ix_catalog_description_trgm ON catalog_files "
        "USING gin (lower(coalesce(description, '')) gin_trgm_ops)"
    )
    op.create_index("ix_catalog_tags", "catalog_files", ["tags"], postgresql_using="gin")
    for name, cols in (
        ("ix_catalog_original_filename", ["original_filename"]),
        ("ix_catalog_se", ["storage_element_id"]),
        ("ix_catalog_created_at", ["created_at"]),
        ("ix_catalog_size", ["size"]),
        ("ix_catalog_content_type", ["content_type"]),
        ("ix_catalog_extension", ["extension"]),
        ("ix_catalog_expires_at", ["expires_at"]),
        ("ix_catalog_status_retention", ["status", "retention_policy"]),
        ("ix_catalog_uploaded_by", ["uploaded_by_id"]),
    ):
        op.create_index(name, "catalog_files", cols)

    op.create_table(
        "catalog_tombstones",
        sa.Column("file_id", _UUID, primary_key=True),
        sa.Column("storage_element_id", _UUID, primary_key=True),
        sa.Column("deleted_at", _TS, nullable=False),
    )
    op.create_table(
        "reindex_runs",
        sa.Column("id", _UUID, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "reindex_progress",
        sa.Column("run_id", _UUID, primary_key=True),
        sa.Column("storage_element_id", _UUID, primary_key=True),
        sa.Column("cursor", sa.Text),
        sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("pages", sa.Integer, nullable=False, server_default="0"),
        sa.Column("listed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("upserted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("removed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("reindex_progress")
    op.drop_table("reindex_runs")
    op.drop_table("catalog_tombstones")
    op.drop_table("catalog_files")
    op.execute("DROP FUNCTION IF EXISTS catalog_files_search_vector()")
