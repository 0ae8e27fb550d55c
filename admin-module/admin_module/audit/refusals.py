"""Refusals the other services report (``contracts.REFUSALS_STREAM``) become audit entries.

A storage element cannot write the admin database, so it aggregates its 401/403/429 answers per
interval and adds one ``RefusalReport`` per alike group to the stream; here each becomes one
``security.requests_refused`` entry (outcome ``denied``) in the HMAC chain, like the admin
module's own aggregated refusals. A consumer group lets several admin instances share the
stream; an entry is acknowledged after its audit row commits, and entries another instance
left unacknowledged for a minute are claimed again.
"""

from __future__ import annotations

import json
import os
import socket

import redis.asyncio as aioredis
import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_module.audit import service as audit
from artstore_common.contracts import REFUSALS_STREAM, RefusalReport

log = structlog.get_logger(__name__)

GROUP = "admin-audit"
CONSUMER = f"{socket.gethostname()}-{os.getpid()}"
BATCH = 200
CLAIM_IDLE_MS = 60_000
POLL_SECONDS = 5.0


async def ensure_group(client: aioredis.Redis, stream: str, group: str = GROUP) -> None:
    """The admin module's consumer group on a stream the other services report to, from the
    start of what the stream still holds."""
    try:
        await client.xgroup_create(stream, group, id="0", mkstream=True)
    except aioredis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


async def _record(sessionmaker: async_sessionmaker[AsyncSession], entry_id: str,
                  fields: dict) -> None:
    try:
        report = RefusalReport.model_validate(json.loads(fields.get(b"data") or b"{}"))
    except (ValueError, ValidationError):
        log.warning("audit.refusal_report_invalid", entry_id=entry_id)
        return
    async with sessionmaker() as session, session.begin():
        await audit.record(
            session, action="security.requests_refused", actor=report.subject,
            resource_type=report.service, resource_id=report.instance, outcome="denied",
            details={"status": report.status, "code": report.code,
                     "operation": report.operation[:200], "source": report.source,
                     "count": report.count, "first_at": report.first_at.isoformat(),
                     "last_at": report.last_at.isoformat(), "report_id": entry_id})


async def drain(client: aioredis.Redis, sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Audit every waiting report; returns how many were written."""
    await ensure_group(client, REFUSALS_STREAM)
    written = 0
    _, claimed, *_ = await client.xautoclaim(REFUSALS_STREAM, GROUP, CONSUMER,
                                             min_idle_time=CLAIM_IDLE_MS, count=BATCH)
    batches = [claimed]
    while True:
        for entry_id, fields in (e for batch in batches for e in batch if e[1] is not None):
            eid = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
            await _record(sessionmaker, eid, fields)
            await client.xack(REFUSALS_STREAM, GROUP, eid)
            written += 1
        answer = await client.xreadgroup(GROUP, CONSUMER, {REFUSALS_STREAM: ">"}, count=BATCH)
        if not answer:
            return written
        batches = [answer[0][1]]
