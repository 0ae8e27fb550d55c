"""Every copy of a file: one row per (file, SE).

Revision ID: 0002_copies
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0002_copies"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_UUID = pg.UUID(as_uuid=True)


def upgrade() -> None:
    op.create_table(
        "catalog_copies",
        sa.Column("file_id", _UUID, nullable=False),
        sa.Column("storage_element_id", _UUID, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("last_verified_at", _TS, nullable=True),
        sa.Column("updated_at", _TS, nullable=True),
        sa.Column("indexed_at", _TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("file_id", "storage_element_id"),
    )
    op.create_index("ix_catalog_copies_se_state", "catalog_copies",
                    ["storage_element_id", "state"])
    # Files catalogued before copies existed: their one copy is the row's SE.
    op.execute(
        "INSERT INTO catalog_copies (file_id, storage_element_id, state, sha256, "
        "last_verified_at, updated_at) SELECT file_id, storage_element_id, 'active', sha256, "
        "last_verified_at, updated_at FROM catalog_files WHERE status <> 'deleted'"
    )


def downgrade() -> None:
    op.drop_table("catalog_copies")
