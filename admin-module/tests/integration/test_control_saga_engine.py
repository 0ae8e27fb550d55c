"""The saga engine and runner against the real database (migrated template), driven one step at
a time with a saga type defined here: order, retries with backoff, compensation newest first,
forward-only steps, giving up, crash-in-step back-off and SKIP LOCKED claiming."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from admin_module.models.base import utcnow
from admin_module.models.saga import Saga
from admin_module.sagas import engine
from admin_module.sagas.engine import Done, Fail, SagaType, Step, StepContext, Wait
from admin_module.sagas.runner import SagaRunner

# step name → list of behaviours consumed one per call: "ok", "wait", "transient", "fail", "bug"
SCRIPT: dict[str, list[str]] = {}
CALLS: list[str] = []


def behaviour(name: str) -> Callable[[StepContext], Any]:
    async def run(ctx: StepContext) -> Wait | Done | None:
        CALLS.append(name)
        plan = SCRIPT.get(name) or ["ok"]
        action = plan.pop(0) if len(plan) > 1 else plan[0]
        ctx.payload.setdefault("seen", []).append(name)
        if action == "wait":
            return Wait(3600, "waiting for something")
        if action == "transient":
            raise httpx.ConnectError("storage element away")
        if action == "fail":
            raise Fail(f"{name} cannot succeed")
        if action == "bug":
            raise KeyError("a bug")
        return Done(f"{name} done")

    return run


def compensation(name: str) -> Callable[[StepContext], Any]:
    async def undo(ctx: StepContext) -> None:
        CALLS.append(f"undo:{name}")
        plan = SCRIPT.get(f"undo:{name}") or ["ok"]
        action = plan.pop(0) if len(plan) > 1 else plan[0]
        if action == "transient":
            raise httpx.ConnectError("away while undoing")

    return undo


engine.register(SagaType("engine_test", [
    Step("a", behaviour("a"), compensate=compensation("a")),
    Step("b", behaviour("b")),
    Step("c", behaviour("c"), compensate=compensation("c")),
    Step("d", behaviour("d"), forward_only=True),
]))


@pytest.fixture()
async def plane(make_admin, redis_url):
    SCRIPT.clear()
    CALLS.clear()
    admin = await make_admin(SAGA_POLL_SECONDS=3600, SAGA_MAX_ATTEMPTS=3,
                             SAGA_RETRY_BASE_SECONDS=30, SE_HEALTH_INTERVAL_SECONDS=3600,
                             DISCOVERY_REPUBLISH_SECONDS=3600,
                             REDIS_URL=redis_url.rsplit("/", 1)[0] + "/11")
    return admin.app.state.control_plane


async def create(plane) -> uuid.UUID:
    async with plane.sessionmaker() as session:
        saga = engine.new_saga("engine_test", f"r-{uuid.uuid4().hex[:8]}", {}, "tester")
        session.add(saga)
        await session.commit()
        return saga.id


async def load(plane, saga_id: uuid.UUID) -> Saga:
    async with plane.sessionmaker() as session:
        saga = await session.get(Saga, saga_id)
        assert saga is not None
        return saga


async def make_due(plane, saga_id: uuid.UUID) -> None:
    async with plane.sessionmaker() as session:
        await session.execute(update(Saga).where(Saga.id == saga_id)
                              .values(next_attempt_at=utcnow()))
        await session.commit()


async def run_until_idle(runner: SagaRunner, limit: int = 50) -> int:
    ticks = 0
    while ticks < limit and await runner.tick():
        ticks += 1
    return ticks


def statuses(saga: Saga) -> list[tuple[str, str, str]]:
    return [(e["step"], e["phase"], e["status"]) for e in saga.steps]


class TestPurge:
    async def test_only_old_finished_sagas_are_purged(self, plane):
        from datetime import timedelta

        from admin_module.sagas import repository as repo

        now = utcnow()
        cases = {  # (state, completed this long ago) → kept?
            ("completed", 100): False, ("compensated", 100): False,
            ("completed", 10): True, ("failed", 100): True, ("running", None): True,
        }
        ids = {}
        for (state, days), _kept in cases.items():
            saga_id = await create(plane)
            completed = now - timedelta(days=days) if days is not None else None
            async with plane.sessionmaker() as session:
                await session.execute(update(Saga).where(Saga.id == saga_id).values(
                    state=state, completed_at=completed))
                await session.commit()
            ids[(state, days)] = saga_id
        async with plane.sessionmaker() as session:
            removed = await repo.purge_finished(session, now - timedelta(days=90))
            await session.commit()
            left = set((await session.scalars(
                select(Saga.id).where(Saga.id.in_(ids.values())))).all())
        assert removed >= 2
        assert {case for case, saga_id in ids.items() if saga_id in left} == {
            case for case, kept in cases.items() if kept}


class TestEngine:
    async def test_steps_run_in_order_and_complete(self, plane):
        saga_id = await create(plane)
        runner = SagaRunner(plane)
        assert await run_until_idle(runner) == 4
        saga = await load(plane, saga_id)
        assert saga.state == "completed" and saga.current_step is None
        assert saga.completed_at is not None
        assert CALLS == ["a", "b", "c", "d"]
        assert saga.payload["seen"] == ["a", "b", "c", "d"]
        assert [s for s, _, st in statuses(saga) if st == "done"] == ["a", "b", "c", "d"]

    async def test_a_transient_failure_backs_off_then_retries(self, plane):
        SCRIPT["b"] = ["transient", "ok"]
        saga_id = await create(plane)
        runner = SagaRunner(plane)
        await run_until_idle(runner)
        saga = await load(plane, saga_id)
        assert saga.state == "running" and saga.current_step == "b" and saga.attempts == 1
        assert saga.next_attempt_at > utcnow()
        assert "ConnectError" in saga.error
        assert not await runner.tick()  # not due yet
        await make_due(plane, saga_id)
        await run_until_idle(runner)
        saga = await load(plane, saga_id)
        assert saga.state == "completed" and saga.attempts == 0 and saga.error is None
        assert ("b", "run", "retry") in statuses(saga)

    async def test_a_permanent_failure_compensates_newest_first(self, plane):
        SCRIPT["c"] = ["fail"]
        saga_id = await create(plane)
        await run_until_idle(SagaRunner(plane))
        saga = await load(plane, saga_id)
        assert saga.state == "compensated", saga.steps
        # c failed (its own compensation runs first: it may have half-happened), then a;
        # b has no compensation, d never ran.
        assert CALLS == ["a", "b", "c", "undo:c", "undo:a"]
        assert saga.error == "c: c cannot succeed"
        assert statuses(saga)[-2:] == [("c", "compensate", "done"), ("a", "compensate", "done")]

    async def test_giving_up_after_max_attempts_compensates(self, plane):
        SCRIPT["b"] = ["transient"]
        saga_id = await create(plane)
        runner = SagaRunner(plane)
        for _ in range(3):
            await make_due(plane, saga_id)
            await run_until_idle(runner)
        saga = await load(plane, saga_id)
        assert saga.state == "compensated"
        assert "gave up after 3 attempts" in saga.error
        assert CALLS.count("b") == 3 and CALLS[-1] == "undo:a"

    async def test_a_compensation_that_keeps_failing_ends_failed(self, plane):
        SCRIPT["b"] = ["fail"]
        SCRIPT["undo:a"] = ["transient"]
        saga_id = await create(plane)
        runner = SagaRunner(plane)
        for _ in range(4):
            await make_due(plane, saga_id)
            await run_until_idle(runner)
        saga = await load(plane, saga_id)
        assert saga.state == "failed"
        assert CALLS.count("undo:a") == 3

    async def test_a_forward_only_step_never_compensates(self, plane):
        SCRIPT["d"] = ["transient", "transient", "transient", "transient", "fail"]
        saga_id = await create(plane)
        runner = SagaRunner(plane)
        for _ in range(5):
            await make_due(plane, saga_id)
            await run_until_idle(runner)
            saga = await load(plane, saga_id)
            assert saga.state in ("running", "failed")  # retries past SAGA_MAX_ATTEMPTS
        assert saga.state == "failed"
        assert not any(call.startswith("undo:") for call in CALLS)

    async def test_waiting_is_logged_once_and_counts_no_attempt(self, plane):
        SCRIPT["b"] = ["wait", "wait", "ok"]
        saga_id = await create(plane)
        runner = SagaRunner(plane)
        for _ in range(3):
            await make_due(plane, saga_id)
            await run_until_idle(runner)
        saga = await load(plane, saga_id)
        assert saga.state == "completed"
        assert statuses(saga).count(("b", "run", "waiting")) == 1
        assert saga.attempts == 0

    async def test_a_bug_in_a_step_backs_off_instead_of_spinning(self, plane):
        SCRIPT["a"] = ["bug", "ok"]
        saga_id = await create(plane)
        runner = SagaRunner(plane)
        assert await runner.tick()
        saga = await load(plane, saga_id)
        assert saga.state == "running" and saga.attempts == 1 and "KeyError" in saga.error
        assert saga.next_attempt_at > utcnow()
        await make_due(plane, saga_id)
        await run_until_idle(runner)
        assert (await load(plane, saga_id)).state == "completed"

    async def test_a_saga_locked_by_another_instance_is_skipped(self, plane):
        saga_id = await create(plane)
        runner = SagaRunner(plane)
        async with plane.sessionmaker() as other:
            await other.execute(select(Saga).where(Saga.id == saga_id).with_for_update())
            assert not await runner.tick()  # the other instance holds it
            await other.rollback()
        assert await runner.tick()
        assert CALLS == ["a"]
