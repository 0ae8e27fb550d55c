"""Publishing the SE registry to Redis for ingester and query.

The whole list goes under ``DISCOVERY_KEY`` as a versioned ``DiscoveryDocument`` with a TTL and
is republished periodically; a notice goes out on ``DISCOVERY_CHANNEL`` when the version
changes. The version is a counter in PostgreSQL, bumped in the same transaction as the change
it describes; a Lua script refuses to overwrite a newer document, so two admin instances (or a
slow publish racing a fast one) never move clients backwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from admin_module.discovery import repository
from admin_module.metrics import DISCOVERY_PUBLISH, export_storage_elements
from admin_module.models.storage_element import StorageElement
from artstore_common.contracts import (
    DISCOVERY_CHANNEL,
    DISCOVERY_KEY,
    CopyPolicy,
    DiscoveredStorageElement,
    DiscoveryDocument,
)

log = structlog.get_logger(__name__)

# KEYS[1] key; ARGV: document, version, ttl, channel. Returns 2 new version, 1 refreshed, 0 stale.
_PUBLISH = """
local current = redis.call('GET', KEYS[1])
local version = tonumber(ARGV[2])
local previous = nil
if current then
  local ok, doc = pcall(cjson.decode, current)
  if ok and type(doc) == 'table' then previous = tonumber(doc['version']) end
end
if previous and previous > version then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', tonumber(ARGV[3]))
if previous == version then return 1 end
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 2
"""
_OUTCOMES = {0: "stale", 1: "refreshed", 2: "published"}

# Reads the copy policies for the document (``copies.policy.policies``, passed in by the
# lifespan: the copies package sits above this one and bumps the version on a change).
CopyPolicies = Callable[[AsyncSession], Awaitable[list[CopyPolicy]]]


def to_discovered(se: StorageElement) -> DiscoveredStorageElement:
    return DiscoveredStorageElement(
        id=se.id, name=se.name, api_url=se.api_url, mode=se.mode,  # type: ignore[arg-type]
        status=se.status, draining=se.draining, priority=se.priority,  # type: ignore[arg-type]
        capacity_bytes=se.capacity_bytes, used_bytes=se.used_bytes, file_count=se.file_count,
        backend=se.backend,  # type: ignore[arg-type]
        failure_domain=se.failure_domain, redundant_backend=bool(se.redundant_backend),
    )


async def snapshot(session: AsyncSession, copy_policies: CopyPolicies) -> DiscoveryDocument:
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    version = await repository.current_version(session)
    elements = await repository.storage_elements(session)
    export_storage_elements(elements)
    return DiscoveryDocument(
        version=int(version or 0), published_at=datetime.now(UTC),
        storage_elements=[to_discovered(se) for se in elements],
        copy_policies=await copy_policies(session),
    )


class DiscoveryPublisher:
    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], redis: Redis, ttl_seconds: int,
        copy_policies: CopyPolicies,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.copy_policies = copy_policies
        self.redis = redis
        self.ttl_seconds = ttl_seconds
        self._script = redis.register_script(_PUBLISH)

    async def publish(self) -> DiscoveryDocument | None:
        """Publish the current registry; never raises (Redis being away is logged and counted)."""
        async with self.sessionmaker() as session:
            doc = await snapshot(session, self.copy_policies)
        try:
            outcome = await self._script(
                keys=[DISCOVERY_KEY],
                args=[doc.model_dump_json(), doc.version, self.ttl_seconds, DISCOVERY_CHANNEL],
            )
        except Exception as exc:
            DISCOVERY_PUBLISH.labels("error").inc()
            log.warning("discovery.publish_failed", version=doc.version, error=str(exc))
            return None
        label = _OUTCOMES.get(int(outcome), "unknown")
        DISCOVERY_PUBLISH.labels(label).inc()
        if label == "published":
            log.info("discovery.published", version=doc.version,
                     storage_elements=len(doc.storage_elements))
        return doc
