"""``/health/live`` (the process is up) and ``/health/ready`` (named dependency checks).

A check is an async callable returning ``None``/a detail string when healthy, or raising.
Critical checks failing → ``fail`` (503); non-critical failing → ``degraded`` (200).
A check may also return ``CheckResult`` to report ``degraded`` itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

Status = Literal["ok", "degraded", "fail"]


@dataclass
class CheckResult:
    status: Status = "ok"
    detail: Any = None


@dataclass
class HealthCheck:
    name: str
    probe: Callable[[], Awaitable[Any]]
    critical: bool = True
    timeout: float = 3.0


async def _run(check: HealthCheck) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        outcome = await asyncio.wait_for(check.probe(), timeout=check.timeout)
        if isinstance(outcome, CheckResult):
            status, detail = outcome.status, outcome.detail
        else:
            status, detail = "ok", outcome
    except TimeoutError:
        status, detail = ("fail" if check.critical else "degraded"), "timed out"
    except Exception as exc:
        status, detail = ("fail" if check.critical else "degraded"), f"{type(exc).__name__}: {exc}"
    if status == "fail" and not check.critical:
        status = "degraded"
    result: dict[str, Any] = {
        "status": status,
        "critical": check.critical,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
    }
    if detail is not None:
        result["detail"] = detail
    return result


def build_health_router(service: str, version: str, checks: list[HealthCheck]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/health/live")
    async def live() -> dict[str, Any]:
        return {"status": "ok", "service": service, "version": version}

    @router.get("/health/ready")
    async def ready() -> JSONResponse:
        results = await asyncio.gather(*(_run(c) for c in checks))
        by_name = {c.name: r for c, r in zip(checks, results, strict=True)}
        statuses = {r["status"] for r in results}
        overall: Status = (
            "fail" if "fail" in statuses else "degraded" if "degraded" in statuses else "ok"
        )
        body = {"status": overall, "service": service, "version": version, "checks": by_name}
        return JSONResponse(body, status_code=503 if overall == "fail" else 200)

    return router
