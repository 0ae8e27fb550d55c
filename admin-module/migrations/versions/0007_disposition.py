"""disposition: file retention index, batches under four eyes, certificates (issue 15)

Revision ID: 0007_disposition
Revises: 0006_retention_schedules
Create Date: 2026-11-30 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_disposition"
down_revision: str | None = "0006_retention_schedules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "file_retention",
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("retention_class", sa.String(length=200), nullable=True),
        sa.Column("retain_until", TS, nullable=False),
        sa.Column("original_filename", sa.String(length=1024), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("destroyed_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("file_id", name=op.f("pk_file_retention")),
    )
    op.create_index("ix_file_retention_due", "file_retention", ["retain_until"])
    op.create_table(
        "disposition_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=256), nullable=False),
        sa.Column("proposed_by_subject", sa.String(length=256), nullable=False),
        sa.Column("proposed_at", TS, nullable=False),
        sa.Column("decided_by", sa.String(length=256), nullable=True),
        sa.Column("decided_by_subject", sa.String(length=256), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("saga_id", sa.Uuid(), nullable=True),
        sa.Column("executed_at", TS, nullable=True),
        sa.Column("audit_seq_from", sa.BigInteger(), nullable=True),
        sa.Column("audit_seq_to", sa.BigInteger(), nullable=True),
        sa.Column("certificate", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("certificate_pdf", sa.LargeBinary(), nullable=True),
        sa.Column("certificate_file_id", sa.Uuid(), nullable=True),
        sa.Column("certificate_pdf_file_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposition_batches")),
    )
    op.create_index(op.f("ix_disposition_batches_status"), "disposition_batches", ["status"])
    op.create_table(
        "disposition_items",
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("record", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["disposition_batches.id"], ondelete="CASCADE",
                                name=op.f("fk_disposition_items_batch_id_disposition_batches")),
        sa.PrimaryKeyConstraint("batch_id", "file_id", name=op.f("pk_disposition_items")),
    )
    op.create_index(op.f("ix_disposition_items_file_id"), "disposition_items", ["file_id"])


def downgrade() -> None:
    op.drop_table("disposition_items")
    op.drop_table("disposition_batches")
    op.drop_index("ix_file_retention_due", table_name="file_retention")
    op.drop_table("file_retention")
