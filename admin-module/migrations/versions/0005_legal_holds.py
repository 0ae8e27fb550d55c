"""legal holds: named holds and the files placed under them (issue 15)

Revision ID: 0005_legal_holds
Revises: 0004_se_lost
Create Date: 2026-11-30 14:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_legal_holds"
down_revision: str | None = "0004_se_lost"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=256), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_by", sa.String(length=256), nullable=True),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
        sa.UniqueConstraint("name", name=op.f("uq_legal_holds_name")),
    )
    op.create_table(
        "legal_hold_files",
        sa.Column("hold_id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("placed_by", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(["hold_id"], ["legal_holds.id"], ondelete="CASCADE",
                                name=op.f("fk_legal_hold_files_hold_id_legal_holds")),
        sa.PrimaryKeyConstraint("hold_id", "file_id", name=op.f("pk_legal_hold_files")),
    )
    op.create_index(op.f("ix_legal_hold_files_file_id"), "legal_hold_files", ["file_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_legal_hold_files_file_id"), table_name="legal_hold_files")
    op.drop_table("legal_hold_files")
    op.drop_table("legal_holds")
