"""One file's metadata: LRU → Redis → catalog → the SEs (read-after-write, ``lookup.py``);
the SE's current mode from discovery."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from artstore_common.discovery import DiscoveryClient
from query_module.cache import MetadataCache
from query_module.catalog import repository
from query_module.catalog.schemas import FileRead, FileText, TextExtraction
from query_module.db import session_scope
from query_module.errors import FileNotFound, NoText, TextPending
from query_module.files.lookup import CatalogMissLookup


async def load_file(
    file_id: UUID,
    cache: MetadataCache,
    sessionmaker: async_sessionmaker[AsyncSession],
    lookup: CatalogMissLookup | None = None,
) -> FileRead:
    """The live file's catalog entry; deleted files are gone for clients (404)."""
    value = await cache.get(file_id)
    if value is None:
        ticket = await cache.ticket(file_id)
        async with session_scope(sessionmaker) as session:
            row = await repository.get_file(session, file_id)
            copies = (await repository.copies_of(session, [file_id]))[file_id]
            value = FileRead.from_row(row, copies) if row is not None else None
        if value is None and lookup is not None:
            value = await lookup.find(file_id)
        if value is None:
            raise FileNotFound(details={"file_id": str(file_id)})
        await cache.put(value, ticket)
    if value.status == "deleted":
        raise FileNotFound(details={"file_id": str(file_id)})
    return value


def with_mode(value: FileRead, discovery: DiscoveryClient) -> FileRead:
    se = discovery.get(value.storage_element_id)
    return value.model_copy(update={"storage_element_mode": se.mode if se else None})


async def load_text(file_id: UUID, sessions: async_sessionmaker[AsyncSession],
                    max_chars: int) -> FileText:
    """The text extracted from a file the caller has already found (``load_file``)."""
    async with session_scope(sessions) as session:
        row = await repository.file_text(session, file_id, max_chars)
    details = {"file_id": str(file_id), "state": row.text_state if row else "pending",
               "reason": row.text_reason if row else None}
    if row is None or row.text_state == "pending":
        raise TextPending(details=details)  # only on the SEs so far, or waiting for extraction
    if row.text_state != "done" or row.extracted_at is None:
        raise NoText(details=details)
    return FileText(file_id=file_id,
                    text_extraction=TextExtraction(state="done", reason=row.text_reason),
                    method=row.method, pages=row.pages, extracted_at=row.extracted_at,
                    length=row.length, truncated=row.length > max_chars, content=row.content)
