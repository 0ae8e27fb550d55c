"""records governance: legal holds and retain_until from the sidecar (issue 15)

Revision ID: 0004_records
Revises: 0003_document_text
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0004_records"
down_revision = "0003_document_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("catalog_files", sa.Column("legal_holds", pg.ARRAY(pg.UUID(as_uuid=True)),
                                             server_default="{}", nullable=False))
    op.add_column("catalog_files", sa.Column("retain_until", sa.DateTime(timezone=True),
                                             nullable=True))


def downgrade() -> None:
    op.drop_column("catalog_files", "retain_until")
    op.drop_column("catalog_files", "legal_holds")
