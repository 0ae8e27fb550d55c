"""Apply one ``FileEvent`` to the catalog (inside the caller's transaction)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from artstore_common.contracts import FileEvent
from query_module.catalog import repository
from query_module.catalog.rules import Outcome


async def apply_event(session: AsyncSession, event: FileEvent) -> Outcome:
    if event.type == "file.deleted":
        return await repository.delete_file(
            session, event.file_id, event.storage_element_id, event.occurred_at
        )
    attrs = event.attributes
    if attrs is None or attrs.file_id != event.file_id:
        return Outcome.INVALID
    return await repository.upsert_file(
        session, attrs, event.storage_element_id, event.occurred_at, event.quarantined
    )
