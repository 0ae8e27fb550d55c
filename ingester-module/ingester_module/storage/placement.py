"""Sequential fill: try writable SEs of the required mode, lowest priority number first."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import structlog

from artstore_common.contracts import DiscoveredStorageElement, FileAttributes, UploadAttributes
from artstore_common.discovery import DiscoveryClient
from artstore_common.resilience import BreakerRegistry
from ingester_module import metrics
from ingester_module.errors import ChecksumMismatch, NoStorageAvailable
from ingester_module.storage.body import FileBody
from ingester_module.storage.client import Skipped, StorageClient

log = structlog.get_logger(__name__)


def candidates(
    elements: list[DiscoveredStorageElement],
    breakers: BreakerRegistry,
    declared_size: int | None,
) -> list[DiscoveredStorageElement]:
    """``elements`` come sorted by priority (online, non-draining, right mode); drop those
    whose breaker is open and those known to lack room for a file of ``declared_size``."""
    chosen = []
    for se in elements:
        if breakers.is_open(str(se.id)):
            metrics.PLACEMENT_FAILURES.labels("breaker_open").inc()
            continue
        if declared_size is not None and se.capacity_bytes - se.used_bytes < declared_size:
            metrics.PLACEMENT_FAILURES.labels("no_room").inc()
            continue
        chosen.append(se)
    return chosen


@dataclass(frozen=True)
class Placed:
    storage_element: DiscoveredStorageElement
    attributes: FileAttributes


class Placer:
    def __init__(
        self,
        discovery: DiscoveryClient,
        breakers: BreakerRegistry,
        client: StorageClient,
        *,
        retry_after: int,
    ) -> None:
        self.discovery = discovery
        self.breakers = breakers
        self.client = client
        self.retry_after = retry_after

    def _unavailable(self, mode: str, tried: list[dict]) -> NoStorageAvailable:
        metrics.PLACEMENT_FAILURES.labels("none_left").inc()
        return NoStorageAvailable(
            self.retry_after,
            f"No {mode} storage element can take this file now",
            details={"mode": mode, "tried": tried},
        )

    async def store(
        self,
        file_id: UUID,
        attrs: UploadAttributes,
        body: FileBody,
        *,
        token: str,
        mode: str,
        declared_size: int,
        size_known: bool,
    ) -> Placed:
        elements = candidates(
            self.discovery.writable(mode),  # type: ignore[arg-type]
            self.breakers,
            declared_size if size_known else None,
        )
        tried: list[dict] = []
        for se in elements:
            if not body.replayable:
                break
            outcome = await self.client.put(se, file_id, attrs, body, declared_size, token)
            if isinstance(outcome, Skipped):
                metrics.PLACEMENT_FAILURES.labels(outcome.reason).inc()
                log.info("placement.skipped", se=se.name, reason=outcome.reason,
                         status=outcome.status_code)
                tried.append({"storage_element_id": str(se.id), "reason": outcome.reason})
                continue
            await self._verify(se, file_id, body, outcome)
            return Placed(se, outcome)
        raise self._unavailable(mode, tried)

    async def _verify(
        self, se: DiscoveredStorageElement, file_id: UUID, body: FileBody, stored: FileAttributes
    ) -> None:
        if stored.sha256 == body.sha256 and stored.size == body.size:
            return
        removed = await self.client.delete(se, file_id)
        log.error("placement.checksum_mismatch", se=se.name, file_id=str(file_id),
                  ours=body.sha256, theirs=stored.sha256, size=body.size,
                  stored_size=stored.size, removed=removed)
        raise ChecksumMismatch(
            details={"file_id": str(file_id), "storage_element_id": str(se.id),
                     "sha256": body.sha256, "storage_sha256": stored.sha256,
                     "removed": removed},
        )

