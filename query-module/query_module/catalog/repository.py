"""All SQL that writes the catalog: idempotent upserts and owner-checked deletes."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from artstore_common.contracts import FileAttributes
from query_module.catalog.rules import CopyVersion, Outcome, delete_outcome, upsert_outcome
from query_module.models import CatalogCopy, CatalogFile, CatalogText, Tombstone
from query_module.text.morph import metadata_lemmas


def extension_of(filename: str) -> str:
    return os.path.splitext(filename)[1].lstrip(".").lower()[:64]


def row_values(attrs: FileAttributes, se_id: UUID, event_at: datetime) -> dict[str, Any]:
    return {
        "file_id": attrs.file_id,
        "storage_element_id": se_id,
        "original_filename": attrs.original_filename,
        "storage_filename": attrs.storage_filename,
        "extension": extension_of(attrs.original_filename),
        "size": attrs.size,
        "content_type": attrs.content_type,
        "sha256": attrs.sha256,
        "created_at": attrs.created_at,
        "updated_at": attrs.updated_at,
        "uploaded_by_id": attrs.uploaded_by.id,
        "uploaded_by_name": attrs.uploaded_by.name,
        "description": attrs.description,
        "version": attrs.version,
        "tags": list(attrs.tags),
        "retention_policy": attrs.retention_policy,
        "ttl_days": attrs.ttl_days,
        "expires_at": attrs.expires_at,
        "status": attrs.status,
        "compression_algorithm": attrs.compression.algorithm if attrs.compression else None,
        "stored_size": attrs.compression.stored_size if attrs.compression else None,
        "custom": attrs.custom,
        "finalized_at": attrs.finalized_at,
        "last_verified_at": attrs.last_verified_at,
        "legal_holds": list(attrs.legal_holds),
        "retain_until": attrs.retain_until,
        "retention_class": attrs.retention_class,
        "schema_version": attrs.schema_version,
        "event_at": event_at,
        "deleted_at": event_at if attrs.status == "deleted" else None,
        "meta_lemmas": metadata_lemmas(attrs.original_filename, attrs.description,
                                       list(attrs.tags), attrs.custom),
    }


def _version(row: CatalogFile) -> CopyVersion:
    return CopyVersion(
        storage_element_id=row.storage_element_id,
        status=row.status,
        updated_at=row.updated_at,
        event_at=row.event_at,
        finalized=row.finalized_at is not None,
    )


async def _locked_row(session: AsyncSession, file_id: UUID) -> CatalogFile | None:
    stmt = select(CatalogFile).where(CatalogFile.file_id == file_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def _tombstone_at(session: AsyncSession, file_id: UUID, se_id: UUID) -> datetime | None:
    stmt = select(Tombstone.deleted_at).where(
        Tombstone.file_id == file_id, Tombstone.storage_element_id == se_id
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _add_tombstone(session: AsyncSession, file_id: UUID, se_id: UUID, at: datetime) -> None:
    stmt = insert(Tombstone).values(file_id=file_id, storage_element_id=se_id, deleted_at=at)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Tombstone.file_id, Tombstone.storage_element_id],
        set_={"deleted_at": func.greatest(Tombstone.deleted_at, stmt.excluded.deleted_at)},
    )
    await session.execute(stmt)


async def _upsert_copy(session: AsyncSession, attrs: FileAttributes, se_id: UUID,
                       quarantined: bool) -> None:
    """This SE's copy (not older than what the row holds), and the rest of the copy set the
    sidecar names as ``expected`` until those SEs report theirs."""
    state = "deleted" if attrs.status == "deleted" else (
        "quarantined" if quarantined else "active")
    values = {"file_id": attrs.file_id, "storage_element_id": se_id, "state": state,
              "sha256": attrs.sha256, "last_verified_at": attrs.last_verified_at,
              "updated_at": attrs.updated_at, "indexed_at": func.now()}
    stmt = insert(CatalogCopy).values(**values)
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[CatalogCopy.file_id, CatalogCopy.storage_element_id],
        set_={k: stmt.excluded[k] for k in values if k not in ("file_id", "storage_element_id")},
        where=func.coalesce(CatalogCopy.updated_at, attrs.updated_at) <= attrs.updated_at,
    ))
    others = [c for c in attrs.copies if c != se_id]
    if others and attrs.status != "deleted":
        await session.execute(insert(CatalogCopy).values([
            {"file_id": attrs.file_id, "storage_element_id": c, "state": "expected"}
            for c in others]).on_conflict_do_nothing())


async def copies_of(session: AsyncSession, file_ids: list[UUID]) -> dict[UUID, list[CatalogCopy]]:
    found: dict[UUID, list[CatalogCopy]] = {f: [] for f in file_ids}
    if file_ids:
        rows = await session.execute(
            select(CatalogCopy).where(CatalogCopy.file_id.in_(file_ids))
            .order_by(CatalogCopy.file_id, CatalogCopy.storage_element_id))
        for copy in rows.scalars():
            found[copy.file_id].append(copy)
    return found


async def upsert_file(
    session: AsyncSession, attrs: FileAttributes, se_id: UUID, event_at: datetime,
    quarantined: bool = False,
) -> Outcome:
    tombstone = await _tombstone_at(session, attrs.file_id, se_id)
    if tombstone is not None and attrs.updated_at <= tombstone:
        return Outcome.STALE
    values = row_values(attrs, se_id, event_at)
    inserted = await session.execute(
        insert(CatalogFile).values(**values).on_conflict_do_nothing().returning(CatalogFile.file_id)
    )
    # Copy rows are written only under the file row's lock: one order, no deadlocks.
    if inserted.scalar_one_or_none() is not None:
        await _upsert_copy(session, attrs, se_id, quarantined)
        return Outcome.APPLIED
    row = await _locked_row(session, attrs.file_id)
    assert row is not None
    await _upsert_copy(session, attrs, se_id, quarantined)
    incoming = CopyVersion(
        storage_element_id=se_id,
        status=attrs.status,
        updated_at=attrs.updated_at,
        event_at=event_at,
        finalized=attrs.finalized_at is not None,
    )
    outcome = upsert_outcome(_version(row), incoming)
    owner = se_id if outcome is Outcome.APPLIED else row.storage_element_id
    if outcome is Outcome.APPLIED:
        values.pop("file_id")
        values["indexed_at"] = func.now()
        await session.execute(
            update(CatalogFile).where(CatalogFile.file_id == attrs.file_id).values(**values)
        )
    if quarantined and owner == se_id:
        await _hand_over(session, attrs.file_id, se_id)  # reads start at a healthy copy
    return outcome


async def delete_file(
    session: AsyncSession, file_id: UUID, se_id: UUID, occurred_at: datetime
) -> Outcome:
    await _add_tombstone(session, file_id, se_id, occurred_at)
    row = await _locked_row(session, file_id)
    await session.execute(
        update(CatalogCopy)
        .where(CatalogCopy.file_id == file_id, CatalogCopy.storage_element_id == se_id)
        .values(state="deleted", indexed_at=func.now()))
    outcome = delete_outcome(_version(row) if row else None, se_id)
    if outcome is Outcome.APPLIED and await _hand_over(session, file_id, se_id):
        return outcome
    if outcome is Outcome.APPLIED:
        await session.execute(
            update(CatalogFile)
            .where(CatalogFile.file_id == file_id)
            .values(
                status="deleted",
                deleted_at=occurred_at,
                event_at=func.greatest(CatalogFile.event_at, occurred_at),
                indexed_at=func.now(),
            )
        )
    return outcome


async def _hand_over(session: AsyncSession, file_id: UUID, se_id: UUID) -> bool:
    """One copy went away but another is live: the row now mirrors that one."""
    other = await session.scalar(
        select(CatalogCopy.storage_element_id)
        .where(CatalogCopy.file_id == file_id, CatalogCopy.storage_element_id != se_id,
               CatalogCopy.state == "active")
        .order_by(CatalogCopy.storage_element_id).limit(1))
    if other is None:
        return False
    await session.execute(update(CatalogFile).where(CatalogFile.file_id == file_id)
                          .values(storage_element_id=other, indexed_at=func.now()))
    return True


async def get_file(session: AsyncSession, file_id: UUID) -> CatalogFile | None:
    return await session.get(CatalogFile, file_id)


async def file_text(session: AsyncSession, file_id: UUID, max_chars: int) -> Any:
    """The extraction state and up to ``max_chars`` of a file's text (None: no catalog row).
    Columns: text_state, text_reason, method, pages, extracted_at, length, content."""
    return (await session.execute(
        select(CatalogFile.text_state, CatalogFile.text_reason, CatalogText.method,
               CatalogText.pages, CatalogText.extracted_at,
               func.length(CatalogText.content).label("length"),
               func.left(CatalogText.content, max_chars).label("content"))
        .outerjoin(CatalogText, CatalogText.file_id == CatalogFile.file_id)
        .where(CatalogFile.file_id == file_id))).one_or_none()
