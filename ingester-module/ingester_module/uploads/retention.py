"""A retention class given at upload: the schedule (published by the admin module in Redis, else
asked from the admin module with the caller's own token, before any byte is stored) gives
``retain_until`` for every copy's sidecar. The admin module learns the file's class from the
SEs' file events (its disposition index), so nothing here depends on it being up afterwards."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import redis.asyncio as aioredis
import structlog

from artstore_common.contracts import RETENTION_SCHEDULES_KEY
from artstore_common.errors import ServiceUnavailable
from ingester_module.errors import InvalidField
from ingester_module.uploads.form import UploadOptions

log = structlog.get_logger(__name__)


class UnknownRetentionClass(InvalidField):
    code, message = "UNKNOWN_RETENTION_CLASS", "No retention schedule has this name"


class TriggerDateMissing(InvalidField):
    code = "RETENTION_TRIGGER_MISSING"
    message = "The metadata has no usable date for this retention class's trigger"


def _trigger(schedule: dict[str, Any], custom: dict[str, Any], now: datetime
             ) -> datetime | None:
    """The admin module's rule (``records.service.trigger_date``), at upload time."""
    if schedule["trigger"] == "upload":
        return now
    if schedule["trigger"] == "event":
        return None
    raw = custom.get(schedule.get("date_field") or "")
    try:
        parsed = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise TriggerDateMissing(details={"field": "metadata",
                                          "date_field": schedule.get("date_field")})
    if len(raw) == 10:  # a plain date: the end of that day, UTC
        return datetime.combine(date.fromisoformat(raw), time.max, tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def _published(client: aioredis.Redis, name: str) -> dict[str, Any] | None:
    try:
        raw = await client.hget(RETENTION_SCHEDULES_KEY, name)
    except aioredis.RedisError as exc:
        log.warning("retention.schedules_unreadable", error=str(exc)[:200])
        return None
    return json.loads(raw) if raw else None


async def _asked(http: httpx.AsyncClient, admin_url: str, token: str,
                 options: UploadOptions) -> dict[str, Any]:
    try:
        r = await http.get(f"{admin_url.rstrip('/')}/api/v1/retention-schedules/"
                           f"{quote(options.retention_class, safe='')}",
                           headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        raise ServiceUnavailable("The admin module did not answer for the retention class",
                                 headers={"Retry-After": "30"}) from exc
    if r.status_code in (404, 405, 422):  # no such name (or one no route takes, like "..")
        raise UnknownRetentionClass(details={"field": "retention_class",
                                             "retention_class": options.retention_class})
    if r.status_code != 200:
        raise ServiceUnavailable("The admin module could not give the retention class",
                                 details={"status": r.status_code},
                                 headers={"Retry-After": "30"})
    return r.json()


async def apply_class(http: httpx.AsyncClient, schedules: aioredis.Redis, admin_url: str,
                      token: str, options: UploadOptions) -> UploadOptions:
    """``options`` with ``retain_until`` computed from the class's schedule."""
    if options.retention_class is None:
        return options
    schedule = (await _published(schedules, options.retention_class)
                or await _asked(http, admin_url, token, options))
    start = _trigger(schedule, options.custom, datetime.now(UTC))
    until = start + timedelta(days=schedule["period_days"]) if start else None
    return dataclasses.replace(options, retain_until=until)
