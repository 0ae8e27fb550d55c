"""How far the catalog is behind the stream, read from Redis's own bookkeeping."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis


@dataclass(frozen=True)
class Backlog:
    lag_seconds: float
    pending: int  # delivered to a consumer, not yet acknowledged
    undelivered: int  # not yet read by the group

    def as_dict(self) -> dict[str, Any]:
        return {"lag_seconds": round(self.lag_seconds, 3), "pending": self.pending,
                "undelivered": self.undelivered}


def _ms(entry_id: bytes | str) -> int:
    raw = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return int(raw.split("-", 1)[0])


async def read_backlog(redis: Redis, stream: str, group: str) -> Backlog:
    groups = await redis.xinfo_groups(stream)
    info = next((g for g in groups if _name(g.get("name")) == group), None)
    if info is None:
        length = await redis.xlen(stream)
        first = await redis.xrange(stream, count=1)
        oldest = _ms(first[0][0]) if first else None
        return _backlog(oldest, 0, length)
    pending = int(info.get("pending") or 0)
    oldest_ms: int | None = None
    if pending:
        summary = await redis.xpending(stream, group)
        if summary.get("min"):
            oldest_ms = _ms(summary["min"])
    last = _name(info.get("last-delivered-id")) or "0-0"
    following = await redis.xrange(stream, min=f"({last}", count=1)
    if following:
        ts = _ms(following[0][0])
        oldest_ms = ts if oldest_ms is None else min(oldest_ms, ts)
    lag = info.get("lag")
    undelivered = int(lag) if lag is not None else (1 if following else 0)
    return _backlog(oldest_ms, pending, undelivered)


def _backlog(oldest_ms: int | None, pending: int, undelivered: int) -> Backlog:
    lag = 0.0 if oldest_ms is None else max(0.0, time.time() - oldest_ms / 1000)
    return Backlog(lag_seconds=lag, pending=pending, undelivered=undelivered)


def _name(value: Any) -> str | None:
    return value.decode() if isinstance(value, bytes) else value
