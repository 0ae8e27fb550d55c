"""records governance: each file's retention class from the sidecar, for search (issue 15)

Revision ID: 0005_retention_class
Revises: 0004_records
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_retention_class"
down_revision = "0004_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("catalog_files", sa.Column("retention_class", sa.String(200), nullable=True))
    op.create_index("ix_catalog_files_retention_class", "catalog_files", ["retention_class"])


def downgrade() -> None:
    op.drop_index("ix_catalog_files_retention_class", table_name="catalog_files")
    op.drop_column("catalog_files", "retention_class")
