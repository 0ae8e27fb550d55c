"""Search at scale (issue 12): a small metadata vector to rank on.

``meta_vector`` holds the metadata's lexemes only (name, tags, description, custom metadata,
metadata lemmas: weights A-C); ``search_vector`` stays metadata + body for matching. Ranking a
large match set reads the small vector (stored inline) instead of de-TOASTing the body's
lexemes of every candidate, and its own GIN index finds the metadata matches that rank first.

Revision ID: 0006_search_scale
Revises: 0005_retention_class
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0006_search_scale"
down_revision = "0005_retention_class"
branch_labels = None
depends_on = None

_FUNCTION = r"""
CREATE OR REPLACE FUNCTION catalog_files_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    name_text text := regexp_replace(NEW.original_filename, '[_.\-]+', ' ', 'g');
    tags_text text := coalesce(array_to_string(NEW.tags, ' '), '');
    descr text := coalesce(NEW.description, '');
    custom jsonb := coalesce(NEW.custom, '{}'::jsonb);
BEGIN
    %s
    RETURN NEW;
END
$$
"""
_METADATA = r"""
        setweight(to_tsvector('russian', name_text), 'A')
        || setweight(to_tsvector('english', name_text), 'A')
        || setweight(to_tsvector('russian', tags_text), 'B')
        || setweight(to_tsvector('english', tags_text), 'B')
        || setweight(to_tsvector('russian', descr), 'B')
        || setweight(to_tsvector('english', descr), 'B')
        || setweight(jsonb_to_tsvector('russian', custom, '["string", "numeric"]'), 'C')
        || setweight(jsonb_to_tsvector('english', custom, '["string", "numeric"]'), 'C')
        || setweight(to_tsvector('simple', coalesce(NEW.meta_lemmas, '')), 'B')"""
_NEW_BODY = f"""NEW.meta_vector := {_METADATA};
    NEW.search_vector := NEW.meta_vector || coalesce(NEW.body_vector, ''::tsvector);"""
_OLD_BODY = f"""NEW.search_vector := {_METADATA}
        || coalesce(NEW.body_vector, ''::tsvector);"""


def upgrade() -> None:
    op.add_column("catalog_files", sa.Column("meta_vector", pg.TSVECTOR))
    op.execute(_FUNCTION % _NEW_BODY)
    # Fires the trigger (it watches meta_lemmas) on every row: fills meta_vector.
    op.execute("UPDATE catalog_files SET meta_lemmas = meta_lemmas")
    op.create_index("ix_catalog_meta_vector", "catalog_files", ["meta_vector"],
                    postgresql_using="gin")
    # Statistics for the new column, or the planner guesses 500 matches for any word.
    op.execute("ANALYZE catalog_files")


def downgrade() -> None:
    op.drop_index("ix_catalog_meta_vector", table_name="catalog_files")
    op.execute(_FUNCTION % _OLD_BODY)
    op.drop_column("catalog_files", "meta_vector")
