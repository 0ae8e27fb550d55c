"""The repairer: keeps every file at its copy policy's target.

A ``copy_repair`` saga (its persisted step log is the work log: a restart resumes it) is
started every ``REPAIR_INTERVAL_SECONDS`` (at most one at a time, across instances):

1. ``scan`` — every online SE's listing; per file its healthy copies (not quarantined, the
   SHA-256 the majority holds), the SEs its sidecars name as its copy set, and its target.
   A file with fewer healthy copies than its target is *under-replicated*; with none, *lost*.
   Counts go to metrics and readiness, the lists (capped) into the saga's payload, which
   ``GET /api/v1/copies/report`` shows. Files whose copies sit on an offline SE are not judged
   (an SE that is away is not an SE that is lost) — until it has been away longer than
   ``COPIES_OFFLINE_GRACE_SECONDS`` or an operator declared it lost: then its copies no longer
   count (a lost SE that still answers is read as a source, last).
2. ``copy`` — up to ``REPAIR_MAX_COPIES_PER_RUN`` new copies, each streamed from a healthy copy
   to a writable SE that holds none (new failure domains first); the target checks the SHA-256
   before it keeps anything, and the source's bytes are hashed too. A copy already on the
   target with the right checksum counts as done, so a resumed run never copies twice.
   Each copy is audited with both SEs and the hash.

A run started for one SE (``POST /copies/repair`` with ``storage_element_id``) scans and
reports everything as usual but repairs only the files that have, or should have, a copy on
that SE — an operator's "fix this SE first" after a disk swap or a ``lost`` declaration.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

import structlog
from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel, ConfigDict

from admin_module.audit import service as audit
from admin_module.copies.policy import SUITABLE_MODES, policies
from admin_module.db import DbSession
from admin_module.metrics import LAST_SCAN, LOST, REPAIRS, SOLE_COPIES, UNDER_REPLICATED
from admin_module.models.base import utcnow
from admin_module.models.saga import Saga
from admin_module.sagas import repository as saga_repo
from admin_module.sagas.engine import Done, SagaType, Step, StepContext, new_saga
from admin_module.sagas.schemas import SagaRead
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements import service as se_service
from admin_module.storage_elements.context import ControlPlane, Plane
from admin_module.storage_elements.errors import SERejected
from admin_module.storage_elements.schemas import LostDeclaration, StorageElementRead
from admin_module.storage_elements.service import UNREACHABLE
from artstore_common.auth import StorageAdmin, StorageRead
from artstore_common.contracts import FileAttributes, copy_attributes
from artstore_common.errors import Conflict
from artstore_common.se_client import SourceChecksumMismatch

log = structlog.get_logger(__name__)


class CopyRepairBusy(Conflict):
    code, message = "COPY_REPAIR_BUSY", "A repair run for another storage element is running"

RESOURCE = "copies"
REPORT_LIMIT = 1000

# What readiness shows: the counts of this instance's last scan (None before the first).
LAST_COUNTS: dict[str, int | None] = {"under_replicated": None, "lost": None}


async def scan(ctx: StepContext) -> Done:
    elements = await se_repo.all_elements(ctx.session)
    by_id = {str(se.id): se for se in elements}
    policy = {p.retention_policy: p for p in await policies(ctx.session)}
    # file id → se id → (attributes, quarantined)
    holdings: dict[str, dict[str, tuple[FileAttributes, bool]]] = defaultdict(dict)
    # Copies on SEs declared lost: they do not count, but may still serve as a source.
    spare: dict[str, dict[str, tuple[FileAttributes, bool]]] = defaultdict(dict)
    unseen: list[str] = []
    grace = timedelta(seconds=ctx.settings.COPIES_OFFLINE_GRACE_SECONDS)
    gone = {str(se.id) for se in elements if se.lost_at is not None}
    for se in elements:
        if se.mode == "ar":  # counts as a copy, but cannot be listed or copied from
            if se.lost_at is None:
                unseen.append(str(se.id))
            continue
        # An SE marked offline is asked too: it may be back before the next health poll.
        into = spare if se.lost_at is not None else holdings
        cursor = None
        try:
            while True:
                page = await ctx.plane.client.list_files(se, cursor=cursor)
                for attrs in page.items:
                    if attrs.status == "active":
                        into[str(attrs.file_id)][str(se.id)] = (attrs, attrs.quarantined)
                cursor = page.next_cursor
                if not cursor:
                    break
        except UNREACHABLE as exc:
            if se.lost_at is not None:
                continue
            if se.last_seen_at is not None and utcnow() - se.last_seen_at > grace:
                gone.add(str(se.id))  # away past the grace period: counted as lost
                log.warning("repair.se_past_grace", storage_element=str(se.id),
                            last_seen_at=se.last_seen_at.isoformat())
                continue
            unseen.append(str(se.id))
            log.warning("repair.se_skipped", storage_element=str(se.id), error=str(exc))
    unseen_set = set(unseen)
    suitable = {name: [se for se in elements if se.mode in modes and str(se.id) not in gone]
                for name, modes in SUITABLE_MODES.items()}
    under: list[dict[str, Any]] = []
    lost: list[dict[str, Any]] = []
    sole: Counter[str] = Counter()
    tasks: list[dict[str, Any]] = []
    for file_id in holdings.keys() | spare.keys():
        copies, extra = holdings.get(file_id, {}), spare.get(file_id, {})
        sha = Counter(a.sha256 for a, q in [*copies.values(), *extra.values()]
                      if not q).most_common(1)
        healthy = sorted(se_id for se_id, (a, q) in copies.items()
                         if not q and sha and a.sha256 == sha[0][0])
        spare_sources = sorted(se_id for se_id, (a, q) in extra.items()
                               if not q and sha and a.sha256 == sha[0][0])
        attrs = next(iter([*copies.values(), *extra.values()]))[0]
        named = {str(c) for a, _ in copies.values() for c in a.copies}
        if (named | set(copies)) & unseen_set:
            continue  # a copy may be on an SE that is away: judge it when it is back
        rule = policy[attrs.retention_policy]
        weight = sum(rule.redundant_copy_weight if by_id[s].redundant_backend else 1
                     for s in healthy)
        target = min(rule.target_copies, sum(
            rule.redundant_copy_weight if se.redundant_backend else 1
            for se in suitable[attrs.retention_policy]))
        entry = {"file_id": file_id, "healthy": healthy, "target": target,
                 "quarantined": sorted(s for s, (_, q) in copies.items() if q),
                 "missing": sorted(named - set(copies)), "sha256": sha[0][0] if sha else None}
        if not healthy and not spare_sources:
            lost.append(entry)
            continue
        if len(healthy) == 1:
            sole[healthy[0]] += 1
        if weight < target:
            under.append(entry)
            tasks.append({**entry, "size": attrs.size, "retention_policy":
                          attrs.retention_policy, "sources": healthy + spare_sources})
    quarantined = [{"file_id": f, "storage_element_id": s}
                   for f, copies in holdings.items() for s, (_, q) in sorted(copies.items()) if q]
    UNDER_REPLICATED.set(len(under))
    LOST.set(len(lost))
    LAST_COUNTS.update(under_replicated=len(under), lost=len(lost))
    SOLE_COPIES.clear()
    for se_id, n in sole.items():
        SOLE_COPIES.labels(by_id[se_id].name).set(n)
    limit = ctx.settings.REPAIR_MAX_COPIES_PER_RUN
    if scope := ctx.payload.get("storage_element_id"):
        tasks = [t for t in tasks if scope in {*t["healthy"], *t["quarantined"], *t["missing"],
                                               *t["sources"]}]
    ctx.payload.update(
        files_seen=len(holdings), under_replicated_count=len(under), lost_count=len(lost),
        under_replicated=under[:REPORT_LIMIT], lost=lost[:REPORT_LIMIT],
        sole_copies={by_id[s].name: n for s, n in sole.items()},
        unseen_storage_elements=unseen, lost_storage_elements=sorted(gone),
        quarantined_count=len(quarantined), quarantined_copies=quarantined[:REPORT_LIMIT],
        tasks=tasks[:limit], repaired=[], failed=[],
    )
    return Done(f"{len(holdings)} files, {len(under)} under-replicated, {len(lost)} lost")


def _choose_target(ctx: StepContext, elements: list[Any], task: dict[str, Any],
                   tried: set[str]) -> Any | None:
    mode = "edit" if task["retention_policy"] == "temporary" else "rw"
    holders = set(task["healthy"]) | set(task["quarantined"])
    domains = {se.failure_domain or str(se.id) for se in elements if str(se.id) in holders}
    fits = [se for se in elements
            if se.mode == mode and se.status == "online" and not se.draining
            and str(se.id) not in holders and str(se.id) not in tried
            and not ctx.plane.breakers.is_open(str(se.id))
            and se.capacity_bytes - se.used_bytes >= task["size"]]
    fits.sort(key=lambda se: ((se.failure_domain or str(se.id)) in domains, se.priority,
                              se.name))
    return fits[0] if fits else None


async def copy(ctx: StepContext) -> Done:
    elements = await se_repo.all_elements(ctx.session)
    by_id = {str(se.id): se for se in elements}
    repaired = list(ctx.payload.get("repaired", []))
    failed = list(ctx.payload.get("failed", []))
    done = {r["file_id"] for r in repaired} | {f["file_id"] for f in failed}
    for task in ctx.payload.get("tasks", []):
        if task["file_id"] in done:
            continue
        outcome = await _repair_one(ctx, by_id, elements, task)
        (repaired if outcome.get("target") else failed).append(outcome)
        REPAIRS.labels("copied" if outcome.get("target") else "failed").inc()
        ctx.payload.update(repaired=repaired, failed=failed)
    LAST_SCAN.set_to_current_time()
    return Done(f"{len(repaired)} copies made, {len(failed)} failed")


async def _repair_one(ctx: StepContext, by_id: dict[str, Any], elements: list[Any],
                      task: dict[str, Any]) -> dict[str, Any]:
    file_id = uuid.UUID(task["file_id"])
    result: dict[str, Any] = {"file_id": task["file_id"]}
    sources = [by_id[s] for s in task.get("sources", task["healthy"]) if s in by_id]
    # A quarantined copy on a writable SE is rewritten in place first (placement kept).
    rewrite = [by_id[s] for s in task["quarantined"] if s in by_id
               and by_id[s].mode in ("rw", "edit") and by_id[s].status == "online"]
    tried: set[str] = set()
    while sources:
        target = rewrite.pop(0) if rewrite else _choose_target(ctx, elements, task, tried)
        if target is None:
            return {**result, "error": "no writable storage element can take a copy"}
        tried.add(str(target.id))
        source = sources[0]
        try:
            stored = await ctx.plane.client.get_file(source, file_id)
            if stored is None or stored.sha256 != task["sha256"]:
                sources.pop(0)
                continue
            existing = await ctx.plane.client.get_file(target, file_id)
            in_place = str(target.id) in task["quarantined"]
            if existing is None or in_place:
                copies = sorted({*task["healthy"], *task["quarantined"], str(target.id)})
                try:
                    await ctx.plane.client.copy_file(
                        source, target, file_id,
                        copy_attributes(stored, [uuid.UUID(c) for c in copies]),
                        stored.size, stored.sha256, repair=in_place)
                except SERejected as exc:
                    # A rewrite refused as "exists": a resumed run, the copy is healthy now.
                    if not (in_place and exc.code == "FILE_EXISTS"):
                        raise
            elif existing.sha256 != task["sha256"]:
                continue  # another file under this id there: never overwrite, try another SE
        except SourceChecksumMismatch:
            sources.pop(0)
            continue
        except (SERejected, *UNREACHABLE) as exc:
            log.warning("repair.copy_failed", file_id=task["file_id"], target=target.name,
                        error=f"{type(exc).__name__}: {exc}"[:300])
            continue
        await audit.record(
            ctx.session, action="file.copy_rewritten" if in_place else "file.copy_repaired",
            actor="system", resource_type="file",
            resource_id=file_id,
            details={"source_storage_element_id": str(source.id),
                     "target_storage_element_id": str(target.id), "sha256": task["sha256"],
                              "target_sha256": task["sha256"], "saga_id": str(ctx.saga.id)})
        log.info("repair.copied", file_id=task["file_id"], source=source.name,
                 target=target.name)
        return {**result, "source": str(source.id), "target": str(target.id),
                "rewritten": in_place}
    return {**result, "error": "no healthy source copy could be read"}


COPY_REPAIR = SagaType("copy_repair", [
    Step("scan", scan),
    Step("copy", copy),
])


async def schedule(plane: ControlPlane, actor: str = "system",
                   storage_element_id: uuid.UUID | None = None) -> Saga | None:
    """Start a repair run unless one is active (across instances: advisory lock)."""
    async with plane.sessionmaker() as session:
        await saga_repo.lock_resource(session, "copy-repair-schedule")
        if await saga_repo.active(session, "copy_repair", RESOURCE) is not None:
            return None
        scope = {"storage_element_id": str(storage_element_id)} if storage_element_id else {}
        saga = new_saga("copy_repair", RESOURCE, scope, actor)
        session.add(saga)
        await session.commit()
    plane.wake()
    return saga


def readiness() -> tuple[str, dict[str, int | None]]:
    """``degraded`` while the last scan found files below target or lost."""
    bad = any(LAST_COUNTS.values())
    return ("degraded" if bad else "ok"), dict(LAST_COUNTS)


router = APIRouter(prefix="/copies", tags=["copies"])
lost_router = APIRouter(prefix="/storage-elements", tags=["storage-elements"])


@lost_router.post("/{se_id}/lost", response_model=StorageElementRead)
async def declare_lost(
    se_id: uuid.UUID, body: LostDeclaration, principal: StorageAdmin, session: DbSession,
    plane: Plane, background: BackgroundTasks,
) -> StorageElementRead:
    """Declare an SE lost: its files are judged without it and re-replicated now."""
    actor = principal.name or principal.subject
    se = await se_service.declare_lost(session, se_id, body.reason, actor)
    background.add_task(plane.publish)
    background.add_task(schedule, plane, actor)
    return StorageElementRead.of(se)


@router.get("/report")
async def report(principal: StorageRead, session: DbSession) -> dict[str, Any]:
    """The last finished scan: under-replicated and lost files, sole copies per SE."""
    saga = await saga_repo.latest_with(session, "copy_repair", "files_seen")
    if saga is None:
        return {"scanned_at": None, "files_seen": 0, "under_replicated_count": 0,
                "lost_count": 0, "under_replicated": [], "lost": [], "sole_copies": {},
                "unseen_storage_elements": [], "lost_storage_elements": [],
                "quarantined_count": 0, "quarantined_copies": [], "saga_id": None,
                "storage_element_id": None}
    keys = ("storage_element_id", "files_seen", "under_replicated_count", "lost_count",
            "under_replicated", "lost",
            "sole_copies", "unseen_storage_elements", "lost_storage_elements",
            "quarantined_count", "quarantined_copies", "repaired", "failed")
    return {"scanned_at": saga.created_at, "saga_id": saga.id, "saga_state": saga.state,
            **{k: saga.payload.get(k) for k in keys}}


class RepairRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    storage_element_id: uuid.UUID | None = None


@router.post("/repair", response_model=SagaRead, status_code=202)
async def repair_now(principal: StorageAdmin, plane: Plane, session: DbSession,
                     background: BackgroundTasks,
                     body: RepairRequest | None = None) -> SagaRead:
    """Start a repair run now, of every file or of one SE's (or answer the one running)."""
    se_id = body.storage_element_id if body else None
    if se_id is not None:
        await se_service.get_or_404(session, se_id)
    saga = None
    while saga is None:
        saga = await schedule(plane, principal.name or principal.subject, se_id)
        if saga is None:
            async with plane.sessionmaker() as s:
                saga = await saga_repo.active(s, "copy_repair", RESOURCE)
            scope = saga.payload.get("storage_element_id") if saga else None
            if saga is not None and scope is not None and scope != str(se_id or ""):
                # A run for another SE is busy: it would not repair what was asked.
                raise CopyRepairBusy(details={"saga_id": str(saga.id),
                                              "storage_element_id": scope})
        # None again: the active run finished in between, so schedule a new one.
    background.add_task(plane.wake)
    return SagaRead.of(saga)
