"""The one error shape: ``{"error": {"code", "message", "details"}}``.

Expected failures are typed subclasses of ``ArtStoreError``; one handler renders them.
Anything else is a bug and becomes a 500 with a generic message (details go to the log).
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException

log = structlog.get_logger("artstore.errors")


class ArtStoreError(Exception):
    status_code: int = 400
    code: str = "BAD_REQUEST"
    message: str = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: dict[str, Any] | None = None,
        code: str | None = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.details = details or {}
        self.headers = headers
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        super().__init__(self.message)


class BadRequest(ArtStoreError):
    status_code, code, message = 400, "BAD_REQUEST", "Bad request"


class Unauthorized(ArtStoreError):
    status_code, code, message = 401, "UNAUTHORIZED", "Authentication required"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(message, **kwargs)


class Forbidden(ArtStoreError):
    status_code, code, message = 403, "FORBIDDEN", "Not allowed"


class NotFound(ArtStoreError):
    status_code, code, message = 404, "NOT_FOUND", "Not found"


class Conflict(ArtStoreError):
    status_code, code, message = 409, "CONFLICT", "Conflict"


class ValidationFailed(ArtStoreError):
    status_code, code, message = 422, "VALIDATION_ERROR", "Invalid input"


class TooManyRequests(ArtStoreError):
    status_code, code, message = 429, "RATE_LIMITED", "Too many requests"

    def __init__(self, retry_after: int, message: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(max(1, int(retry_after)))})
        kwargs.setdefault("details", {"retry_after": max(1, int(retry_after))})
        super().__init__(message, **kwargs)


class ServiceUnavailable(ArtStoreError):
    status_code, code, message = 503, "SERVICE_UNAVAILABLE", "Service unavailable"


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(
    status_code: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, details), status_code=status_code, headers=headers
    )


_STATUS_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    409: "CONFLICT",
    411: "LENGTH_REQUIRED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    416: "RANGE_NOT_SATISFIABLE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMITED",
}


def _jsonable_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cleaned = []
    for err in errors:
        item = {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type")}
        cleaned.append(item)
    return cleaned


async def _artstore_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ArtStoreError)
    return error_response(exc.status_code, exc.code, exc.message, exc.details, exc.headers)


async def _validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(
        422, "VALIDATION_ERROR", "Request validation failed",
        {"errors": _jsonable_errors(list(exc.errors()))},
    )


async def _http_exception_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _STATUS_CODES.get(exc.status_code, "HTTP_ERROR")
    try:
        default_message = HTTPStatus(exc.status_code).phrase
    except ValueError:
        default_message = "HTTP error"
    message = exc.detail if isinstance(exc.detail, str) else default_message
    headers = getattr(exc, "headers", None)
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    return error_response(exc.status_code, code, message, None, headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method any route serves at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(request.url.path):
            methods |= set(route.methods or ())
    return sorted(methods)


def _is_unstorable_value(exc: BaseException | None) -> bool:
    """A database driver refusing a value: SQLSTATE class 22 (data exception) from PostgreSQL
    or asyncpg's own encoding refusal (a ValueError such as an int beyond BIGINT)."""
    seen = 0
    while exc is not None and seen < 10:
        if str(getattr(exc, "sqlstate", "") or "").startswith("22"):
            return True
        if type(exc).__module__.startswith("asyncpg") and isinstance(exc, ValueError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


async def _unhandled_error_handler(request: Request, exc: Exception) -> JSONResponse:
    if _is_unstorable_value(exc):
        # Safety net behind the input rules of artstore_common.validation: still a client error.
        log.warning("request.unstorable_value", path=request.url.path, error=str(exc)[:200])
        return error_response(422, "VALIDATION_ERROR",
                              "A value is out of range or is not storable text")
    log.error("request.unhandled_error", path=request.url.path, exc_info=exc)
    return error_response(500, "INTERNAL_ERROR", "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ArtStoreError, _artstore_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(Exception, _unhandled_error_handler)
