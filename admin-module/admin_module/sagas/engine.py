"""The saga machinery: step definitions, outcomes, and advancing one saga by one step.

A saga row names the step to run next (``current_step``). Running a step either finishes it
(the next step becomes current, or the saga completes), asks to wait (``next_attempt_at`` moves
on, nothing is counted), hits a transient failure (retried with backoff, up to
``SAGA_MAX_ATTEMPTS``) or a permanent one: then the saga turns ``compensating`` and undoes the
steps already done, newest first. Every step and compensation is idempotent, because a crash
between doing the work and committing the log re-runs it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from admin_module.metrics import SAGAS
from admin_module.models.base import utcnow
from admin_module.models.saga import Saga
from admin_module.storage_elements.context import ControlPlane
from admin_module.storage_elements.errors import SERejected
from artstore_common.resilience import CircuitOpenError, UpstreamServerError

log = structlog.get_logger(__name__)

TRANSIENT = (httpx.HTTPError, TimeoutError, OSError, CircuitOpenError, UpstreamServerError)


def is_transient_rejection(exc: SERejected) -> bool:
    """A 4xx that a later attempt may not get (another operation holds the file, throttling)."""
    return exc.code == "FILE_BUSY" or exc.status_code in (408, 425, 429)


class Retry(Exception):
    """Try this step again later (counts an attempt)."""


class Fail(Exception):
    """This step cannot succeed: compensate."""


@dataclass
class Wait:
    seconds: float
    note: str


@dataclass
class Done:
    note: str | None = None


@dataclass
class StepContext:
    saga: Saga
    session: AsyncSession
    plane: ControlPlane
    payload: dict[str, Any]
    publish: bool = False

    @property
    def settings(self) -> Any:
        return self.plane.settings


StepFn = Callable[[StepContext], Awaitable[Wait | Done | None]]
CompensateFn = Callable[[StepContext], Awaitable[None]]


@dataclass
class Step:
    """``forward_only`` marks steps after the pivot: what is done cannot be undone, so they
    retry without limit and a permanent failure leaves the saga ``failed`` for an operator
    instead of compensating."""

    name: str
    run: StepFn
    compensate: CompensateFn | None = None
    forward_only: bool = False


@dataclass
class SagaType:
    name: str
    steps: list[Step]
    on_complete: CompensateFn | None = None
    by_name: dict[str, Step] = field(init=False)

    def __post_init__(self) -> None:
        self.by_name = {step.name: step for step in self.steps}

    def after(self, name: str) -> str | None:
        names = [step.name for step in self.steps]
        index = names.index(name)
        return names[index + 1] if index + 1 < len(names) else None


REGISTRY: dict[str, SagaType] = {}


def register(saga_type: SagaType) -> SagaType:
    REGISTRY[saga_type.name] = saga_type
    return saga_type


def new_saga(type_: str, resource_id: str, payload: dict[str, Any], actor: str | None) -> Saga:
    now = utcnow()
    saga = Saga(type=type_, state="running", resource_id=resource_id,
                current_step=REGISTRY[type_].steps[0].name, payload=payload, steps=[],
                attempts=0, next_attempt_at=now, created_by=actor, created_at=now,
                updated_at=now)
    SAGAS.labels(type_, "running").inc()
    return saga


def _log(saga: Saga, step: str, phase: str, status: str, detail: str | None = None) -> None:
    entries = list(saga.steps or [])
    entry = {"step": step, "phase": phase, "status": status, "at": utcnow().isoformat(),
             "detail": detail}
    last = entries[-1] if entries else None
    if last and status == "waiting" and (last["step"], last["phase"], last["status"]) == (
        step, phase, status
    ):
        entries[-1] = entry | {"since": last.get("since", last["at"])}
    else:
        entries.append(entry)
    saga.steps = entries


def _done_steps(saga: Saga) -> list[str]:
    return [e["step"] for e in saga.steps or [] if e["phase"] == "run" and e["status"] == "done"]


def _backoff(settings: Any, attempts: int) -> timedelta:
    seconds = min(settings.SAGA_RETRY_MAX_SECONDS,
                  settings.SAGA_RETRY_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return timedelta(seconds=seconds)


def _finish(saga: Saga, state: str, now: datetime) -> None:
    saga.state = state
    saga.current_step = None
    saga.completed_at = now
    SAGAS.labels(saga.type, state).inc()
    log.info("saga.finished", saga_id=str(saga.id), type=saga.type, state=state,
             error=saga.error)


def _start_compensation(saga: Saga, definition: SagaType, failed_step: str, error: str) -> None:
    saga.error = error[:2000]
    done = _done_steps(saga)
    # The failed step may have half-happened: its compensation runs first (they are idempotent).
    pending = [name for name in [failed_step, *reversed(done)]
               if definition.by_name[name].compensate is not None]
    now = utcnow()
    saga.payload = dict(saga.payload, compensations=pending)
    saga.attempts = 0
    saga.next_attempt_at = now
    if not pending:
        _finish(saga, "compensated", now)
        return
    saga.state = "compensating"
    saga.current_step = pending[0]
    SAGAS.labels(saga.type, "compensating").inc()
    log.warning("saga.compensating", saga_id=str(saga.id), type=saga.type, failed=failed_step,
                error=error)


async def advance(ctx: StepContext) -> str | None:
    """Run the saga's current step (or compensation) once. Returns the name of the step that
    finished, for the test crash hook."""
    saga = ctx.saga
    definition = REGISTRY[saga.type]
    if saga.state == "running":
        return await _run_step(ctx, definition)
    return await _run_compensation(ctx, definition)


async def _run_step(ctx: StepContext, definition: SagaType) -> str | None:
    saga, settings = ctx.saga, ctx.settings
    name = saga.current_step or definition.steps[0].name
    step = definition.by_name[name]
    now = utcnow()
    try:
        outcome = await step.run(ctx)
    except Fail as exc:
        saga.payload = ctx.payload
        _log(saga, name, "run", "failed", str(exc))
        if step.forward_only:
            saga.error = f"{name}: {exc}"[:2000]
            _finish(saga, "failed", now)
        else:
            _start_compensation(saga, definition, name, f"{name}: {exc}")
        return None
    except (Retry, *TRANSIENT, SERejected) as exc:
        saga.payload = ctx.payload
        if isinstance(exc, SERejected) and not is_transient_rejection(exc):
            _log(saga, name, "run", "failed", str(exc))
            if step.forward_only:
                saga.error = f"{name}: {exc}"[:2000]
                _finish(saga, "failed", now)
            else:
                _start_compensation(saga, definition, name, f"{name}: {exc}")
            return None
        saga.attempts += 1
        saga.error = f"{name}: {type(exc).__name__}: {exc}"[:2000]
        _log(saga, name, "run", "retry", saga.error)
        if saga.attempts >= settings.SAGA_MAX_ATTEMPTS and not step.forward_only:
            _start_compensation(saga, definition, name, f"gave up after {saga.attempts} "
                                                        f"attempts: {saga.error}")
        else:
            saga.next_attempt_at = now + _backoff(settings, saga.attempts)
        log.warning("saga.step_retry", saga_id=str(saga.id), step=name, attempts=saga.attempts,
                    error=saga.error)
        return None
    saga.payload = ctx.payload
    if isinstance(outcome, Wait):
        _log(saga, name, "run", "waiting", outcome.note)
        saga.next_attempt_at = now + timedelta(seconds=outcome.seconds)
        return None
    _log(saga, name, "run", "done", outcome.note if isinstance(outcome, Done) else None)
    saga.attempts = 0
    saga.error = None
    saga.next_attempt_at = now
    following = definition.after(name)
    if following is None:
        _finish(saga, "completed", now)
    else:
        saga.current_step = following
    log.info("saga.step_done", saga_id=str(saga.id), type=saga.type, step=name)
    return name


async def _run_compensation(ctx: StepContext, definition: SagaType) -> str | None:
    saga, settings = ctx.saga, ctx.settings
    name = saga.current_step
    assert name is not None
    step = definition.by_name[name]
    now = utcnow()
    try:
        assert step.compensate is not None
        await step.compensate(ctx)
    except Exception as exc:
        saga.payload = ctx.payload
        saga.attempts += 1
        detail = f"compensate {name}: {type(exc).__name__}: {exc}"[:2000]
        _log(saga, name, "compensate", "retry", detail)
        if saga.attempts >= settings.SAGA_MAX_ATTEMPTS:
            saga.error = f"{saga.error} | {detail}"[:2000]
            _finish(saga, "failed", now)
        else:
            saga.next_attempt_at = now + _backoff(settings, saga.attempts)
        return None
    saga.payload = ctx.payload
    _log(saga, name, "compensate", "done")
    pending = [n for n in saga.payload.get("compensations", []) if n != name]
    saga.payload = dict(saga.payload, compensations=pending)
    saga.attempts = 0
    saga.next_attempt_at = now
    if pending:
        saga.current_step = pending[0]
    else:
        _finish(saga, "compensated", now)
    return f"compensate:{name}"
