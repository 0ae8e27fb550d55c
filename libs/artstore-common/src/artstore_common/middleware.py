"""Pure-ASGI middleware: request context (request id, access log line) and HTTP metrics."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from artstore_common.errors import error_body

log = structlog.get_logger("artstore.http")

HTTP_REQUESTS = Counter(
    "artstore_http_requests_total",
    "HTTP requests by route template and status",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "artstore_http_request_duration_seconds",
    "HTTP request duration by route template",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
HTTP_IN_PROGRESS = Gauge(
    "artstore_http_requests_in_progress", "HTTP requests being served", ["service", "method"]
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_QUIET_PATHS = ("/health/", "/metrics")


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


class RequestContextMiddleware:
    """Binds a request id to the log context, echoes it back, and logs one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        status = {"code": 500}
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            if _nul_in_url(scope):
                await _send_error(send_with_id, 400, "BAD_REQUEST",
                                  "NUL characters are not allowed in the URL")
            else:
                await self.app(scope, receive, send_with_id)
        finally:
            path = scope.get("path", "")
            if not path.startswith(_QUIET_PATHS):
                log.info(
                    "http.request",
                    method=scope.get("method"),
                    route=_route_template(scope),
                    status=status["code"],
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )
            structlog.contextvars.clear_contextvars()


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET")
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        in_progress = HTTP_IN_PROGRESS.labels(self.service, method)
        in_progress.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            in_progress.dec()
            route = _route_template(scope)
            HTTP_REQUESTS.labels(self.service, method, route, str(status["code"])).inc()
            HTTP_DURATION.labels(self.service, method, route).observe(
                time.perf_counter() - started
            )


def _nul_in_url(scope: Scope) -> bool:
    # No store keeps U+0000; refusing it here covers every path and query parameter at once.
    raw = (scope.get("raw_path") or scope.get("path", "").encode()) + scope.get("query_string", b"")
    return b"\x00" in raw or b"%00" in raw


async def _send_error(send: Send, status: int, code: str, message: str) -> None:
    body = json.dumps(error_body(code, message)).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            try:
                return value.decode("latin-1")
            except Exception:  # pragma: no cover - latin-1 decodes every byte
                return None
    return None


def header(scope: dict[str, Any], name: str) -> str | None:
    return _header(scope, name.lower().encode())
