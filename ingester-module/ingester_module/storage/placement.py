"""Sequential fill: try writable SEs of the required mode, lowest priority number first.

A file whose copy policy asks for more than one copy is streamed to every SE of its copy plan
at once (a tee: one pass over the body, up to the target), with the same provenance; if fewer
than ``write_quorum`` took it, it is copied SE → SE (SHA-256 checked by the target) onto SEs of
other failure domains until the quorum is durable; only then is the upload acknowledged. Copies
the plan could not place are left to the repairer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

import structlog

from artstore_common.contracts import (
    DEFAULT_COPY_POLICIES,
    CopyPolicy,
    DiscoveredStorageElement,
    FileAttributes,
    UploadAttributes,
    Uploader,
    copy_attributes,
)
from artstore_common.discovery import DiscoveryClient
from artstore_common.resilience import BreakerRegistry
from ingester_module import metrics
from ingester_module.errors import ChecksumMismatch, NoStorageAvailable, StorageFailed
from ingester_module.storage.body import FileBody
from ingester_module.storage.client import Skipped, StorageClient

log = structlog.get_logger(__name__)


def candidates(
    elements: list[DiscoveredStorageElement],
    breakers: BreakerRegistry,
    declared_size: int | None,
    dropped: list[dict] | None = None,
) -> list[DiscoveredStorageElement]:
    """``elements`` come sorted by priority (online, non-draining, right mode); drop those
    whose breaker is open and those known to lack room for a file of ``declared_size`` (each
    noted in ``dropped`` with why, for the answer when nothing is left)."""
    chosen = []
    for se in elements:
        reason = None
        if breakers.is_open(str(se.id)):
            reason = "breaker_open"
        elif declared_size is not None and se.capacity_bytes - se.used_bytes < declared_size:
            reason = "no_room"
        if reason is None:
            chosen.append(se)
            continue
        metrics.PLACEMENT_FAILURES.labels(reason).inc()
        if dropped is not None:
            dropped.append({"storage_element_id": str(se.id), "reason": reason})
    return chosen


def weight(se: DiscoveredStorageElement, policy: CopyPolicy) -> int:
    """A copy on a backend that is itself redundant may count for more than one."""
    return policy.redundant_copy_weight if se.redundant_backend else 1


def spread(
    elements: list[DiscoveredStorageElement], taken: list[DiscoveredStorageElement]
) -> list[DiscoveredStorageElement]:
    """``elements`` not in ``taken``: new failure domains first, priority order within."""
    ids = {se.id for se in taken}
    domains = {se.domain for se in taken}
    rest = [se for se in elements if se.id not in ids]
    return ([se for se in rest if se.domain not in domains]
            + [se for se in rest if se.domain in domains])


def copy_plan(
    first: DiscoveredStorageElement, elements: list[DiscoveredStorageElement],
    policy: CopyPolicy,
) -> list[DiscoveredStorageElement]:
    """The SEs meant to hold the file: ``first``, then one per new failure domain, then others
    (two copies never share an SE), until the policy's target is met or no SE is left."""
    plan = [first]
    while sum(weight(se, policy) for se in plan) < policy.target_copies:
        rest = spread(elements, plan)
        if not rest:
            break
        plan.append(rest[0])
    return plan


@dataclass(frozen=True)
class Placed:
    storage_element: DiscoveredStorageElement
    attributes: FileAttributes
    copies: tuple[DiscoveredStorageElement, ...] = ()  # every durable copy, the first included


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

    def _unavailable(self, mode: str, tried: list[dict], online: int) -> NoStorageAvailable:
        metrics.PLACEMENT_FAILURES.labels("none_left").inc()
        return NoStorageAvailable(
            self.retry_after,
            f"No {mode} storage element can take this file now",
            details={"mode": mode, "online": online, "tried": tried},
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
        uploader: Uploader | None = None,
    ) -> Placed:
        """``uploader`` (from the caller's verified token) lets a multi-copy upload be teed:
        both SEs then get the same ``created_at``/``uploaded_by``, vouched for by us."""
        tried: list[dict] = []  # why each SE of the mode was passed over, for a 503
        online = self.discovery.writable(mode)  # type: ignore[arg-type]
        elements = candidates(online, self.breakers, declared_size if size_known else None,
                              tried)
        doc = self.discovery.current()
        policy = (doc.copy_policy(attrs.retention_policy) if doc is not None
                  else DEFAULT_COPY_POLICIES[attrs.retention_policy])
        for se in elements:
            if not body.replayable:
                break
            plan = copy_plan(se, elements, policy)
            if len(plan) > 1:
                attrs = attrs.model_copy(update={"copies": [s.id for s in plan]})
            if len(plan) > 1 and uploader is not None:
                placed = await self._tee(plan, elements, file_id, attrs, body, token,
                                         declared_size, policy, uploader, tried)
                if placed is not None:
                    return placed
                continue
            outcome = await self.client.put(se, file_id, attrs, body, declared_size, token)
            if isinstance(outcome, Skipped):
                metrics.PLACEMENT_FAILURES.labels(outcome.reason).inc()
                log.info("placement.skipped", se=se.name, reason=outcome.reason,
                         status=outcome.status_code)
                tried.append({"storage_element_id": str(se.id), "reason": outcome.reason})
                continue
            await self._verify(se, file_id, body, outcome)
            copies = await self._replicate([se], plan, elements, file_id, outcome, policy)
            return Placed(se, outcome, copies)
        raise self._unavailable(mode, tried, online=len(online))

    async def _tee(
        self, plan: list[DiscoveredStorageElement], elements: list[DiscoveredStorageElement],
        file_id: UUID, attrs: UploadAttributes, body: FileBody, token: str,
        declared_size: int, policy: CopyPolicy, uploader: Uploader, tried: list[dict],
    ) -> Placed | None:
        """The body to every SE of ``plan`` at once; None if none took it."""
        attrs = attrs.model_copy(update={"created_at": datetime.now(UTC),
                                         "uploaded_by": uploader})
        outcomes = await self.client.put_pair(plan, file_id, attrs, body, declared_size, token)
        made: list[tuple[DiscoveredStorageElement, FileAttributes]] = []
        for se, outcome in zip(plan, outcomes, strict=True):
            if isinstance(outcome, FileAttributes):
                made.append((se, outcome))
                continue
            reason = outcome.reason if isinstance(outcome, Skipped) else "failed_mid_upload"
            metrics.PLACEMENT_FAILURES.labels(reason).inc()
            log.info("placement.skipped", se=se.name, reason=reason, tee=True)
            tried.append({"storage_element_id": str(se.id), "reason": reason})
        for se, stored in made:
            if stored.sha256 != body.sha256 or stored.size != body.size:
                for other, _ in made:
                    if other is not se:
                        await self.client.delete(other, file_id)
                await self._verify(se, file_id, body, stored)  # deletes it and raises
        metrics.COPIES_MADE.labels("stream").inc(len(made))
        if not made:
            failed = [o for o in outcomes if isinstance(o, StorageFailed)]
            if failed and (body.finished or not body.replayable):
                raise failed[0]  # as a single PUT that failed past the replay window
            return None
        first, stored = made[0]
        copies = await self._replicate([se for se, _ in made], plan, elements, file_id,
                                       stored, policy)
        return Placed(first, stored, copies)

    async def _replicate(
        self, made: list[DiscoveredStorageElement], plan: list[DiscoveredStorageElement],
        elements: list[DiscoveredStorageElement], file_id: UUID, stored: FileAttributes,
        policy: CopyPolicy,
    ) -> tuple[DiscoveredStorageElement, ...]:
        """Copies from ``made[0]`` until the write quorum is durable (bounded by the SEs
        there are)."""
        quorum = min(policy.write_quorum, sum(weight(se, policy) for se in elements))
        first = made[0]
        durable = sum(weight(se, policy) for se in made)
        attrs = copy_attributes(stored, [se.id for se in plan])
        for target in [*plan, *spread(elements, plan)]:
            if durable >= quorum:
                break
            if target.id in {se.id for se in made}:
                continue
            outcome = await self.client.replicate(first, target, file_id, attrs, stored)
            if isinstance(outcome, Skipped) or outcome.sha256 != stored.sha256:
                metrics.PLACEMENT_FAILURES.labels("copy_failed").inc()
                log.warning("placement.copy_failed", file_id=str(file_id), target=target.name,
                            reason=getattr(outcome, "reason", "checksum"))
                continue
            made.append(target)
            metrics.COPIES_MADE.labels("se_copy").inc()
            durable += weight(target, policy)
        if durable < quorum:
            removed = [se.name for se in made if await self.client.delete(se, file_id)]
            log.error("placement.quorum_not_met", file_id=str(file_id), durable=durable,
                      quorum=quorum, removed=removed)
            metrics.PLACEMENT_FAILURES.labels("quorum_not_met").inc()
            raise NoStorageAvailable(
                self.retry_after, "Not enough storage elements took a copy of this file",
                details={"write_quorum": quorum, "durable_copies": durable,
                         "copied_to": [str(se.id) for se in made]})
        metrics.COPIES_WRITTEN.observe(len(made))
        return tuple(made)

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

