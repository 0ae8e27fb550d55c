"""Metadata by id (LRU → Redis → catalog, invalidated by events), readiness and metrics."""

from __future__ import annotations

import uuid

from query_module.events.consumer import EventConsumer


async def get_meta(harness, file_id, role="READONLY"):
    return await harness.client.get(f"/api/v1/files/{file_id}", headers=harness.headers(role))


class TestMetadata:
    async def test_returns_catalog_entry_without_se_address(self, harness, builders):
        se = builders.se("rw", api_url="http://10.1.2.3:8011")
        attrs = builders.attrs(original_filename="Счёт.pdf", custom={"k": "v"},
                               compression={"algorithm": "gzip", "stored_size": 10})
        await harness.ingest(builders.event(attrs, se.id))
        await harness.set_discovery(se)
        response = await get_meta(harness, attrs.file_id)
        assert response.status_code == 200
        body = response.json()
        assert body["original_filename"] == "Счёт.pdf"
        assert body["storage_element_id"] == str(se.id)
        assert body["storage_element_mode"] == "rw"
        assert (body["compressed"], body["stored_size"]) == (True, 10)
        assert body["uploaded_by"] == {"id": "client-1", "name": "scanner"}
        assert "10.1.2.3" not in response.text
        assert "storage_filename" not in body

    async def test_unknown_id_404(self, harness):
        response = await get_meta(harness, uuid.uuid4())
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "FILE_NOT_FOUND"

    async def test_non_uuid_422(self, harness):
        response = await get_meta(harness, "42")
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "VALIDATION_ERROR"

    async def test_requires_files_read(self, harness):
        assert (await harness.client.get(f"/api/v1/files/{uuid.uuid4()}")).status_code == 401
        assert (await get_meta(harness, uuid.uuid4(), role="UNKNOWN")).status_code == 403


class TestCache:
    async def test_update_event_invalidates_both_layers(self, harness, builders):
        se = uuid.uuid4()
        v1 = builders.attrs(description="first")
        await harness.ingest(builders.event(v1, se))
        assert (await get_meta(harness, v1.file_id)).json()["description"] == "first"
        cache = harness.app.state.metadata_cache
        assert v1.file_id in cache.local
        assert await harness.redis.exists(f"{harness.settings.CACHE_KEY_PREFIX}{v1.file_id}")

        await harness.ingest(builders.event(builders.later(v1, description="second"), se,
                                            type="file.updated"))
        assert v1.file_id not in cache.local
        assert (await get_meta(harness, v1.file_id)).json()["description"] == "second"

    async def test_a_read_from_before_an_update_is_not_cached_after_it(self, harness, builders):
        """A reader that read the catalog just before an event was applied finishes after
        it: its older value must not be served until the cache expires."""
        from query_module.catalog.schemas import FileRead

        se = uuid.uuid4()
        v1 = builders.attrs(description="first")
        await harness.ingest(builders.event(v1, se))
        cache = harness.app.state.metadata_cache
        ticket = await cache.ticket(v1.file_id)
        stale = FileRead.model_validate((await get_meta(harness, v1.file_id)).json())
        await harness.ingest(builders.event(builders.later(v1, description="second"), se,
                                            type="file.updated"))
        await cache.put(stale, ticket)  # the slow reader ends
        assert (await get_meta(harness, v1.file_id)).json()["description"] == "second"
        cache.local.clear()  # and not from Redis either
        assert (await get_meta(harness, v1.file_id)).json()["description"] == "second"

    async def test_an_invalidation_redis_did_not_take_is_retried_and_never_serves_old(
        self, harness, builders, monkeypatch
    ):
        """Redis fails the DEL after an update was applied: its old entry must not be served
        (for its 300 s TTL) while the invalidation waits to be retried."""
        from redis.exceptions import ConnectionError as RedisConnectionError

        from query_module import cache as cache_module

        monkeypatch.setattr(cache_module, "_REDIS_BACKOFF_SECONDS", 0.0)
        se = uuid.uuid4()
        v1 = builders.attrs(description="first")
        await harness.ingest(builders.event(v1, se))
        assert (await get_meta(harness, v1.file_id)).json()["description"] == "first"
        cache = harness.app.state.metadata_cache
        key = f"{harness.settings.CACHE_KEY_PREFIX}{v1.file_id}"
        assert await harness.redis.exists(key)

        def refused(*_args, **_kwargs):
            raise RedisConnectionError("Redis went away")

        with monkeypatch.context() as fault:
            fault.setattr(cache.redis, "pipeline", refused)
            await harness.ingest(builders.event(builders.later(v1, description="second"), se,
                                                type="file.updated"))
            assert await harness.redis.exists(key)  # Redis still holds "first"
            for _ in range(2):  # from the catalog, and the answer is not cached anywhere
                assert (await get_meta(harness, v1.file_id)).json()["description"] == "second"
                cache.local.clear()
            assert v1.file_id in cache._unflushed

        await cache.retry_unflushed()
        assert not await harness.redis.exists(key)
        assert not cache._unflushed
        assert (await get_meta(harness, v1.file_id)).json()["description"] == "second"
        assert await harness.redis.exists(key)  # cached again, now the new value

    async def test_too_many_unflushed_invalidations_empty_the_whole_redis_layer(
        self, harness, builders, monkeypatch
    ):
        from redis.exceptions import ConnectionError as RedisConnectionError

        from query_module import cache as cache_module

        monkeypatch.setattr(cache_module, "_REDIS_BACKOFF_SECONDS", 0.0)
        monkeypatch.setattr(cache_module, "_UNFLUSHED_LIMIT", 1)
        se = uuid.uuid4()
        files = [builders.attrs(description="first") for _ in range(3)]
        await harness.ingest(*(builders.event(a, se) for a in files))
        for a in files:
            await get_meta(harness, a.file_id)
        cache = harness.app.state.metadata_cache
        prefix = harness.settings.CACHE_KEY_PREFIX

        def refused(*_args, **_kwargs):
            raise RedisConnectionError("Redis went away")

        with monkeypatch.context() as fault:
            fault.setattr(cache.redis, "pipeline", refused)
            await harness.ingest(*(builders.event(builders.later(a, description="second"), se,
                                                  type="file.updated") for a in files[:2]))
            assert cache._unflushed_overflow
            cache.local.clear()
            # Even the file not updated is read from the catalog: which ids are old is unknown.
            assert await cache.get(files[2].file_id) is None

        await cache.retry_unflushed()
        assert not cache._unflushed_overflow
        assert not [k async for k in harness.redis.scan_iter(match=f"{prefix}*")]
        for a in files[:2]:
            assert (await get_meta(harness, a.file_id)).json()["description"] == "second"

    async def test_a_redis_answer_overtaken_by_an_invalidation_is_not_kept_locally(
        self, harness, builders, monkeypatch
    ):
        se = uuid.uuid4()
        v1 = builders.attrs(description="first")
        await harness.ingest(builders.event(v1, se))
        await get_meta(harness, v1.file_id)
        cache = harness.app.state.metadata_cache
        cache.local.clear()
        real_get = cache.redis.get

        async def get_then_invalidated(key):
            value = await real_get(key)  # Redis answers "first" …
            cache.drop_local([v1.file_id])  # … as the update's invalidation arrives
            return value

        monkeypatch.setattr(cache.redis, "get", get_then_invalidated)
        assert (await cache.get(v1.file_id)).description == "first"
        assert v1.file_id not in cache.local

    async def test_delete_event_makes_cached_file_404(self, harness, builders):
        se = uuid.uuid4()
        attrs = builders.attrs()
        await harness.ingest(builders.event(attrs, se))
        assert (await get_meta(harness, attrs.file_id)).status_code == 200
        await harness.ingest(builders.event(None, se, type="file.deleted", file_id=attrs.file_id))
        assert (await get_meta(harness, attrs.file_id)).status_code == 404

    async def test_redis_layer_serves_other_instances(self, harness, builders):
        attrs = builders.attrs(description="shared")
        await harness.ingest(builders.event(attrs, uuid.uuid4()))
        await get_meta(harness, attrs.file_id)
        cache = harness.app.state.metadata_cache
        cache.local.clear()
        cached = await cache.get(attrs.file_id)
        assert cached is not None and cached.description == "shared"


class TestHealthAndMetrics:
    async def test_ready_reports_lag_and_checks(self, harness, builders):
        await harness.ingest(builders.event(builders.attrs(), uuid.uuid4()))
        response = await harness.client.get("/health/ready")
        assert response.status_code == 200
        checks = response.json()["checks"]
        assert checks["database"]["status"] == "ok"
        assert checks["redis"]["status"] == "ok"
        assert checks["index_lag"]["detail"]["pending"] == 0
        assert checks["index_lag"]["detail"]["undelivered"] == 0

    async def test_unconsumed_events_show_as_lag(self, harness, builders):
        await harness.consumer.ensure_group()
        await harness.publish(builders.event(builders.attrs(), uuid.uuid4()))
        detail = (await harness.client.get("/health/ready")).json()["checks"]["index_lag"]
        assert detail["detail"]["undelivered"] == 1
        assert detail["detail"]["lag_seconds"] >= 0

    async def test_metrics_exposed(self, harness, builders):
        await harness.ingest(builders.event(builders.attrs(), uuid.uuid4()))
        await harness.search(q="report")
        text = (await harness.client.get("/metrics")).text
        for name in ("artstore_query_events_total", "artstore_query_searches_total",
                     "artstore_query_index_lag_seconds", "artstore_query_downloads_total",
                     "artstore_query_download_bytes_total",
                     "artstore_query_download_duration_seconds_bucket"):
            assert name in text
        assert 'artstore_query_events_total{result="applied",type="file.created"}' in text


class TestConsumerLoop:
    async def test_background_consumer_applies_events(self, harness, builders):
        consumer = EventConsumer(harness.settings, harness.redis, harness.app.state.sessionmaker)
        import asyncio

        task = asyncio.create_task(consumer.run())
        try:
            attrs = builders.attrs()
            await harness.publish(builders.event(attrs, uuid.uuid4()))
            for _ in range(200):
                if consumer.applied_total:
                    break
                await asyncio.sleep(0.05)
            assert (await get_meta(harness, attrs.file_id)).status_code == 200
        finally:
            consumer.stop()
            await asyncio.wait_for(task, timeout=10)

    async def test_lost_consumer_group_is_recreated(self, harness, builders):
        import asyncio

        consumer = EventConsumer(harness.settings, harness.redis, harness.app.state.sessionmaker)
        task = asyncio.create_task(consumer.run())
        try:
            first = builders.attrs()
            await harness.publish(builders.event(first, uuid.uuid4()))
            for _ in range(200):
                if consumer.applied_total:
                    break
                await asyncio.sleep(0.05)
            # Redis restarted without persistence: the group is gone, the stream is new.
            await harness.redis.delete(harness.settings.FILE_EVENTS_STREAM)
            second = builders.attrs()
            await harness.publish(builders.event(second, uuid.uuid4()))
            for _ in range(400):
                if (await get_meta(harness, second.file_id)).status_code == 200:
                    break
                await asyncio.sleep(0.05)
            assert (await get_meta(harness, second.file_id)).status_code == 200
        finally:
            consumer.stop()
            await asyncio.wait_for(task, timeout=10)


class TestCacheWithoutRedis:
    async def test_cache_degrades_to_local_when_redis_is_unreachable(self, query_settings):
        from redis.asyncio import Redis

        from artstore_common.testing import free_port
        from query_module.cache import MetadataCache
        from query_module.catalog.schemas import FileRead

        dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
        cache = MetadataCache(query_settings, dead)
        file_id = uuid.uuid4()
        assert await cache.get(file_id) is None
        value = FileRead.model_validate({
            "file_id": file_id, "original_filename": "a.txt", "extension": "txt", "size": 1,
            "content_type": "text/plain", "sha256": "0" * 64,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "uploaded_by": {"id": "u", "name": "u"}, "tags": [], "retention_policy": "permanent",
            "status": "active", "compressed": False, "custom": {},
            "storage_element_id": uuid.uuid4()})
        await cache.put(value, await cache.ticket(file_id))
        assert (await cache.get(file_id)) == value
        await cache.invalidate([file_id])
        assert await cache.get(file_id) is None
        await dead.aclose()
