"""index, wal and outbox tables

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "files",
        sa.Column("file_id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("storage_path", sa.Text, nullable=False),
        sa.Column("attrs", pg.JSONB, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("stored_size", sa.BigInteger, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("retention_policy", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("expires_at", TS),
        sa.Column("last_verified_at", TS),
        sa.Column("fixity_status", sa.String(16)),
        sa.Column("quarantined_at", TS),
    )
    op.create_index("ix_files_updated_at_file_id", "files", ["updated_at", "file_id"])
    op.create_index("ix_files_expires_at", "files", ["expires_at"])
    op.create_table(
        "wal",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("file_id", pg.UUID(as_uuid=True)),
        sa.Column("storage_path", sa.Text),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("payload", pg.JSONB, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("finished_at", TS),
    )
    op.create_index("ix_wal_pending", "wal", ["id"], postgresql_where=sa.text("state = 'pending'"))
    op.create_index("ix_wal_finished_at", "wal", ["finished_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("event_id", pg.UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("payload", pg.JSONB, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.text("now()")),
        sa.Column("sent_at", TS),
    )
    op.create_index(
        "ix_outbox_unsent", "outbox", ["id"], postgresql_where=sa.text("sent_at IS NULL")
    )


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("wal")
    op.drop_table("files")
