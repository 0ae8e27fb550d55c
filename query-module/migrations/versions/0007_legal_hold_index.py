"""search by legal hold: a GIN index on each file's hold ids (issue 15)

Only held files have entries, so the index stays small; it answers
`GET /api/v1/search?legal_hold=<id>` without reading the catalog.

Revision ID: 0007_legal_hold_index
Revises: 0006_search_scale
"""

from __future__ import annotations

from alembic import op

revision = "0007_legal_hold_index"
down_revision = "0006_search_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_catalog_files_legal_holds", "catalog_files", ["legal_holds"],
                    postgresql_using="gin")


def downgrade() -> None:
    op.drop_index("ix_catalog_files_legal_holds", table_name="catalog_files")
