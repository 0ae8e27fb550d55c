"""Query-module fixtures: one migrated template database per session, cloned per test; a
unique stream / discovery key / cache prefix per test on the shared Redis; the real app
(real lifespan) driven in-process with httpx, its consumer stepped by hand.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import create_async_engine

from artstore_common.contracts import (
    DiscoveredStorageElement,
    DiscoveryDocument,
    FileAttributes,
    FileEvent,
    Uploader,
)
from query_module.config import Settings
from query_module.db import run_migrations
from query_module.main import create_app


def _db_url(pg_dsn: str, name: str) -> str:
    base = pg_dsn.rsplit("/", 1)[0].split("://", 1)[1]
    return f"postgresql+asyncpg://{base}/{name}"


async def _pg(pg_dsn: str, sql: str) -> None:
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
async def query_template_db(pg_dsn) -> AsyncIterator[str]:
    name = f"query_tmpl_{uuid.uuid4().hex[:8]}"
    await _pg(pg_dsn, f'CREATE DATABASE "{name}"')
    engine = create_async_engine(_db_url(pg_dsn, name))
    await run_migrations(engine)
    await engine.dispose()
    yield name
    await _pg(pg_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
async def query_db(pg_dsn, query_template_db) -> AsyncIterator[str]:
    name = f"query_t_{uuid.uuid4().hex[:10]}"
    await _pg(pg_dsn, f'CREATE DATABASE "{name}" TEMPLATE "{query_template_db}"')
    yield _db_url(pg_dsn, name)
    await _pg(pg_dsn, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture()
def public_key_file(tmp_path: Path, token_factory) -> str:
    path = tmp_path / "jwt-public.pem"
    path.write_bytes(token_factory.public_pem)
    return str(path)


@pytest.fixture()
def query_settings(query_db, redis_url, public_key_file, tmp_path) -> Settings:
    tag = uuid.uuid4().hex[:12]
    return Settings(
        ENVIRONMENT="test",
        LOG_LEVEL="WARNING",
        DATABASE_URL=query_db,
        DATABASE_POOL_SIZE=3,
        REDIS_URL=redis_url,
        JWT_PUBLIC_KEY_FILE=public_key_file,
        FILE_EVENTS_STREAM=f"test:{tag}:file-events",
        CACHE_KEY_PREFIX=f"test:{tag}:file:",
        CACHE_INVALIDATION_CHANNEL=f"test:{tag}:invalidate",
        DISCOVERY_KEY=f"test:{tag}:storage_elements",
        DISCOVERY_CHANNEL=f"test:{tag}:discovery",
        DISCOVERY_FALLBACK_FILE=str(tmp_path / "discovery.json"),
        DISCOVERY_REFRESH_SECONDS=0.5,
        CONSUMER_ENABLED=False,
        CONSUMER_NAME="query-test-1",
        CONSUMER_BLOCK_MS=50,
        CONSUMER_CLAIM_IDLE_SECONDS=0.2,
        CONSUMER_CLAIM_INTERVAL_SECONDS=0.01,
    )


@pytest.fixture()
async def redis_client(redis_url) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


class QueryHarness:
    """The running app plus helpers to feed the stream and publish discovery."""

    def __init__(self, app: Any, client: httpx.AsyncClient, settings: Settings, redis: Redis,
                 token_factory: Any) -> None:
        self.app = app
        self.client = client
        self.settings = settings
        self.redis = redis
        self.tokens = token_factory
        self.discovery_version = 0

    def headers(self, role: str = "READONLY", **kwargs: Any) -> dict[str, str]:
        return self.tokens.headers(role, **kwargs)

    @property
    def consumer(self) -> Any:
        return self.app.state.consumer

    async def publish(self, event: FileEvent) -> bytes:
        return await self.redis.xadd(
            self.settings.FILE_EVENTS_STREAM, {"data": event.model_dump_json()}
        )

    async def drain(self) -> int:
        """Step the consumer until the stream has nothing new for it."""
        await self.consumer.ensure_group()
        total = 0
        while handled := await self.consumer.step():
            total += handled
        return total

    async def ingest(self, *events: FileEvent) -> None:
        for event in events:
            await self.publish(event)
        await self.drain()

    async def set_discovery(self, *ses: DiscoveredStorageElement) -> None:
        self.discovery_version += 1
        doc = DiscoveryDocument(version=self.discovery_version, published_at=datetime.now(UTC),
                                storage_elements=list(ses))
        await self.redis.set(self.settings.DISCOVERY_KEY, doc.model_dump_json())
        await self.redis.publish(self.settings.DISCOVERY_CHANNEL, str(doc.version))
        discovery = self.app.state.discovery
        ok = await asyncio.to_thread(
            discovery.wait_for, lambda d: d is not None and d.version == doc.version, 30.0
        )
        assert ok, "discovery did not pick up the published document"

    async def search(self, role: str = "READONLY", **params: Any) -> httpx.Response:
        return await self.client.get("/api/v1/search", params=params, headers=self.headers(role))


@pytest.fixture()
async def harness(query_settings, redis_client, token_factory) -> AsyncIterator[QueryHarness]:
    app = create_app(query_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://query") as client:
            yield QueryHarness(app, client, query_settings, redis_client, token_factory)
    s = query_settings
    keys = [k async for k in redis_client.scan_iter(match=f"{s.CACHE_KEY_PREFIX}*")]
    await redis_client.delete(s.FILE_EVENTS_STREAM, s.DISCOVERY_KEY, *keys)


# ---- builders ----------------------------------------------------------------------------

def make_attrs(**overrides: Any) -> FileAttributes:
    now = datetime.now(UTC)
    file_id = overrides.pop("file_id", uuid.uuid4())
    name = overrides.pop("original_filename", "report.pdf")
    values: dict[str, Any] = {
        "file_id": file_id,
        "original_filename": name,
        "storage_filename": f"2026/01/01/00/x_{file_id}{Path(name).suffix}",
        "size": 1234,
        "content_type": "application/pdf",
        "sha256": "0" * 64,
        "created_at": now,
        "updated_at": now,
        "uploaded_by": Uploader(id="client-1", name="scanner"),
        "retention_policy": "permanent",
    }
    values.update(overrides)
    return FileAttributes(**values)


def make_event(
    attrs: FileAttributes | None,
    se_id: uuid.UUID,
    *,
    type: str = "file.created",
    file_id: uuid.UUID | None = None,
    occurred_at: datetime | None = None,
) -> FileEvent:
    return FileEvent(
        event_id=uuid.uuid4(),
        type=type,  # type: ignore[arg-type]
        file_id=file_id or (attrs.file_id if attrs else uuid.uuid4()),
        storage_element_id=se_id,
        occurred_at=occurred_at or (attrs.updated_at if attrs else datetime.now(UTC)),
        attributes=attrs,
    )


def make_se(mode: str = "rw", api_url: str = "http://127.0.0.1:9", **kw: Any):
    return DiscoveredStorageElement(
        id=kw.pop("id", uuid.uuid4()), name=kw.pop("name", f"se-{mode}"), api_url=api_url,
        mode=mode, status=kw.pop("status", "online"), priority=kw.pop("priority", 1),
        capacity_bytes=10**12, used_bytes=0, file_count=0, **kw,
    )


def later(attrs: FileAttributes, seconds: float = 1, **changes: Any) -> FileAttributes:
    return attrs.model_copy(update={"updated_at": attrs.updated_at + timedelta(seconds=seconds),
                                    **changes})


@pytest.fixture()
def builders():
    class B:
        attrs = staticmethod(make_attrs)
        event = staticmethod(make_event)
        se = staticmethod(make_se)
        later = staticmethod(later)

    return B

