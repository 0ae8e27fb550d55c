"""Circuit breaker registry and retry helper (the guarded SE client: test_se_client.py)."""

import anyio
import httpx
import pytest
from prometheus_client import REGISTRY

from artstore_common.resilience import (
    BreakerRegistry,
    CircuitOpenError,
    retrying,
)


def gauge(service: str, target: str) -> float | None:
    return REGISTRY.get_sample_value(
        "artstore_circuit_breaker_state", {"service": service, "target": target}
    )


async def refuse() -> None:
    raise httpx.ConnectError("refused")


async def ok() -> str:
    return "ok"


class TestBreakerRegistry:
    async def test_opens_after_fail_max_and_refuses_without_calling(self):
        breakers = BreakerRegistry("unit-a", fail_max=3, reset_timeout=60)
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                await breakers.call("se-1", refuse)
        assert breakers.is_open("se-1")
        calls = []

        async def counted() -> None:
            calls.append(1)

        with pytest.raises(CircuitOpenError) as info:
            await breakers.call("se-1", counted)
        assert calls == []
        assert info.value.status_code == 503
        assert gauge("unit-a", "se-1") == 2
        assert not breakers.is_open("se-2")

    async def test_client_errors_do_not_count(self):
        breakers = BreakerRegistry("unit-b", fail_max=2, reset_timeout=60)

        async def bad_input() -> None:
            raise ValueError("caller's mistake")

        for _ in range(5):
            with pytest.raises(ValueError):
                await breakers.call("se-1", bad_input)
        assert breakers.state("se-1") == "closed"

    async def test_success_resets_the_failure_count(self):
        breakers = BreakerRegistry("unit-c", fail_max=2, reset_timeout=60)
        for _ in range(3):
            with pytest.raises(httpx.ConnectError):
                await breakers.call("se-1", refuse)
            assert await breakers.call("se-1", ok) == "ok"
        assert breakers.state("se-1") == "closed"

    async def test_timeout_counts_as_failure(self):
        breakers = BreakerRegistry("unit-d", fail_max=1, reset_timeout=60, timeout=0.05)
        with pytest.raises(TimeoutError):
            await breakers.call("se-1", anyio.sleep, 5)
        assert breakers.is_open("se-1")

    async def test_trial_after_reset_timeout_closes_on_success(self):
        breakers = BreakerRegistry("unit-e", fail_max=1, reset_timeout=0.05)
        with pytest.raises(httpx.ConnectError):
            await breakers.call("se-1", refuse)
        assert breakers.is_open("se-1")
        await anyio.sleep(0.1)
        assert not breakers.is_open("se-1")  # placement may try it again
        assert await breakers.call("se-1", ok) == "ok"
        assert breakers.state("se-1") == "closed"
        assert gauge("unit-e", "se-1") == 0

    async def test_trial_failure_opens_again(self):
        breakers = BreakerRegistry("unit-f", fail_max=1, reset_timeout=0.05)
        with pytest.raises(httpx.ConnectError):
            await breakers.call("se-1", refuse)
        await anyio.sleep(0.1)
        with pytest.raises(httpx.ConnectError):
            await breakers.call("se-1", refuse)
        assert breakers.is_open("se-1")
        assert gauge("unit-f", "se-1") == 2

    async def test_only_one_trial_at_a_time_while_half_open(self):
        breakers = BreakerRegistry("unit-g", fail_max=1, reset_timeout=0.05)
        with pytest.raises(httpx.ConnectError):
            await breakers.call("se-1", refuse)
        await anyio.sleep(0.1)
        release = anyio.Event()
        entered = anyio.Event()

        async def slow_trial() -> str:
            entered.set()
            await release.wait()
            return "done"

        results: list[str] = []
        async with anyio.create_task_group() as tg:
            async def run_trial() -> None:
                results.append(await breakers.call("se-1", slow_trial))

            tg.start_soon(run_trial)
            await entered.wait()
            assert breakers.state("se-1") == "half-open"
            assert gauge("unit-g", "se-1") == 1
            with pytest.raises(CircuitOpenError):
                await breakers.call("se-1", ok)
            release.set()
        assert results == ["done"]
        assert breakers.state("se-1") == "closed"


class TestRetrying:
    async def test_retries_transport_failures_then_succeeds(self):
        attempts = []

        async def flaky() -> str:
            attempts.append(1)
            if len(attempts) < 3:
                raise httpx.ConnectError("refused")
            return "ok"

        async for attempt in retrying(attempts=3, initial=0.01, maximum=0.02):
            with attempt:
                result = await flaky()
        assert result == "ok" and len(attempts) == 3

    async def test_does_not_retry_an_open_breaker_or_a_caller_mistake(self):
        for error in (CircuitOpenError(), ValueError("bad")):
            attempts = []
            with pytest.raises(type(error)):
                async for attempt in retrying(attempts=5, initial=0.01):
                    with attempt:
                        attempts.append(1)
                        raise error
            assert len(attempts) == 1
