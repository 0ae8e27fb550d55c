"""Retention schedules published to Redis (``contracts.RETENTION_SCHEDULES_KEY``) so that the
ingester can apply a class at upload while the admin module is away. Schedules never change once
created, so a copy in Redis cannot go stale; all of them are written again at every start."""

from __future__ import annotations

import json

import redis.asyncio as aioredis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_module.models.legal_hold import RetentionSchedule
from admin_module.records import repository
from artstore_common.contracts import RETENTION_SCHEDULES_KEY


def wire(schedule: RetentionSchedule) -> dict[str, str]:
    """name → the JSON the ingester reads (taken while the row is loaded)."""
    return {schedule.name: json.dumps({
        "name": schedule.name, "period_days": schedule.period_days, "trigger": schedule.trigger,
        "date_field": schedule.date_field, "action": schedule.action})}


async def publish(client: aioredis.Redis, wired: dict[str, str]) -> None:
    if wired:
        await client.hset(RETENTION_SCHEDULES_KEY, mapping=wired)


async def publish_all(client: aioredis.Redis,
                      sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        wired = {}
        for schedule in await repository.all_schedules(session):
            wired.update(wire(schedule))
    await publish(client, wired)
