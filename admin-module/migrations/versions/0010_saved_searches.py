"""saved searches per administrator (issue 16)

Revision ID: 0010_saved_searches
Revises: 0009_dashboard_samples
Create Date: 2026-11-30 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_saved_searches"
down_revision: str | None = "0009_dashboard_samples"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_searches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner", sa.String(length=256), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("params", postgresql.JSONB(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_searches")),
        sa.UniqueConstraint("owner", "name", name=op.f("uq_saved_searches_owner")),
    )
    op.create_index(op.f("ix_saved_searches_owner"), "saved_searches", ["owner"])


def downgrade() -> None:
    op.drop_table("saved_searches")
