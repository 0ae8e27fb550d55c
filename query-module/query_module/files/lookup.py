"""Read-after-write: an id the catalog does not know yet is looked up on the writable SEs.

An upload answers 201 once the SE holds the file; the catalog learns of it a little later from
the event stream. Between the two, a read by id asks the SEs that take uploads (``edit`` and
``rw`` ones: where a new file can be) for the file's attributes, upserts what they say with the
same rules as the event consumer (so the event that follows changes nothing), and answers from
the catalog row, under the same visibility rules as every other read.

A stream of unknown ids must not become a stream of requests to the SEs: lookups of one id
share one call, at most ``concurrency`` lookups run at once, and an id no SE has is remembered
for a short time (``MetadataCache.mark_unknown``; an applied event forgets it).
"""

from __future__ import annotations

import asyncio
from uuid import UUID

import httpx
import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from artstore_common.contracts import DiscoveredStorageElement, FileAttributes
from artstore_common.discovery import DiscoveryClient
from artstore_common.resilience import CircuitOpenError, UpstreamServerError
from artstore_common.se_client import SERejected, StorageElementClient
from query_module import metrics
from query_module.cache import MetadataCache
from query_module.catalog import repository as catalog
from query_module.catalog.schemas import FileRead
from query_module.db import session_scope

log = structlog.get_logger(__name__)

LOOKUP_MODES = ("edit", "rw")  # where uploads (and copies of new files) land


class _Unavailable(Exception):
    """The SE could not say whether it holds the file."""


class CatalogMissLookup:
    def __init__(
        self,
        se: StorageElementClient,
        discovery: DiscoveryClient,
        sessionmaker: async_sessionmaker[AsyncSession],
        cache: MetadataCache,
        *,
        concurrency: int,
        timeout: float,
    ) -> None:
        self.se = se
        self.discovery = discovery
        self.breakers = se.breakers
        self.sessionmaker = sessionmaker
        self.cache = cache
        self.timeout = timeout
        self._slots = asyncio.Semaphore(concurrency)
        self._inflight: dict[UUID, asyncio.Task[FileRead | None]] = {}

    async def find(self, file_id: UUID) -> FileRead | None:
        """The catalog entry after asking the SEs, or None when none of them has the file."""
        if self.cache.is_unknown(file_id):
            metrics.CATALOG_MISS.labels("known_unknown").inc()
            return None
        task = self._inflight.get(file_id)
        if task is None:
            task = asyncio.create_task(self._lookup(file_id), name=f"catalog-miss-{file_id}")
            self._inflight[file_id] = task
            task.add_done_callback(lambda _t: self._inflight.pop(file_id, None))
        return await asyncio.shield(task)

    def _candidates(self) -> list[DiscoveredStorageElement]:
        doc = self.discovery.current()
        return [se for se in (doc.storage_elements if doc else [])
                if se.mode in LOOKUP_MODES and se.status != "offline"
                and not self.breakers.is_open(str(se.id))]

    async def _lookup(self, file_id: UUID) -> FileRead | None:
        async with self._slots:
            ses = self._candidates()
            answers = await asyncio.gather(*(self._ask(se, file_id) for se in ses),
                                           return_exceptions=True)
        found = [(se, a) for se, a in zip(ses, answers, strict=True)
                 if isinstance(a, FileAttributes)]
        if not found:
            unsure = any(isinstance(a, BaseException) for a in answers)
            if not unsure:
                self.cache.mark_unknown(file_id)
            metrics.CATALOG_MISS.labels("unavailable" if unsure else "not_found").inc()
            return None
        async with session_scope(self.sessionmaker) as session:
            for se, attrs in found:
                # As the event consumer and the re-index would: the event that follows is a
                # replay of the same version.
                await catalog.upsert_file(session, attrs, se.id, attrs.updated_at)
        async with session_scope(self.sessionmaker) as session:
            row = await catalog.get_file(session, file_id)
            copies = (await catalog.copies_of(session, [file_id]))[file_id]
            value = FileRead.from_row(row, copies) if row is not None else None
        await self.cache.invalidate([file_id])  # other instances drop what they hold
        metrics.CATALOG_MISS.labels("found" if value is not None else "not_found").inc()
        log.info("catalog.miss_repaired", file_id=str(file_id),
                 storage_elements=[str(se.id) for se, _ in found])
        return value

    async def _ask(self, se: DiscoveredStorageElement, file_id: UUID) -> FileAttributes | None:
        try:
            attrs = await self.se.get_file(se, file_id, time_limit=self.timeout,
                                           timeout=self.timeout)
        except (httpx.HTTPError, UpstreamServerError, CircuitOpenError, TimeoutError) as exc:
            log.warning("catalog.miss_lookup_failed", storage_element_id=str(se.id),
                        error=f"{type(exc).__name__}: {exc}"[:200])
            raise _Unavailable(str(se.id)) from exc
        except SERejected as exc:
            log.warning("catalog.miss_lookup_refused", storage_element_id=str(se.id),
                        status=exc.status_code)
            raise _Unavailable(str(se.id)) from exc
        except ValidationError as exc:
            log.warning("catalog.miss_lookup_invalid", storage_element_id=str(se.id),
                        error=str(exc)[:200])
            raise _Unavailable(str(se.id)) from exc
        if attrs is None:
            return None
        # Only what this SE says about this id, about itself, is taken.
        if attrs.file_id != file_id or attrs.storage_element_id != se.id:
            log.warning("catalog.miss_lookup_mismatch", storage_element_id=str(se.id),
                        file_id=str(file_id))
            raise _Unavailable(str(se.id))
        return attrs
