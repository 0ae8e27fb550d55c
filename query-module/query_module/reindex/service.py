"""Rebuild the catalog from the SEs' own listings (the sidecars are the truth).

One run pages through every reachable SE's ``GET /api/v1/files`` and upserts with the same
rules as the event consumer; the cursor is committed with each page, so an interrupted run
(crash, an SE down) is resumed by the next ``POST /admin/reindex``. When an SE's listing is
complete, rows it owns that were not listed are marked deleted.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from artstore_common.contracts import DiscoveredStorageElement, FilePage
from artstore_common.discovery import DiscoveryClient
from artstore_common.errors import ArtStoreError
from artstore_common.resilience import UpstreamServerError, retrying
from artstore_common.se_client import SERejected, StorageElementClient
from query_module import metrics
from query_module.catalog import repository as catalog
from query_module.catalog.rules import Outcome
from query_module.db import session_scope
from query_module.extraction.repository import mark_all_pending
from query_module.models import ReindexRun
from query_module.reindex import repository as repo

log = structlog.get_logger(__name__)


class ListingFailed(Exception):
    pass


class Reindexer:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        se: StorageElementClient,
        discovery: DiscoveryClient,
        page_size: int,
        on_changed: Any = None,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.se = se
        self.discovery = discovery
        self.page_size = page_size
        self.on_changed = on_changed
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self, not_before: datetime | None = None) -> dict[str, Any]:
        """Start a run (or resume the unfinished one) in the background; idempotent.

        ``not_before``: an unfinished run that started earlier is superseded by a new one (its
        finished SEs may predate what the caller needs, e.g. events trimmed from the stream).
        """
        if not self.running:
            async with session_scope(self.sessionmaker) as session:
                run = await repo.unfinished_run(session)
                if run is not None and not_before is not None and run.started_at < not_before:
                    run.status, run.finished_at, run = "superseded", datetime.now(UTC), None
                if run is None:
                    run = await repo.create_run(session, datetime.now(UTC))
                    await mark_all_pending(session)  # and text is extracted anew
                run.status = "running"
                run_id, started = run.id, run.started_at
            self._task = asyncio.create_task(self._run(run_id, started), name="reindex")
        return await self.status()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - shutting down
                pass

    async def wait(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    async def last_status(self) -> str:
        async with session_scope(self.sessionmaker) as session:
            run = await repo.latest_run(session)
        if run is None:
            return "never_run"
        return run.status if self.running or run.status != "running" else "interrupted"

    async def status(self) -> dict[str, Any]:
        async with session_scope(self.sessionmaker) as session:
            run = await repo.latest_run(session)
            if run is None:
                return {"run_id": None, "status": "never_run", "running": self.running,
                        "storage_elements": []}
            progress = await repo.progress_of(session, run.id)
        return _summary(run, progress, self.running)

    async def _run(self, run_id: UUID, started: datetime) -> None:
        log.info("reindex.started", run_id=str(run_id))
        doc = self.discovery.current()
        targets = [se for se in (doc.storage_elements if doc else []) if se.status != "offline"]
        failures = 0
        for se in targets:
            try:
                await self._index_se(run_id, started, se)
            except (ListingFailed, UpstreamServerError, ArtStoreError, httpx.HTTPError,
                    ValidationError) as exc:
                failures += 1
                log.warning("reindex.se_failed", storage_element_id=str(se.id),
                            error=str(exc)[:300])
                async with session_scope(self.sessionmaker) as session:
                    progress = await repo.progress_for(session, run_id, se.id)
                    progress.error = str(exc)[:1000]
        async with session_scope(self.sessionmaker) as session:
            run = await repo.get_run(session, run_id)
            assert run is not None
            run.status = "partial" if failures or doc is None else "completed"
            run.finished_at = datetime.now(UTC)
        log.info("reindex.finished", run_id=str(run_id), failures=failures)

    async def _index_se(
        self, run_id: UUID, started: datetime, se: DiscoveredStorageElement
    ) -> None:
        async with session_scope(self.sessionmaker) as session:
            progress = await repo.progress_for(session, run_id, se.id)
            if progress.done:
                return
            cursor = progress.cursor
            progress.error = None
        while True:
            page = await self._fetch_page(se, cursor)
            items = page.items
            quarantined = {a.file_id for a in items if a.quarantined}
            changed = []
            async with session_scope(self.sessionmaker) as session:
                upserted = 0
                for attrs in items:
                    outcome = await catalog.upsert_file(session, attrs, se.id, attrs.updated_at,
                                                        attrs.file_id in quarantined)
                    metrics.REINDEX_FILES.labels(outcome.value).inc()
                    if outcome is Outcome.APPLIED:
                        upserted += 1
                        changed.append(attrs.file_id)
                await repo.mark_seen(session, se.id, [a.file_id for a in items], started)
                progress = await repo.progress_for(session, run_id, se.id)
                cursor = page.next_cursor
                progress.cursor = cursor
                progress.pages += 1
                progress.listed += len(items)
                progress.upserted += upserted
            if self.on_changed and changed:
                await self.on_changed(changed)
            if not cursor:
                break
        async with session_scope(self.sessionmaker) as session:
            removed = await repo.sweep_missing(session, se.id, started)
            progress = await repo.progress_for(session, run_id, se.id)
            progress.removed += removed
            progress.done = True
        log.info("reindex.se_done", storage_element_id=str(se.id), removed=removed)

    async def _fetch_page(self, se: DiscoveredStorageElement, cursor: str | None) -> FilePage:
        # A busy SE (timeouts, 5xx) gets a few tries before the run records it as failed;
        # no breaker: a run asks each SE in turn, whatever the downloads think of it.
        async for attempt in retrying(attempts=4, initial=0.5, maximum=5.0):
            with attempt:
                try:
                    return await self.se.list_files(se, cursor=cursor, limit=self.page_size,
                                                    guarded=False, timeout=60.0)
                except SERejected as exc:
                    raise ListingFailed(f"listing answered {exc.status_code}") from exc
        raise AssertionError("unreachable")


def _summary(run: ReindexRun, progress: list[Any], running: bool) -> dict[str, Any]:
    return {
        "run_id": str(run.id),
        "status": run.status if running or run.status != "running" else "interrupted",
        "running": running,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "totals": {
            key: sum(getattr(p, key) for p in progress)
            for key in ("pages", "listed", "upserted", "removed")
        },
        "storage_elements": [
            {
                "storage_element_id": str(p.storage_element_id),
                "done": p.done,
                "pages": p.pages,
                "listed": p.listed,
                "upserted": p.upserted,
                "removed": p.removed,
                "error": p.error,
            }
            for p in progress
        ],
    }
