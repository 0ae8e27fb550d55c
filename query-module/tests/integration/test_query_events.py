"""The event consumer against the real stream and the real catalog."""

from __future__ import annotations

import uuid

from sqlalchemy import select, text
from sqlalchemy.orm import undefer

from query_module.db import session_scope
from query_module.models import CatalogFile


async def _row(harness, file_id) -> CatalogFile | None:
    async with session_scope(harness.app.state.sessionmaker) as session:
        return (await session.execute(
            select(CatalogFile).where(CatalogFile.file_id == file_id)
            .options(undefer(CatalogFile.search_vector))  # deferred: it holds the body too
        )).scalar_one_or_none()


class TestConsume:
    async def test_created_event_lands_in_catalog(self, harness, builders):
        se = uuid.uuid4()
        attrs = builders.attrs(original_filename="Договор поставки.pdf", tags=["a", "b"],
                               description="Годовой отчёт", custom={"dept": "бухгалтерия"})
        await harness.ingest(builders.event(attrs, se))
        row = await _row(harness, attrs.file_id)
        assert row is not None
        assert row.storage_element_id == se
        assert row.original_filename == "Договор поставки.pdf"
        assert row.extension == "pdf"
        assert row.tags == ["a", "b"]
        assert row.search_vector is not None

    async def test_replayed_event_changes_nothing(self, harness, builders):
        se = uuid.uuid4()
        attrs = builders.attrs()
        event = builders.event(attrs, se)
        await harness.ingest(event, event)
        async with session_scope(harness.app.state.sessionmaker) as session:
            count = (await session.execute(text("SELECT count(*) FROM catalog_files"))).scalar()
        assert count == 1

    async def test_older_update_never_overwrites_newer(self, harness, builders):
        se = uuid.uuid4()
        v1 = builders.attrs(description="first")
        v2 = builders.later(v1, description="second")
        await harness.ingest(builders.event(v2, se, type="file.updated"),
                             builders.event(v1, se, type="file.created"))
        row = await _row(harness, v1.file_id)
        assert row.description == "second"

    async def test_delete_from_owner_marks_deleted(self, harness, builders):
        se = uuid.uuid4()
        attrs = builders.attrs()
        await harness.ingest(builders.event(attrs, se),
                             builders.event(None, se, type="file.deleted", file_id=attrs.file_id))
        row = await _row(harness, attrs.file_id)
        assert row.status == "deleted"
        assert row.deleted_at is not None

    async def test_stale_update_after_delete_does_not_resurrect(self, harness, builders):
        se = uuid.uuid4()
        attrs = builders.attrs()
        delete = builders.event(None, se, type="file.deleted", file_id=attrs.file_id,
                                occurred_at=builders.later(attrs, 5).updated_at)
        await harness.ingest(builders.event(attrs, se), delete,
                             builders.event(attrs, se, type="file.updated"))
        assert (await _row(harness, attrs.file_id)).status == "deleted"

    async def test_delete_from_old_se_after_finalize_keeps_row(self, harness, builders):
        edit_se, rw_se = uuid.uuid4(), uuid.uuid4()
        source = builders.attrs(retention_policy="temporary", ttl_days=30)
        copy = builders.later(source, 2, retention_policy="permanent", ttl_days=None)
        finalized_source = builders.later(source, 3, finalized_at=copy.updated_at)
        await harness.ingest(
            builders.event(source, edit_se),
            builders.event(copy, rw_se),
            builders.event(finalized_source, edit_se, type="file.updated"),
            builders.event(None, edit_se, type="file.deleted", file_id=source.file_id),
        )
        row = await _row(harness, source.file_id)
        assert row.storage_element_id == rw_se
        assert row.status == "active"
        assert row.retention_policy == "permanent"

    async def test_finalize_copy_with_same_timestamps_still_wins(self, harness, builders):
        edit_se, rw_se = uuid.uuid4(), uuid.uuid4()
        source = builders.attrs()
        finalized = builders.later(source, 1, finalized_at=source.updated_at)
        await harness.ingest(
            builders.event(source, edit_se),
            builders.event(finalized, edit_se, type="file.updated"),
            builders.event(source, rw_se),  # copy carries the source's sidecar times
            builders.event(None, edit_se, type="file.deleted", file_id=source.file_id),
        )
        row = await _row(harness, source.file_id)
        assert (row.storage_element_id, row.status) == (rw_se, "active")

    async def test_invalid_entry_is_acknowledged_and_skipped(self, harness, builders):
        stream = harness.settings.FILE_EVENTS_STREAM
        await harness.redis.xadd(stream, {"data": b"{not json"})
        await harness.redis.xadd(stream, {"other": b"x"})
        attrs = builders.attrs()
        await harness.ingest(builders.event(attrs, uuid.uuid4()))
        assert await _row(harness, attrs.file_id) is not None
        pending = await harness.redis.xpending(stream, harness.settings.CONSUMER_GROUP)
        assert pending["pending"] == 0

    async def test_event_the_database_rejects_does_not_block_the_stream(self, harness, builders):
        se = uuid.uuid4()
        bad = builders.attrs(content_type="x/" + "y" * 300)  # longer than the column
        good = builders.attrs()
        await harness.ingest(builders.event(bad, se), builders.event(good, se))
        assert await _row(harness, bad.file_id) is None
        assert await _row(harness, good.file_id) is not None
        stream, group = harness.settings.FILE_EVENTS_STREAM, harness.settings.CONSUMER_GROUP
        assert (await harness.redis.xpending(stream, group))["pending"] == 0


class TestDelivery:
    async def test_restart_resumes_without_gaps_or_duplicates(self, harness, builders):
        se = uuid.uuid4()
        first = [builders.attrs() for _ in range(3)]
        await harness.ingest(*(builders.event(a, se) for a in first))
        # A crash after reading but before acknowledging: the entries stay pending.
        second = [builders.attrs() for _ in range(3)]
        for a in second:
            await harness.publish(builders.event(a, se))
        stream, group = harness.settings.FILE_EVENTS_STREAM, harness.settings.CONSUMER_GROUP
        await harness.redis.xreadgroup(group, harness.settings.CONSUMER_NAME, {stream: ">"},
                                       count=2)
        third = [builders.attrs() for _ in range(2)]
        for a in third:
            await harness.publish(builders.event(a, se))
        # "Restart": a fresh consumer with the same name re-reads its own pending entries.
        from query_module.events.consumer import EventConsumer

        restarted = EventConsumer(harness.settings, harness.redis,
                                  harness.app.state.sessionmaker)
        while await restarted.step():
            pass
        async with session_scope(harness.app.state.sessionmaker) as session:
            ids = set((await session.execute(select(CatalogFile.file_id))).scalars())
        assert ids == {a.file_id for a in first + second + third}
        pending = await harness.redis.xpending(stream, group)
        assert pending["pending"] == 0

    async def test_pending_entry_trimmed_from_stream_is_dropped(self, harness, builders):
        stream, group = harness.settings.FILE_EVENTS_STREAM, harness.settings.CONSUMER_GROUP
        await harness.consumer.ensure_group()
        gone, kept = builders.attrs(), builders.attrs()
        gone_id = await harness.publish(builders.event(gone, uuid.uuid4()))
        await harness.publish(builders.event(kept, uuid.uuid4()))
        await harness.redis.xreadgroup(group, harness.settings.CONSUMER_NAME, {stream: ">"})
        await harness.redis.xdel(stream, gone_id)
        harness.consumer._reread_own = True  # as after a restart
        await harness.drain()
        assert await _row(harness, kept.file_id) is not None
        assert (await harness.redis.xpending(stream, group))["pending"] == 0

    async def test_two_consumers_in_one_group_converge_on_the_newest(self, harness, builders):
        import asyncio

        from query_module.events.consumer import EventConsumer

        se = uuid.uuid4()
        files = [builders.attrs() for _ in range(5)]
        versions = {f.file_id: [builders.later(f, i, description=f"v{i}") for i in range(8)]
                    for f in files}
        for i in range(8):
            for f in files:
                await harness.publish(builders.event(versions[f.file_id][i], se,
                                                     type="file.updated"))
        await harness.consumer.ensure_group()
        settings = [harness.settings.model_copy(update={"CONSUMER_NAME": name,
                                                        "CONSUMER_BATCH_SIZE": 3})
                    for name in ("q-a", "q-b")]
        consumers = [EventConsumer(s, harness.redis, harness.app.state.sessionmaker)
                     for s in settings]

        async def run(consumer):
            from sqlalchemy.exc import SQLAlchemyError

            while True:
                try:
                    if not await consumer.step():
                        return
                except SQLAlchemyError:  # a deadlock victim: what run() does, retry its own
                    consumer._reread_own = True

        await asyncio.gather(*(run(c) for c in consumers))
        for consumer in consumers:  # anything left after a deadlock retry
            consumer._reread_own = True
            await run(consumer)
        for f in files:
            assert (await _row(harness, f.file_id)).description == "v7"
        stream, group = harness.settings.FILE_EVENTS_STREAM, harness.settings.CONSUMER_GROUP
        assert (await harness.redis.xpending(stream, group))["pending"] == 0

    async def test_stuck_message_of_dead_consumer_is_reclaimed(self, harness, builders):
        stream, group = harness.settings.FILE_EVENTS_STREAM, harness.settings.CONSUMER_GROUP
        await harness.consumer.ensure_group()
        attrs = builders.attrs()
        await harness.publish(builders.event(attrs, uuid.uuid4()))
        await harness.redis.xreadgroup(group, "dead-consumer", {stream: ">"}, count=10)
        import asyncio

        await asyncio.sleep(0.3)  # older than CONSUMER_CLAIM_IDLE_SECONDS (0.2)
        await harness.drain()
        assert await _row(harness, attrs.file_id) is not None
        pending = await harness.redis.xpending(stream, group)
        assert pending["pending"] == 0
