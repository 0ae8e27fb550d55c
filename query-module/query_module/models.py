"""ORM models of the catalog: a rebuildable projection of every SE's sidecars."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class CatalogFile(Base):
    __tablename__ = "catalog_files"

    file_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    storage_element_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), nullable=False)
    original_filename: Mapped[str] = mapped_column(Text, nullable=False)
    storage_filename: Mapped[str] = mapped_column(Text, nullable=False)
    extension: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    content_type: Mapped[str] = mapped_column(String(255), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    uploaded_by_id: Mapped[str] = mapped_column(String(255), nullable=False)
    uploaded_by_name: Mapped[str] = mapped_column(String(255), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[str | None] = mapped_column(String(64))
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), nullable=False, default=list)
    retention_policy: Mapped[str] = mapped_column(String(16), nullable=False)
    ttl_days: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    compression_algorithm: Mapped[str | None] = mapped_column(String(16))
    stored_size: Mapped[int | None] = mapped_column(BigInteger)
    custom: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False, default=dict)
    finalized_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Records governance (issue 15, from the sidecar): hold ids, and the keep-until date.
    legal_holds: Mapped[list[uuid.UUID]] = mapped_column(
        ARRAY(UUID(as_uuid=True)), nullable=False, default=list, server_default="{}")
    retain_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retention_class: Mapped[str | None] = mapped_column(String(200), index=True)
    schema_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # Ordering of applied changes: (updated_at, event_at) of the copy the row mirrors.
    event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reindexed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    indexed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    # Maintained by the trigger catalog_files_search_vector (see the migration).
    search_vector: Mapped[Any] = mapped_column(TSVECTOR, nullable=True, deferred=True)
    # Document text (migration 0002): extraction state, lemma text of the metadata, and the
    # body's lexemes that the trigger folds into search_vector.
    text_state: Mapped[str] = mapped_column(String(16), nullable=False, server_default="pending")
    text_reason: Mapped[str | None] = mapped_column(Text)
    text_lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    meta_lemmas: Mapped[str | None] = mapped_column(Text, deferred=True)
    body_vector: Mapped[Any] = mapped_column(TSVECTOR, nullable=True, deferred=True)
    # The metadata part of search_vector (migration 0005): what large match sets rank on.
    meta_vector: Mapped[Any] = mapped_column(TSVECTOR, nullable=True, deferred=True)

    __table_args__ = (
        Index("ix_catalog_search_vector", "search_vector", postgresql_using="gin"),
        Index("ix_catalog_meta_vector", "meta_vector", postgresql_using="gin"),
        Index("ix_catalog_files_legal_holds", "legal_holds", postgresql_using="gin"),
        Index(
            "ix_catalog_name_trgm",
            text("lower(original_filename) gin_trgm_ops"),
            postgresql_using="gin",
        ),
        Index(
            "ix_catalog_description_trgm",
            text("lower(coalesce(description, '')) gin_trgm_ops"),
            postgresql_using="gin",
        ),
        Index("ix_catalog_tags", "tags", postgresql_using="gin"),
        Index("ix_catalog_original_filename", "original_filename"),
        Index("ix_catalog_se", "storage_element_id"),
        Index("ix_catalog_created_at", "created_at"),
        Index("ix_catalog_size", "size"),
        Index("ix_catalog_content_type", "content_type"),
        Index("ix_catalog_extension", "extension"),
        Index("ix_catalog_expires_at", "expires_at"),
        Index("ix_catalog_status_retention", "status", "retention_policy"),
        Index("ix_catalog_uploaded_by", "uploaded_by_id"),
        Index("ix_catalog_text_pending", "indexed_at",
              postgresql_where=text("text_state = 'pending'")),
    )


class CatalogCopy(Base):
    """One copy of a file on one SE. ``state``: ``active`` (the SE reported it), ``expected``
    (named in a sidecar's copy set but not reported by that SE yet), ``quarantined`` (the SE
    reported it failed fixity), ``deleted``."""

    __tablename__ = "catalog_copies"

    file_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    storage_element_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    sha256: Mapped[str | None] = mapped_column(String(64))
    last_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    indexed_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )

    __table_args__ = (Index("ix_catalog_copies_se_state", "storage_element_id", "state"),)


class Tombstone(Base):
    """A delete seen from one SE: stale events of that copy must not bring it back."""

    __tablename__ = "catalog_tombstones"

    file_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    storage_element_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    deleted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ReindexRun(Base):
    __tablename__ = "reindex_runs"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)  # running|completed|failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)


class ReindexProgress(Base):
    """Per-SE cursor of a run, committed after each page so a restart resumes."""

    __tablename__ = "reindex_progress"

    run_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    storage_element_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    done: Mapped[bool] = mapped_column(default=False, nullable=False)
    pages: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    listed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    upserted: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    removed: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class CatalogText(Base):
    """Text extracted from a file: derived, regenerated by re-index (migration 0002)."""

    __tablename__ = "catalog_texts"

    file_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    method: Mapped[str | None] = mapped_column(String(16))
    pages: Mapped[int | None] = mapped_column(Integer)
    extracted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
