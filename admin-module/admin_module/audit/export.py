"""Streaming export of the audit log (JSON lines or CSV) for auditors.

No session is held while the response streams: each batch opens and closes its own.
Rows carry ``prev_mac`` and ``mac`` so the chain can be checked offline with the HMAC key.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_module.audit import repository
from admin_module.audit.repository import AuditFilter
from admin_module.models.audit import AuditEvent

FIELDS = ("id", "seq", "created_at", "action", "actor", "resource_type", "resource_id",
          "outcome", "details", "request_id", "prev_mac", "mac")
BATCH = 1000


def _as_dict(row: AuditEvent) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in FIELDS}
    data["id"] = str(row.id)
    data["created_at"] = row.created_at.isoformat()
    return data


async def _rows(sessionmaker: async_sessionmaker[AsyncSession], f: AuditFilter,
                max_rows: int) -> AsyncIterator[AuditEvent]:
    after, sent = 0, 0
    while sent < max_rows:
        async with sessionmaker() as session:
            rows = await repository.batch_after(session, f, after, min(BATCH, max_rows - sent))
        for row in rows:
            yield row
        sent += len(rows)
        if len(rows) < BATCH:
            return
        after = rows[-1].seq


async def jsonl(sessionmaker, f: AuditFilter, max_rows: int) -> AsyncIterator[bytes]:
    async for row in _rows(sessionmaker, f, max_rows):
        yield (json.dumps(_as_dict(row), ensure_ascii=False) + "\n").encode()


async def csv_lines(sessionmaker, f: AuditFilter, max_rows: int) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIELDS)
    writer.writeheader()
    yield buffer.getvalue().encode()
    async for row in _rows(sessionmaker, f, max_rows):
        buffer.seek(0)
        buffer.truncate()
        data = _as_dict(row)
        data["details"] = json.dumps(data["details"], ensure_ascii=False)
        writer.writerow(data)
        yield buffer.getvalue().encode()
