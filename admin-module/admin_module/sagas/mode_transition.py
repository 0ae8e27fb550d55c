"""Mode transition saga (rw → ro, ro → ar):

1. ``mark_draining`` — discovery shows the SE as draining, so placement stops choosing it;
2. ``wait_in_flight`` — after a settle delay (clients see the notice), until the SE reports no
   in-flight uploads; past ``MODE_DRAIN_TIMEOUT_SECONDS`` the saga compensates;
3. ``switch_mode`` — ``POST /api/v1/mode`` on the SE (the pivot: a one-way step);
4. ``publish`` — the registry takes the new mode, draining ends, discovery is republished.

Compensation un-drains the SE. Each step first looks at the SE's real mode, so a re-run after a
crash (the switch happened, the log did not) moves forward instead of failing.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from admin_module.audit import service as audit
from admin_module.discovery.repository import bump_version
from admin_module.models.base import utcnow
from admin_module.models.storage_element import StorageElement
from admin_module.sagas.engine import Done, Fail, SagaType, Step, StepContext, Wait
from admin_module.storage_elements import repository as se_repo
from admin_module.storage_elements.errors import SERejected


async def _se(ctx: StepContext) -> StorageElement:
    se = await se_repo.get(ctx.session, uuid.UUID(ctx.payload["storage_element_id"]), lock=True)
    if se is None:
        raise Fail("the storage element is no longer registered")
    return se


async def mark_draining(ctx: StepContext) -> Done:
    se = await _se(ctx)
    if not se.draining:
        se.draining = True
        await bump_version(ctx.session)
    ctx.payload.setdefault("drained_at", utcnow().isoformat())
    ctx.publish = True
    return Done("draining published")


async def undrain(ctx: StepContext) -> None:
    se = await se_repo.get(ctx.session, uuid.UUID(ctx.payload["storage_element_id"]), lock=True)
    if se is not None and se.draining:
        se.draining = False
        await bump_version(ctx.session)
        ctx.publish = True
    await audit.record(
        ctx.session, action="storage_element.mode_change_failed", actor="system",
        resource_type="storage_element", resource_id=ctx.payload["storage_element_id"],
        outcome="failure",
        details={"to": ctx.payload["target_mode"], "saga_id": str(ctx.saga.id),
                 "error": ctx.saga.error},
    )


async def wait_in_flight(ctx: StepContext) -> Wait | Done:
    s = ctx.settings
    drained_at = datetime.fromisoformat(ctx.payload["drained_at"])
    settle_until = drained_at + timedelta(seconds=s.MODE_DRAIN_SETTLE_SECONDS)
    now = utcnow()
    if now < settle_until:
        return Wait((settle_until - now).total_seconds(), "letting clients see the drain")
    info = await ctx.plane.client.info(await _se(ctx))
    if info.mode == ctx.payload["target_mode"]:
        return Done("already switched")
    if info.in_flight_uploads == 0:
        return Done("no uploads in flight")
    if now > drained_at + timedelta(seconds=s.MODE_DRAIN_TIMEOUT_SECONDS):
        raise Fail(f"{info.in_flight_uploads} uploads still in flight after "
                   f"{s.MODE_DRAIN_TIMEOUT_SECONDS:.0f} s")
    return Wait(1.0, f"{info.in_flight_uploads} uploads in flight")


async def switch_mode(ctx: StepContext) -> Done:
    se = await _se(ctx)
    target, source = ctx.payload["target_mode"], ctx.payload["from_mode"]
    info = await ctx.plane.client.info(se)
    if info.mode == target:
        return Done("already in the target mode")
    if info.mode != source:
        raise Fail(f"the storage element is in mode {info.mode}, expected {source}")
    try:
        await ctx.plane.client.set_mode(se, target, ctx.payload.get("reason"))
    except SERejected as exc:
        if exc.status_code in (400, 409, 422):
            raise Fail(f"the storage element refused: {exc.code}: {exc.message}") from exc
        raise
    return Done(f"switched {source} → {target}")


async def publish_mode(ctx: StepContext) -> Done:
    se = await _se(ctx)
    se.mode = ctx.payload["target_mode"]
    se.draining = False
    se.updated_at = utcnow()
    await bump_version(ctx.session)
    ctx.publish = True
    await audit.record(
        ctx.session, action="storage_element.mode_changed", actor=ctx.saga.created_by,
        resource_type="storage_element", resource_id=se.id,
        details={"from": ctx.payload["from_mode"], "to": se.mode,
                 "reason": ctx.payload.get("reason"), "saga_id": str(ctx.saga.id)},
    )
    return Done(f"published mode {se.mode}")


MODE_TRANSITION = SagaType("mode_transition", [
    Step("mark_draining", mark_draining, compensate=undrain),
    Step("wait_in_flight", wait_in_flight),
    Step("switch_mode", switch_mode),
    Step("publish", publish_mode, forward_only=True),  # after the one-way switch
])
