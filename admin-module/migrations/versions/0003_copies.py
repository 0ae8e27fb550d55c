"""copies: failure domains and redundant backends of SEs, copy policies

Revision ID: 0003_copies
Revises: 0002_control_plane
Create Date: 2026-11-30 10:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_copies"
down_revision: str | None = "0002_control_plane"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("storage_elements",
                  sa.Column("failure_domain", sa.String(length=128), nullable=True))
    op.add_column("storage_elements",
                  sa.Column("redundant_backend", sa.Boolean(), server_default="false",
                            nullable=False))
    op.create_table(
        "copy_policies",
        sa.Column("retention_policy", sa.String(length=16), nullable=False),
        sa.Column("target_copies", sa.Integer(), nullable=False),
        sa.Column("write_quorum", sa.Integer(), nullable=False),
        sa.Column("redundant_copy_weight", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=256), nullable=True),
        sa.PrimaryKeyConstraint("retention_policy", name=op.f("pk_copy_policies")),
    )


def downgrade() -> None:
    op.drop_table("copy_policies")
    op.drop_column("storage_elements", "redundant_backend")
    op.drop_column("storage_elements", "failure_domain")
