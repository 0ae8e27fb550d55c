"""The access trail: uploads, metadata reads and downloads the ingester and the query module
report (``contracts.ACCESS_EVENTS_STREAM``) become one audit entry each.

Same shape as ``refusals``: a consumer group shared by the admin instances; each batch of
entries is written in one transaction (the chain head is locked once per batch) and
acknowledged after it commits; entries another instance left for a minute are claimed again.
"""

from __future__ import annotations

import json

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_module.audit import service as audit
from admin_module.audit.refusals import BATCH, CLAIM_IDLE_MS, CONSUMER, GROUP, ensure_group
from artstore_common.contracts import ACCESS_EVENTS_STREAM, AccessEvent

log = structlog.get_logger(__name__)

POLL_SECONDS = 2.0


def _parse(entry_id: str, fields: dict) -> AccessEvent | None:
    try:
        return AccessEvent.model_validate(json.loads(fields.get(b"data") or b"{}"))
    except (ValueError, ValidationError):
        log.warning("audit.access_event_invalid", entry_id=entry_id)
        return None


async def _record_batch(sessionmaker: async_sessionmaker[AsyncSession],
                        entries: list[tuple[str, AccessEvent]]) -> None:
    async with sessionmaker() as session, session.begin():
        await audit.record_many(session, [audit.Entry(
            action=event.action, actor=(event.name or event.subject)[:256],
            resource_type="file", resource_id=str(event.file_id), outcome=event.outcome,
            details={**event.details, "subject": event.subject, "source": event.source,
                     "service": event.service, "occurred_at": event.occurred_at.isoformat(),
                     "event_id": entry_id}) for entry_id, event in entries])


async def _trim_acknowledged(client: aioredis.Redis, last_id: str) -> None:
    """What the group acknowledged is in the audit chain: drop it, so the stream holds only the
    backlog (every upload and read adds an entry; MAXLEN alone would keep 100,000 of them)."""
    pending = await client.xpending(ACCESS_EVENTS_STREAM, GROUP)
    if pending["pending"]:
        oldest = pending["min"]
        minid = oldest.decode() if isinstance(oldest, bytes) else str(oldest)
    else:
        ms, _, seq = last_id.partition("-")
        minid = f"{ms}-{int(seq or 0) + 1}"
    await client.xtrim(ACCESS_EVENTS_STREAM, minid=minid, approximate=False)


async def drain(client: aioredis.Redis, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Audit every waiting access event; returns how many were written."""
    await ensure_group(client, ACCESS_EVENTS_STREAM)
    written = 0
    _, batch, *_ = await client.xautoclaim(ACCESS_EVENTS_STREAM, GROUP, CONSUMER,
                                           min_idle_time=CLAIM_IDLE_MS, count=BATCH)
    while True:
        ids, entries = [], []
        for entry_id, fields in batch:
            if fields is None:
                continue
            eid = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
            ids.append(eid)
            if (event := _parse(eid, fields)) is not None:
                entries.append((eid, event))
        if entries:
            await _record_batch(sessionmaker, entries)
        if ids:
            await client.xack(ACCESS_EVENTS_STREAM, GROUP, *ids)
            await _trim_acknowledged(client, ids[-1])
        written += len(entries)
        answer = await client.xreadgroup(GROUP, CONSUMER, {ACCESS_EVENTS_STREAM: ">"},
                                         count=BATCH)
        if not answer:
            return written
        batch = answer[0][1]
