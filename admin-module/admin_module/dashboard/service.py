"""The dashboard's figures, all from the admin database so they need no Prometheus.

Capacity and fixity: a sampler records every SE's used/capacity (the registry, kept fresh by
the health poll) and its fixity counts (asked from the SE) every
``DASHBOARD_SAMPLE_INTERVAL_SECONDS``, and drops samples older than
``DASHBOARD_SAMPLE_RETENTION_DAYS``. Ingest, downloads and errors: counted from the audit chain,
which records every upload and download (the access trail) and every refused or failed action,
rolled up per closed hour by a background job so a load reads ~hours, not every audit row.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.dashboard import repository as repo
from admin_module.models.base import utcnow
from admin_module.models.dashboard import CapacitySample
from admin_module.models.storage_element import StorageElement
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements.context import ControlPlane
from admin_module.storage_elements.service import UNREACHABLE
from artstore_common.contracts import FixitySummary

log = structlog.get_logger(__name__)


async def sample(plane: ControlPlane) -> int:
    """One sample per SE that is reachable; the number written."""
    async with plane.sessionmaker() as session:
        elements = [se for se in await se_repo.all_elements(session)
                    if se.lost_at is None and se.status != "offline"]

    async def fixity(se: StorageElement) -> FixitySummary | None:
        try:
            return await plane.client.fixity_summary(se)
        except UNREACHABLE as exc:
            log.info("dashboard.fixity_unavailable", storage_element_id=str(se.id),
                     error=str(exc)[:200])
            return None

    summaries = await asyncio.gather(*(fixity(se) for se in elements))
    now = utcnow()
    settings = plane.settings
    async with plane.sessionmaker() as session, session.begin():
        for se, fx in zip(elements, summaries, strict=True):
            session.add(CapacitySample(
                storage_element_id=se.id, sampled_at=now, used_bytes=se.used_bytes,
                capacity_bytes=se.capacity_bytes, file_count=se.file_count,
                verified=fx and fx.verified, quarantined=fx and fx.quarantined,
                never_verified=fx and fx.never_verified,
                last_verified_at=fx and fx.last_verified_at))
        cutoff = now - timedelta(days=settings.DASHBOARD_SAMPLE_RETENTION_DAYS)
        await repo.drop_samples_before(session, cutoff)
    return len(elements)


def _step(hours: int, points: int) -> timedelta:
    """A whole number of minutes that gives at most ``points`` buckets over ``hours``."""
    return timedelta(minutes=max(1, -(-hours * 60 // points)))


async def capacity(session: AsyncSession, hours: int, points: int = 200) -> dict[str, Any]:
    since = utcnow() - timedelta(hours=hours)
    step = _step(hours, points)
    rows = await repo.capacity_buckets(session, since, step)
    names = {se.id: se for se in await se_repo.all_elements(session)}
    series: dict[uuid.UUID, dict[str, Any]] = {}
    for se_id, at, used, cap, files in rows:
        se = names.get(se_id)
        entry = series.setdefault(se_id, {
            "storage_element_id": str(se_id), "name": se.name if se else str(se_id),
            "mode": se.mode if se else None, "points": []})
        entry["points"].append({"at": at.isoformat(), "used_bytes": used,
                                "capacity_bytes": cap, "file_count": files})
    return {"since": since.isoformat(), "step_seconds": int(step.total_seconds()),
            "series": sorted(series.values(), key=lambda s: s["name"])}


async def fixity(session: AsyncSession) -> dict[str, Any]:
    """Each SE's latest sample with fixity counts, and the sums."""
    rows = await repo.latest_fixity(session)
    items = [{"storage_element_id": str(s.storage_element_id), "name": name,
              "sampled_at": s.sampled_at.isoformat(), "files": s.file_count,
              "verified": s.verified, "quarantined": s.quarantined,
              "never_verified": s.never_verified,
              "last_verified_at": s.last_verified_at.isoformat() if s.last_verified_at
              else None} for s, name in rows]
    lasts = [i["last_verified_at"] for i in items if i["last_verified_at"]]
    totals = {k: sum(i[k] or 0 for i in items)
              for k in ("files", "verified", "quarantined", "never_verified")}
    return {"items": items, "totals": dict(totals, last_verified_at=max(lasts, default=None))}


ROLLUP_MARGIN = timedelta(minutes=5)  # an hour counts as closed this long after its end


async def roll_up(plane: ControlPlane) -> int:
    """Roll the closed hours into ``audit_activity_hourly``; drop rolls past the samples'
    retention. An audit row is written with the writer's clock a moment before its commit: the
    margin lets every such commit land before its hour is rolled."""
    now = utcnow()
    until = repo.ORIGIN + (now - ROLLUP_MARGIN - repo.ORIGIN) // repo.HOUR * repo.HOUR
    async with plane.sessionmaker() as session, session.begin():
        written = await repo.roll_up(session, until)
        await repo.prune(session, now - timedelta(
            days=plane.settings.DASHBOARD_SAMPLE_RETENTION_DAYS))
    return written


async def activity(session: AsyncSession, hours: int, points: int = 48) -> dict[str, Any]:
    """Uploads, downloads and errors (failed or refused actions; an aggregated refusal
    report counts as its ``count``) per bucket of whole hours: closed hours from the hourly
    roll-up, the rest from the audit rows."""
    now = utcnow()
    step = repo.HOUR * max(1, -(-hours // points))
    start = repo.ORIGIN + (now - timedelta(hours=hours) - repo.ORIGIN) // step * step
    counted, errors = await repo.activity(session, step, start)
    buckets = []  # every bucket of the window, the quiet ones as zeros
    at = start
    while at <= now:
        up, down, err = counted.get(at, (0, 0, 0))
        buckets.append({"at": at.isoformat(), "uploads": up, "downloads": down, "errors": err})
        at += step
    return {"since": start.isoformat(), "step_seconds": int(step.total_seconds()),
            "buckets": buckets,
            "totals": {k: sum(b[k] for b in buckets) for k in ("uploads", "downloads", "errors")},
            "errors_by_action": [{"action": a, "count": n} for a, n in errors.most_common(8)]}


GRAFANA_DASHBOARDS = {"overview": "artstore-overview", "storage": "artstore-storage",
                      "ingest": "artstore-ingest-search", "security": "artstore-security"}


def links(grafana_url: str | None) -> dict[str, Any]:
    if not grafana_url:
        return {"grafana_url": None, "dashboards": {}}
    base = grafana_url.rstrip("/")
    return {"grafana_url": base,
            "dashboards": {k: f"{base}/d/{uid}" for k, uid in GRAFANA_DASHBOARDS.items()}}
