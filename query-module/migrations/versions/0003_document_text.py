"""Document text: extraction state per file, extracted text, lemmas in the search vector.

The body is a derived artefact: ``catalog_texts`` holds the text for snippets and
``catalog_files.body_vector`` its lexemes (stems of both configs + lemmas, weight D); the
trigger folds both into ``search_vector`` with the metadata (weights A-C, metadata lemmas B),
so one GIN index answers a query whose words are split between metadata and body.

Revision ID: 0003_document_text
Revises: 0002_copies
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0003_document_text"
down_revision = "0002_copies"
branch_labels = None
depends_on = None

_METADATA_PARTS = r"""
        setweight(to_tsvector('russian', name_text), 'A')
        || setweight(to_tsvector('english', name_text), 'A')
        || setweight(to_tsvector('russian', tags_text), 'B')
        || setweight(to_tsvector('english', tags_text), 'B')
        || setweight(to_tsvector('russian', descr), 'B')
        || setweight(to_tsvector('english', descr), 'B')
        || setweight(jsonb_to_tsvector('russian', custom, '["string", "numeric"]'), 'C')
        || setweight(jsonb_to_tsvector('english', custom, '["string", "numeric"]'), 'C')"""
_TEXT_PARTS = r"""
        || setweight(to_tsvector('simple', coalesce(NEW.meta_lemmas, '')), 'B')
        || coalesce(NEW.body_vector, ''::tsvector)"""
_SEARCH_TRIGGER = r"""
CREATE OR REPLACE FUNCTION catalog_files_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    name_text text := regexp_replace(NEW.original_filename, '[_.\-]+', ' ', 'g');
    tags_text text := coalesce(array_to_string(NEW.tags, ' '), '');
    descr text := coalesce(NEW.description, '');
    custom jsonb := coalesce(NEW.custom, '{}'::jsonb);
BEGIN
    NEW.search_vector := %s;
    RETURN NEW;
END
$$
"""
_OLD_TRIGGER_BIND = r"""
CREATE TRIGGER catalog_files_search_vector
    BEFORE INSERT OR UPDATE OF original_filename, tags, description, custom ON catalog_files
    FOR EACH ROW EXECUTE FUNCTION catalog_files_search_vector();
"""
_TRIGGER_BIND = r"""
CREATE TRIGGER catalog_files_search_vector
    BEFORE INSERT OR UPDATE OF original_filename, tags, description, custom, meta_lemmas,
        body_vector ON catalog_files
    FOR EACH ROW EXECUTE FUNCTION catalog_files_search_vector();
"""


def upgrade() -> None:
    op.add_column("catalog_files", sa.Column("text_state", sa.String(16), nullable=False,
                                             server_default="pending"))
    op.add_column("catalog_files", sa.Column("text_reason", sa.Text))
    op.add_column("catalog_files", sa.Column("text_lease_until", sa.DateTime(timezone=True)))
    op.add_column("catalog_files", sa.Column("meta_lemmas", sa.Text))
    op.add_column("catalog_files", sa.Column("body_vector", pg.TSVECTOR))
    op.create_index("ix_catalog_text_pending", "catalog_files", ["indexed_at"],
                    postgresql_where=sa.text("text_state = 'pending'"))
    op.create_table(
        "catalog_texts",
        sa.Column("file_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("method", sa.String(16)),
        sa.Column("pages", sa.Integer),
        sa.Column("extracted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute("DROP TRIGGER IF EXISTS catalog_files_search_vector ON catalog_files")
    op.execute(_SEARCH_TRIGGER % (_METADATA_PARTS + _TEXT_PARTS))
    op.execute(_TRIGGER_BIND)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS catalog_files_search_vector ON catalog_files")
    op.drop_table("catalog_texts")
    op.drop_index("ix_catalog_text_pending", table_name="catalog_files")
    for column in ("body_vector", "meta_lemmas", "text_lease_until", "text_reason",
                   "text_state"):
        op.drop_column("catalog_files", column)
    op.execute(_SEARCH_TRIGGER % _METADATA_PARTS)
    op.execute(_OLD_TRIGGER_BIND)
