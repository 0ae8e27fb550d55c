"""Background text indexer: picks files whose text is ``pending``, fetches each from its
storage element, extracts it in a sandboxed child and stores text, lexemes and state.

Uploads never wait for it. A row is claimed with a lease (``text_lease_until``) rather than a
held row lock, so the event consumer is never blocked behind a slow document; a crashed
worker's claims expire and are picked up again.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from query_module import metrics
from query_module.catalog.schemas import FileRead
from query_module.config import Settings
from query_module.db import session_scope
from query_module.errors import FileArchived, FileNotFound, StorageElementUnavailable
from query_module.extraction import repository
from query_module.files.download import Downloader
from query_module.text.extract import kind_of
from query_module.text.sandbox import Extracted, Limits, run_extraction

log = structlog.get_logger(__name__)


class TextIndexer:
    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession],
                 downloader: Downloader,
                 on_changed: Callable[[list[UUID]], Awaitable[None]] | None = None) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.downloader = downloader
        self.on_changed = on_changed
        self.limits = Limits(
            timeout_seconds=settings.TEXT_TIMEOUT_SECONDS, memory_mb=settings.TEXT_MEMORY_MB,
            max_chars=settings.TEXT_MAX_CHARS, ocr_languages=settings.TEXT_OCR_LANGUAGES,
            ocr_max_pages=settings.TEXT_OCR_MAX_PAGES,
        )
        self._stopping = asyncio.Event()
        self._gauge_at = 0.0

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                handled = await self.step()
            except Exception:  # noqa: BLE001 - the loop must survive a bad round (DB restart)
                log.exception("text.round_failed")
                handled = 0
            if not handled:
                try:
                    await asyncio.wait_for(self._stopping.wait(), self.settings.TEXT_POLL_SECONDS)
                except TimeoutError:
                    pass

    async def step(self) -> int:
        """Claim and process one batch; the number of files handled."""
        files = await self._claim(self.settings.TEXT_CONCURRENCY)
        if files:
            await asyncio.gather(*(self._process(f) for f in files))
        await self._refresh_gauge(force=not files)
        return len(files)

    async def _refresh_gauge(self, force: bool) -> None:
        if not force and time.monotonic() - self._gauge_at < 5:
            return
        self._gauge_at = time.monotonic()
        async with session_scope(self.sessionmaker) as session:
            pending = await repository.count_pending(session)
        metrics.TEXT_PENDING.set(pending)

    async def _claim(self, n: int) -> list[FileRead]:
        lease = timedelta(seconds=self.settings.TEXT_TIMEOUT_SECONDS * 2 + 60)
        async with session_scope(self.sessionmaker) as session:
            rows = await repository.claim_pending(session, n, lease)
            return [FileRead.from_row(row) for row in rows]

    async def _process(self, file: FileRead) -> None:
        started = time.perf_counter()
        try:
            result = await self._extract(file)
        except StorageElementUnavailable:
            await self._retry_later(file.file_id)
            return
        if result is None:  # the SE went away mid-way: try again later
            return
        async with session_scope(self.sessionmaker) as session:
            await repository.store_text(session, file, result)
        metrics.TEXT_EXTRACTIONS.labels(result.state).inc()
        metrics.TEXT_DURATION.observe(time.perf_counter() - started)
        log.info("text.extracted", file_id=str(file.file_id), state=result.state,
                 reason=result.reason, method=result.method, chars=len(result.text))
        if self.on_changed is not None:
            await self.on_changed([file.file_id])

    async def _extract(self, file: FileRead) -> Extracted | None:
        if file.status != "active":
            return Extracted("skipped", f"file is {file.status}")
        if file.size > self.settings.TEXT_MAX_FILE_BYTES:
            return Extracted("skipped",
                             f"larger than {self.settings.TEXT_MAX_FILE_BYTES} bytes")
        if kind_of(file.content_type, file.original_filename, b"")[0] is None and \
                file.content_type not in ("application/octet-stream", ""):
            return Extracted("skipped", f"no text extraction for {file.content_type}")
        with tempfile.TemporaryDirectory(prefix="artstore-doc-") as tmp:
            path = Path(tmp) / "document"
            try:
                await self.downloader.fetch_to(file, path, self.settings.TEXT_MAX_FILE_BYTES)
            except FileArchived:
                return Extracted("skipped", "its storage element is archived (content offline)")
            except FileNotFound:
                return Extracted("failed", "content missing on its storage element")
            except ValueError as exc:
                return Extracted("skipped", str(exc))
            except Exception as exc:  # noqa: BLE001 - an SE error is this file's failure
                if isinstance(exc, StorageElementUnavailable):
                    raise
                return Extracted("failed", f"download failed: {str(exc)[:200]}")
            return await run_extraction(path, file.content_type, file.original_filename,
                                        self.limits)

    async def _retry_later(self, file_id: UUID) -> None:
        until = datetime.now(UTC) + timedelta(seconds=self.settings.TEXT_RETRY_SECONDS)
        async with session_scope(self.sessionmaker) as session:
            await repository.retry_later(session, file_id, until)
