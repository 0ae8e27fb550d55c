"""Query-module fixtures: one migrated template database per session, cloned per test; a
unique stream / discovery key / cache prefix per test on the shared Redis; the real app
(real lifespan) driven in-process with httpx, its consumer stepped by hand.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import create_async_engine

from artstore_common.auth.scopes import INTERNAL_SCOPES
from artstore_common.contracts import (
    DiscoveredStorageElement,
    DiscoveryDocument,
    FileAttributes,
    FileEvent,
    Uploader,
)
from artstore_common.testing import ScratchDatabases, database_name
from query_module.config import Settings
from query_module.db import run_migrations
from query_module.main import create_app


@pytest.fixture(scope="session")
def query_databases(pg_dsn) -> Iterator[ScratchDatabases]:
    databases = ScratchDatabases(pg_dsn)
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
async def query_template_db(query_databases) -> str:
    url = query_databases.create("query_tmpl")
    engine = create_async_engine(url)
    await run_migrations(engine)
    await engine.dispose()
    return database_name(url)


@pytest.fixture()
def query_db(query_databases, query_template_db) -> Iterator[str]:
    url = query_databases.create("query_t", template=query_template_db)
    yield url
    query_databases.drop(url)


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

    async def wait_for_file(self, file_id: Any, predicate: Any = None) -> dict[str, Any]:
        """Consume until the catalog shows the file (and ``predicate`` holds); 60 s guard."""
        for _ in range(600):
            await self.drain()
            response = await self.client.get(f"/api/v1/files/{file_id}",
                                              headers=self.headers())
            if response.status_code == 200 and (predicate is None or predicate(response.json())):
                return response.json()
            await asyncio.sleep(0.1)
        raise AssertionError(f"file {file_id} never reached the catalog as expected")

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



# ---- a storage element as a real process, and a token endpoint for the query's identity ----

@pytest.fixture(scope="session")
def token_endpoint(token_factory) -> Iterator[str]:
    """``POST /api/v1/auth/token`` minting READONLY tokens with the test key (stands in for
    the admin module in these module-level tests; the suite tests use the real one)."""
    import threading

    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from artstore_common.testing import free_port

    issued: list[str] = []

    async def token(request):
        form = await request.form()
        if form.get("client_id") != "query-test" or form.get("client_secret") != "s3cret":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        issued.append(form["client_id"])
        return JSONResponse({"access_token": token_factory.issue("READONLY", ttl=600),
                             "token_type": "Bearer", "expires_in": 600, "scope": "files:read"})

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(
        Starlette(routes=[Route("/api/v1/auth/token", token, methods=["POST"])]),
        host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


class StorageElementProcess:
    def __init__(self, process: Any, se_id: uuid.UUID, stream: str, token_factory: Any) -> None:
        self.process = process
        self.id = se_id
        self.stream = stream
        self.tokens = token_factory
        self.data_dir: Path | None = None

    @property
    def url(self) -> str:
        return self.process.url

    def upload(self, body: bytes, file_id: uuid.UUID | None = None, *,
               internal: bool = False, **attrs: Any) -> dict:
        """``internal``: as the finalize saga does (may keep created_at / uploaded_by)."""
        import base64

        attrs.setdefault("original_filename", "file.bin")
        header = base64.urlsafe_b64encode(
            json.dumps(attrs, ensure_ascii=False, default=str).encode())
        file_id = file_id or uuid.uuid4()
        response = httpx.put(
            f"{self.url}/api/v1/files/{file_id}", content=body, timeout=120,
            headers={**(self.tokens.headers("ADMIN", scopes=[*INTERNAL_SCOPES, "files:write"])
                        if internal else self.tokens.headers("USER")),
                     "X-ArtStore-Attributes": header.decode(),
                     "X-ArtStore-Declared-Size": str(len(body))})
        assert response.status_code == 201, response.text
        return response.json()

    def set_mode(self, mode: str) -> None:
        response = httpx.post(f"{self.url}/api/v1/mode",
                              json={"target_mode": mode, "reason": "test"},
                              headers=self.tokens.headers("ADMIN"), timeout=30)
        assert response.status_code in (200, 202), response.text


def start_storage_element(
    make_database: Any, redis_url: str, public_key_file: str, data_dir: Path,
    token_factory: Any, stream: str, mode: str = "edit", log_path: str | None = None,
) -> StorageElementProcess:
    from artstore_common.testing import ServiceProcess

    se_id = uuid.uuid4()
    env = {
        "ENVIRONMENT": "test", "LOG_LEVEL": "WARNING", "SE_ID": str(se_id),
        "SE_NAME": f"se-{mode}-{se_id.hex[:6]}", "SE_MODE": mode, "SE_DATA_DIR": str(data_dir),
        "DATABASE_URL": make_database("query_se"), "REDIS_URL": redis_url,
        "SE_EVENTS_STREAM": stream, "SE_OUTBOX_POLL_SECONDS": "0.2",
        "JWT_PUBLIC_KEY_FILE": public_key_file, "SE_FIXITY_INTERVAL_SECONDS": "0",
        "SE_RECONCILE_INTERVAL_SECONDS": "0", "SE_MAX_FILE_SIZE": str(2 * 1024**3),
    }
    process = ServiceProcess("storage_element.main:create_app", env, log_path=log_path,
                             name=f"se-{mode}")
    se = StorageElementProcess(process.start(), se_id, stream, token_factory)
    se.data_dir = data_dir
    return se


@pytest.fixture(scope="module")
def se_stream() -> str:
    return f"test:{uuid.uuid4().hex[:12]}:se-file-events"


@pytest.fixture()
def se_query_settings(query_settings, se_stream, token_endpoint) -> Settings:
    """The query module on the real SEs' event stream, with a service account for SE calls."""
    return query_settings.model_copy(update={
        "FILE_EVENTS_STREAM": se_stream,
        "CONSUMER_GROUP": f"query-{uuid.uuid4().hex[:8]}",
        "ADMIN_URL": token_endpoint,
        "QUERY_CLIENT_ID": "query-test",
        "QUERY_CLIENT_SECRET": "s3cret",
    })


@pytest.fixture(scope="module")
def edit_se(start_se):
    return start_se("edit")


@pytest.fixture(scope="module")
def rw_se(start_se):
    return start_se("rw")


@pytest.fixture()
async def with_ses(harness, builders, edit_se, rw_se):
    """The harness's discovery lists a real edit SE and a real rw SE."""
    await harness.set_discovery(
        builders.se("edit", api_url=edit_se.url, id=edit_se.id),
        builders.se("rw", api_url=rw_se.url, id=rw_se.id),
    )
    return harness


@pytest.fixture(scope="module")
def start_se(tmp_path_factory, make_database, redis_url, token_factory, se_stream):
    """Start real SE processes (all relaying to ``se_stream``); stopped after the module."""
    key_file = tmp_path_factory.mktemp("keys") / "public.pem"
    key_file.write_bytes(token_factory.public_pem)
    started: list[StorageElementProcess] = []

    def start(mode: str) -> StorageElementProcess:
        root = tmp_path_factory.mktemp(f"se-{mode}")
        se = start_storage_element(make_database, redis_url, str(key_file), root / "data",
                                   token_factory, se_stream, mode,
                                   log_path=str(root / "se.log"))
        started.append(se)
        return se

    yield start
    for se in started:
        se.process.stop()
