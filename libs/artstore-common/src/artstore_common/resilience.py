"""Circuit breakers, retries and HTTP client helpers for calls between services.

``BreakerRegistry`` keeps one pybreaker breaker per target (a storage element id, a base URL)
and drives it from async code: pybreaker's own async support needs Tornado, so admission and
outcome are applied around the awaited call here, using pybreaker's public state API. Only
transport failures, timeouts and 5xx answers count as failures; a 4xx is the caller's mistake
and says nothing about the target's health. State is exported as
``artstore_circuit_breaker_state{service,target}`` (0 closed, 1 half-open, 2 open).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import anyio
import httpcore
import httpx
import pybreaker
import structlog
from prometheus_client import Gauge
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from artstore_common.errors import ServiceUnavailable

log = structlog.get_logger("artstore.resilience")

T = TypeVar("T")

BREAKER_STATE = Gauge(
    "artstore_circuit_breaker_state",
    "Circuit breaker state per target: 0 closed, 1 half-open, 2 open",
    ["service", "target"],
)
# 507 Insufficient Storage is a healthy target saying it is full: try another, keep the breaker.
NOT_FAILURES = frozenset({507})
_STATE_VALUE = {pybreaker.STATE_CLOSED: 0, pybreaker.STATE_HALF_OPEN: 1, pybreaker.STATE_OPEN: 2}


class CircuitOpenError(ServiceUnavailable):
    status_code, code, message = 503, "UPSTREAM_UNAVAILABLE", "The upstream service is unavailable"


class UpstreamServerError(Exception):
    """The target answered with a 5xx: counts against its breaker."""

    def __init__(self, target: str, status_code: int, body: str = "") -> None:
        super().__init__(f"{target} answered {status_code}")
        self.target = target
        self.status_code = status_code
        self.body = body[:500]


def is_failure(exc: BaseException) -> bool:
    """Whether an exception says something about the target's health."""
    return isinstance(
        exc, httpx.TransportError | TimeoutError | ConnectionError | UpstreamServerError
    )


class _GaugeListener(pybreaker.CircuitBreakerListener):
    def __init__(self, service: str) -> None:
        self.service = service

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        target = cb.name or "?"
        BREAKER_STATE.labels(self.service, target).set(_STATE_VALUE.get(new_state.name, 0))
        log.warning(
            "circuit_breaker.state_changed",
            service=self.service,
            target=target,
            old=getattr(old_state, "name", None),
            new=new_state.name,
        )


class _Entry:
    def __init__(self, breaker: pybreaker.CircuitBreaker, storage: Any) -> None:
        self.breaker = breaker
        self.storage = storage
        self.trial_in_flight = False


class BreakerRegistry:
    """One breaker per target, created on first use; safe to read from any thread."""

    def __init__(
        self,
        service: str,
        *,
        fail_max: int = 5,
        reset_timeout: float = 30.0,
        timeout: float = 10.0,
    ) -> None:
        self.service = service
        self.fail_max = fail_max
        self.reset_timeout = reset_timeout
        self.timeout = timeout
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self._listener = _GaugeListener(service)

    def _entry(self, target: str) -> _Entry:
        with self._lock:
            entry = self._entries.get(target)
            if entry is None:
                storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
                breaker = pybreaker.CircuitBreaker(
                    fail_max=self.fail_max,
                    reset_timeout=self.reset_timeout,
                    listeners=[self._listener],
                    state_storage=storage,
                    name=target,
                    throw_new_error_on_trip=False,
                )
                entry = self._entries[target] = _Entry(breaker, storage)
                BREAKER_STATE.labels(self.service, target).set(0)
            return entry

    def breaker(self, target: str) -> pybreaker.CircuitBreaker:
        return self._entry(target).breaker

    def state(self, target: str) -> str:
        """``closed``, ``half-open`` or ``open`` (open only while the reset timeout runs)."""
        if target not in self._entries:
            return pybreaker.STATE_CLOSED
        return self._entries[target].breaker.current_state

    def is_open(self, target: str) -> bool:
        """True while calls to ``target`` are refused; False once a trial call may go through."""
        entry = self._entries.get(target)
        if entry is None or entry.breaker.current_state != pybreaker.STATE_OPEN:
            return False
        return not self._reset_elapsed(entry)

    def states(self) -> dict[str, str]:
        return {target: entry.breaker.current_state for target, entry in self._entries.items()}

    def _reset_elapsed(self, entry: _Entry) -> bool:
        opened_at = entry.storage.opened_at
        return opened_at is None or datetime.now(UTC) >= opened_at + timedelta(
            seconds=entry.breaker.reset_timeout
        )

    def _admit(self, target: str) -> tuple[_Entry, bool]:
        entry = self._entry(target)
        breaker = entry.breaker
        with self._lock:
            state = breaker.current_state
            if state == pybreaker.STATE_OPEN:
                if not self._reset_elapsed(entry):
                    raise CircuitOpenError(details={"target": target, "breaker": "open"})
                breaker.half_open()
                state = pybreaker.STATE_HALF_OPEN
            if state == pybreaker.STATE_HALF_OPEN:
                if entry.trial_in_flight:
                    raise CircuitOpenError(details={"target": target, "breaker": "half-open"})
                entry.trial_in_flight = True
                return entry, True
        return entry, False

    @staticmethod
    def _record(entry: _Entry, exc: BaseException | None) -> None:
        def fail() -> None:
            assert exc is not None
            raise exc

        try:
            entry.breaker.call(fail if exc is not None else (lambda: None))
        except pybreaker.CircuitBreakerError:
            pass  # another call opened it meanwhile; the outcome changes nothing
        except BaseException as raised:
            if raised is not exc:
                raise

    @asynccontextmanager
    async def guard(self, target: str, *, time_limit: float | None = None) -> AsyncIterator[None]:
        """Run the block under ``target``'s breaker with a timeout.

        Raises ``CircuitOpenError`` without running the block while the breaker is open.
        """
        entry, trial = self._admit(target)
        try:
            with anyio.fail_after(time_limit if time_limit is not None else self.timeout):
                yield
        except BaseException as exc:
            if is_failure(exc):
                self._record(entry, exc)
            raise
        else:
            self._record(entry, None)
        finally:
            if trial:
                entry.trial_in_flight = False

    async def call(
        self,
        target: str,
        fn: Callable[..., Awaitable[T]],
        *args: Any,
        time_limit: float | None = None,
        **kwargs: Any,
    ) -> T:
        async with self.guard(target, time_limit=time_limit):
            return await fn(*args, **kwargs)


def retrying(
    *,
    attempts: int = 3,
    initial: float = 0.2,
    maximum: float = 5.0,
    retry_on: Callable[[BaseException], bool] = is_failure,
) -> AsyncRetrying:
    """``async for attempt in retrying(): with attempt: ...`` — exponential backoff with
    jitter, retrying only failures that may pass (never an open breaker or a 4xx)."""
    return AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial),
        retry=retry_if_exception(retry_on),
        reraise=True,
    )


# httpcore reads a body 64 KiB at a time, and each read is a trip through httpcore, h11 and
# anyio (which also splits the larger pieces the socket delivers, copying the rest). Reading up
# to 1 MiB takes each piece whole: a 1 GiB relay (query download, ingester SE → SE copy) makes a
# few thousand trips, not 16,384. A read returns what has arrived, so small answers are unaffected.
httpcore.AsyncHTTP11Connection.READ_NUM_BYTES = 1024 * 1024


def build_async_client(
    *,
    timeout: float = 10.0,
    connect_timeout: float = 3.0,
    verify: Any = True,
    max_connections: int = 100,
    headers: dict[str, str] | None = None,
    base_url: str = "",
) -> httpx.AsyncClient:
    """An httpx client with explicit timeouts and pool limits (never the unbounded default)."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=20),
        verify=verify,
        headers=headers,
    )
