"""The disposition index learns retention classes from the storage elements' file events.

A class given at upload is written into every copy's sidecar with the bytes; each SE then puts a
``file.created`` event (the whole sidecar) on ``artstore:file-events`` through its outbox. The
admin module reads that stream with its own consumer group, so an event waits in Redis while the
admin module is down and is indexed when it is back: no follow-up call the ingester could lose.
Every sidecar event carrying a class and ``retain_until`` is upserted into ``file_retention``
(only ever later, as the sidecars move); entries are acknowledged after the transaction commits.
The SEs' stream trimmer keeps every entry this group has not acknowledged (up to its bound).
"""

from __future__ import annotations

import json
import uuid

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_module.audit.refusals import CLAIM_IDLE_MS, CONSUMER, ensure_group
from admin_module.disposition import repository as repo
from artstore_common.contracts import FileAttributes, FileEvent, stream_overtaken_key

log = structlog.get_logger(__name__)

GROUP = "admin-retention"
BATCH = 500
POLL_SECONDS = 2.0


def _classed(entry_id: str, fields: dict) -> FileAttributes | None:
    try:
        event = FileEvent.model_validate(json.loads(fields.get(b"data") or b"{}"))
    except (ValueError, ValidationError):
        log.warning("retention.file_event_invalid", entry_id=entry_id)
        return None
    attrs = event.attributes
    if event.type == "file.deleted" or attrs is None or attrs.status != "active":
        return None
    if attrs.retention_class is None or attrs.retain_until is None:
        return None  # an event class before its event is no candidate yet
    return attrs


async def _index(sessionmaker: async_sessionmaker[AsyncSession],
                 found: dict[uuid.UUID, FileAttributes]) -> None:
    async with sessionmaker() as session, session.begin():
        for attrs in found.values():
            await repo.note_from_sidecar(session, attrs.file_id, attrs.retain_until,
                                         attrs.retention_class, attrs.original_filename,
                                         attrs.size)


async def drain(client: aioredis.Redis, sessionmaker: async_sessionmaker[AsyncSession],
                stream: str) -> int:
    """Index every waiting classed file event; returns how many files were noted."""
    # The first start indexes the recent uploads the stream still holds too.
    await ensure_group(client, stream, GROUP)
    if await client.hdel(stream_overtaken_key(stream), GROUP):
        # The SEs' bound trimmed events this group had not read (the admin module was down
        # through more than SE_EVENTS_MAX_ENTRIES events): classes given then are not indexed.
        log.error("retention.file_events_overtaken", stream=stream, group=GROUP)
    noted = 0
    _, batch, *_ = await client.xautoclaim(stream, GROUP, CONSUMER,
                                           min_idle_time=CLAIM_IDLE_MS, count=BATCH)
    while True:
        ids: list[str] = []
        found: dict[uuid.UUID, FileAttributes] = {}
        for entry_id, fields in batch:
            eid = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
            ids.append(eid)
            if fields is None or (attrs := _classed(eid, fields)) is None:
                continue
            seen = found.get(attrs.file_id)
            if seen is None or seen.retain_until <= attrs.retain_until:  # type: ignore[operator]
                found[attrs.file_id] = attrs
        if found:
            await _index(sessionmaker, found)
        if ids:
            await client.xack(stream, GROUP, *ids)
        noted += len(found)
        answer = await client.xreadgroup(GROUP, CONSUMER, {stream: ">"}, count=BATCH)
        if not answer:
            return noted
        batch = answer[0][1]
