"""dashboard samples: each SE's usage and fixity counts over time (issue 16)

Revision ID: 0009_dashboard_samples
Revises: 0008_audit_checkpoints
Create Date: 2026-11-30 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_dashboard_samples"
down_revision: str | None = "0008_audit_checkpoints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "se_capacity_samples",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("storage_element_id", sa.Uuid(), nullable=False),
        sa.Column("sampled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_bytes", sa.BigInteger(), nullable=False),
        sa.Column("capacity_bytes", sa.BigInteger(), nullable=False),
        sa.Column("file_count", sa.BigInteger(), nullable=False),
        sa.Column("verified", sa.BigInteger(), nullable=True),
        sa.Column("quarantined", sa.BigInteger(), nullable=True),
        sa.Column("never_verified", sa.BigInteger(), nullable=True),
        sa.Column("last_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["storage_element_id"], ["storage_elements.id"],
                                name=op.f("fk_se_capacity_samples_storage_element_id_storage_elements"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_se_capacity_samples")),
    )
    op.create_index("ix_se_capacity_samples_se_at", "se_capacity_samples",
                    ["storage_element_id", "sampled_at"])
    op.create_index("ix_se_capacity_samples_at", "se_capacity_samples", ["sampled_at"])


def downgrade() -> None:
    op.drop_table("se_capacity_samples")
