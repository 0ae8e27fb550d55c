"""The OpenAPI document every service serves: the bearer scheme, each operation's required
scopes (``x-required-scopes``, read from its ``require_scopes`` dependency) and the SPEC §2
error shape on the error responses, added once here instead of per endpoint."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import iter_route_contexts

AUTH_ATTRIBUTE = "__artstore_auth__"  # set on auth dependencies: {"scopes": [...], ...}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "object"},
            },
        }
    },
}

_ERRORS = {
    "401": "Missing, malformed, expired or unverifiable bearer token",
    "403": "The token does not grant the required scope",
    "404": "Not found",
    "409": "Conflict with the current state",
    "422": "Invalid input",
    "4XX": "Other client errors (400, 405, 413, 415, 416, 429, ...)",
}


def route_auth(dependant: Dependant) -> dict[str, Any] | None:
    """The auth requirement of a route, or None when it needs no token."""
    stack = [dependant]
    while stack:
        current = stack.pop()
        marker = getattr(current.call, AUTH_ATTRIBUTE, None)
        if marker is not None:
            return marker
        stack.extend(current.dependencies)
    return None


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                         description=app.description)
    components = schema.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    components.setdefault("securitySchemes", {})["bearerAuth"] = {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    auth = {(method.lower(), route.path_format): route_auth(route.dependant)
            for route in iter_route_contexts(app.routes)
            if getattr(route, "dependant", None) is not None for method in route.methods or ()}
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            marker = auth.get((method, path))
            if marker is not None:
                operation["security"] = [{"bearerAuth": []}]
                operation["x-required-scopes"] = list(marker.get("scopes", []))
                if marker.get("principal_type"):
                    operation["x-principal-type"] = marker["principal_type"]
            for status, description in _ERRORS.items():
                if status in ("401", "403") and marker is None:
                    continue
                current = responses.get(status)
                # FastAPI's own 422 describes its validation body, not the one we send.
                if current is None or "HTTPValidationError" in str(current):
                    responses[status] = _error_response(description)
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)
    return schema


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
