# ruff: noqa: E501
"""control plane: storage-element registry, discovery version, sagas

Revision ID: 0002_control_plane
Revises: 0001_identity
Create Date: 2026-11-26 06:52:53.621350
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002_control_plane'
down_revision: str | None = '0001_identity'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('discovery_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discovery_version'))
    )
    op.execute("INSERT INTO discovery_version (id, version, changed_at) VALUES (1, 0, now())")
    op.create_table('sagas',
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('resource_id', sa.String(length=64), nullable=True),
    sa.Column('current_step', sa.String(length=64), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('steps', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=256), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sagas'))
    )
    op.create_index('ix_sagas_due', 'sagas', ['state', 'next_attempt_at'], unique=False)
    op.create_index(op.f('ix_sagas_resource_id'), 'sagas', ['resource_id'], unique=False)
    op.create_index(op.f('ix_sagas_type'), 'sagas', ['type'], unique=False)
    op.create_index('uq_sagas_active_resource', 'sagas', ['type', 'resource_id'], unique=True, postgresql_where=sa.text("state IN ('running', 'compensating')"))
    op.create_table('storage_elements',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('api_url', sa.String(length=512), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('draining', sa.Boolean(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('backend', sa.String(length=16), nullable=False),
    sa.Column('capacity_bytes', sa.BigInteger(), nullable=False),
    sa.Column('used_bytes', sa.BigInteger(), nullable=False),
    sa.Column('file_count', sa.BigInteger(), nullable=False),
    sa.Column('retention_days', sa.Integer(), nullable=True),
    sa.Column('retention_warning_days', sa.Integer(), nullable=False),
    sa.Column('se_version', sa.String(length=64), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('registered_by', sa.String(length=256), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_storage_elements')),
    sa.UniqueConstraint('api_url', name=op.f('uq_storage_elements_api_url')),
    sa.UniqueConstraint('name', name=op.f('uq_storage_elements_name'))
    )


def downgrade() -> None:
    op.drop_table('storage_elements')
    op.drop_index('uq_sagas_active_resource', table_name='sagas', postgresql_where=sa.text("state IN ('running', 'compensating')"))
    op.drop_index(op.f('ix_sagas_type'), table_name='sagas')
    op.drop_index(op.f('ix_sagas_resource_id'), table_name='sagas')
    op.drop_index('ix_sagas_due', table_name='sagas')
    op.drop_table('sagas')
    op.drop_table('discovery_version')
