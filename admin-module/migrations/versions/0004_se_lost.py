"""copies: a storage element declared lost by an operator

Revision ID: 0004_se_lost
Revises: 0003_copies
Create Date: 2026-11-30 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_se_lost"
down_revision: str | None = "0003_copies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("storage_elements",
                  sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("storage_elements", sa.Column("lost_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("storage_elements", "lost_reason")
    op.drop_column("storage_elements", "lost_at")
