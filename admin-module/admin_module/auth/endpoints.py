from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from admin_module.auth.parsing import MAX_BODY_BYTES, parse_token_request
from admin_module.auth.service import TokenIssuer
from admin_module.errors import OAuthError
from admin_module.metrics import TOKEN_FAILURES
from artstore_common.app import from_state

router = APIRouter(prefix="/auth", tags=["auth"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def _read_body(request: Request) -> bytes:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise OAuthError("invalid_request", "The request body is too large", 400)
    return bytes(body)


_FIELDS = {
    "grant_type": {"type": "string", "enum": ["client_credentials"]},
    "client_id": {"type": "string", "maxLength": 64},
    "client_secret": {"type": "string", "maxLength": 256},
    "scope": {"type": "string", "description": "space-separated; narrows the role's scopes"},
}
_OAUTH_ERROR = {"content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": {"type": "string"},
                                     "error_description": {"type": "string"}}}}}}


@router.post(
    "/token",
    summary="OAuth 2.0 client credentials grant",
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object", "properties": {
            "access_token": {"type": "string"}, "token_type": {"type": "string"},
            "expires_in": {"type": "integer"}, "scope": {"type": "string"}}}}}},
        400: {"description": "invalid_request / unsupported_grant_type / invalid_scope",
              **_OAUTH_ERROR},
        401: {"description": "invalid_client", **_OAUTH_ERROR},
        403: {"description": "unauthorized_client (suspended)", **_OAUTH_ERROR},
        429: {"description": "rate_limited (Retry-After)", **_OAUTH_ERROR},
    },
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": _FIELDS, "required": ["grant_type"]}},
        "application/json": {"schema": {
            "type": "object", "properties": _FIELDS, "additionalProperties": False,
            "required": ["client_id", "client_secret"]}},
    }}},
)
async def token(
    request: Request,
    issuer: Annotated[TokenIssuer, Depends(from_state("token_issuer"))],
) -> JSONResponse:
    """Form (`grant_type=client_credentials`, credentials in the body or HTTP Basic) or JSON
    `{"client_id", "client_secret"}`. Errors use the RFC 6749 shape."""
    try:
        try:
            body = await _read_body(request)
            req = parse_token_request(
                request.headers.get("content-type"), body, request.headers.get("authorization")
            )
        except OAuthError as exc:
            TOKEN_FAILURES.labels(exc.reason).inc()
            raise
        issued = await issuer.issue(req, request.client.host if request.client else "unknown")
    except OAuthError as exc:
        return JSONResponse(exc.body(), status_code=exc.status_code,
                            headers={**_NO_STORE, **exc.headers})
    return JSONResponse(
        {"access_token": issued.access_token, "token_type": "Bearer",
         "expires_in": issued.expires_in, "scope": issued.scope},
        headers=_NO_STORE,
    )
