"""Runs due sagas: at start (resuming whatever a crash left) and on a poll or a wake-up.

A worker claims one due saga with ``FOR UPDATE SKIP LOCKED`` and keeps that row locked while
the step runs, so two admin instances never run the same saga, and a crashed instance's lock
goes with its connection. Each step commits with its log entry; publishing discovery happens
after the commit.
"""

from __future__ import annotations

import asyncio
import copy
import os

import structlog
from sqlalchemy.orm.attributes import flag_modified

from admin_module.models.base import utcnow
from admin_module.models.saga import ACTIVE_STATES
from admin_module.sagas import engine
from admin_module.sagas import repository as saga_repo
from admin_module.storage_elements.context import ControlPlane

log = structlog.get_logger(__name__)


class SagaRunner:
    def __init__(self, plane: ControlPlane, workers: int = 2) -> None:
        self.plane = plane
        self.workers = workers
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        for index in range(self.workers):
            self._tasks.append(asyncio.create_task(self._work(), name=f"saga-worker-{index}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks.clear()

    async def _work(self) -> None:
        poll = self.plane.settings.SAGA_POLL_SECONDS
        while True:
            try:
                ran = await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("saga.tick_failed", error=str(exc), exc_info=exc)
                ran = False
            if ran:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=poll)
            except TimeoutError:
                pass

    async def tick(self) -> bool:
        """Advance one due saga by one step; False when none is due."""
        plane = self.plane
        async with plane.sessionmaker() as session:
            saga = await saga_repo.claim_due(session)
            if saga is None:
                return False
            saga_id = saga.id
            ctx = engine.StepContext(saga=saga, session=session, plane=plane,
                                     payload=copy.deepcopy(saga.payload or {}))
            try:
                finished = await engine.advance(ctx)
                flag_modified(saga, "payload")  # nested changes are invisible otherwise
                flag_modified(saga, "steps")
                saga.updated_at = utcnow()
                self._crash_hook(saga.type, finished, before_commit=True)
                await session.commit()
            except Exception as exc:
                await session.rollback()
                await self._note_crash(saga_id, exc)
                return True
        self._crash_hook(saga.type, finished)
        if ctx.publish:
            await plane.publish()
        return True

    async def _note_crash(self, saga_id: object, exc: Exception) -> None:
        """A bug or a database error inside a step: back off and try again later."""
        log.error("saga.step_crashed", saga_id=str(saga_id), error=str(exc), exc_info=exc)
        async with self.plane.sessionmaker() as session:
            saga = await saga_repo.get(session, saga_id, for_update=True)  # type: ignore[arg-type]
            if saga is None or saga.state not in ACTIVE_STATES:
                return
            saga.attempts += 1
            saga.error = f"{type(exc).__name__}: {exc}"[:2000]
            saga.next_attempt_at = utcnow() + engine._backoff(self.plane.settings, saga.attempts)
            await session.commit()

    def _crash_hook(self, saga_type: str, finished: str | None,
                    before_commit: bool = False) -> None:
        """Test-only: ``SAGA_CRASH_AFTER_STEP=<type>:<step>`` makes the process die right after
        that step's log entry is committed, as a crash between two steps would;
        ``before-commit:<type>:<step>`` dies after the step did its work but before the log
        says so (the step then runs again after the restart)."""
        wanted = self.plane.settings.SAGA_CRASH_AFTER_STEP
        if not wanted or finished is None or self.plane.settings.is_production:
            return
        names = (finished, f"{saga_type}:{finished}")
        if before_commit:
            names = tuple(f"before-commit:{name}" for name in names)
        if wanted in names:
            log.warning("saga.crash_hook", type=saga_type, step=finished,
                        before_commit=before_commit)
            os._exit(137)
