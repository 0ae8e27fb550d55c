"""hourly roll-up of the audit chain for the dashboard's activity figures (issue 16)

Revision ID: 0011_audit_activity_hourly
Revises: 0010_saved_searches
Create Date: 2026-11-30 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_audit_activity_hourly"
down_revision: str | None = "0010_saved_searches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_activity_hourly",
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("weight", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "action", "failed", name=op.f("pk_audit_activity_hourly")),
    )
    op.create_table(
        "audit_activity_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rolled_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_activity_rollup")),
    )


def downgrade() -> None:
    op.drop_table("audit_activity_rollup")
    op.drop_table("audit_activity_hourly")
