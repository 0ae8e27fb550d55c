"""Reading a token request: RFC 6749 form (credentials in the body or HTTP Basic) or JSON.

Pure functions over the raw request parts, so every malformed variant is unit-testable.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_plus

from admin_module.errors import OAuthError
from artstore_common.validation import text_problem

MAX_BODY_BYTES = 8192
MAX_CLIENT_ID = 64
MAX_SECRET = 256
MAX_SCOPE = 512
JSON_FIELDS = {"grant_type", "client_id", "client_secret", "scope"}


@dataclass(frozen=True)
class TokenRequest:
    grant_type: str
    client_id: str
    client_secret: str
    scope: str | None
    basic_auth: bool


def _invalid(description: str) -> OAuthError:
    return OAuthError("invalid_request", description, 400, reason="invalid_request")


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", "Malformed HTTP Basic credentials", 401,
                         {"WWW-Authenticate": 'Basic realm="artstore"'},
                         reason="malformed_basic") from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "Malformed HTTP Basic credentials", 401,
                         {"WWW-Authenticate": 'Basic realm="artstore"'}, reason="malformed_basic")
    return unquote_plus(client_id), unquote_plus(secret)


def _form_fields(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _invalid("The form body is malformed") from exc
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise _invalid(f"Parameter '{key}' is repeated")
        fields[key] = value
    return fields


def _json_fields(body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _invalid("The JSON body is malformed") from exc
    if not isinstance(data, dict):
        raise _invalid("The JSON body must be an object")
    unknown = set(data) - JSON_FIELDS
    if unknown:
        raise _invalid(f"Unknown field(s): {', '.join(sorted(unknown))}")
    fields: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            continue
        if not isinstance(value, str):
            raise _invalid(f"'{key}' must be a string")
        fields[key] = value
    fields.setdefault("grant_type", "client_credentials")
    return fields


def parse_token_request(
    content_type: str | None, body: bytes, authorization: str | None
) -> TokenRequest:
    if len(body) > MAX_BODY_BYTES:
        raise _invalid("The request body is too large")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        fields = _form_fields(body)
    elif media == "application/json":
        fields = _json_fields(body)
    else:
        raise _invalid("Use application/x-www-form-urlencoded or application/json")

    grant_type = fields.get("grant_type")
    if not grant_type:
        raise _invalid("grant_type is required")
    if grant_type != "client_credentials":
        raise OAuthError("unsupported_grant_type",
                         "Only the client_credentials grant is supported", 400,
                         reason="unsupported_grant_type")

    basic = _basic_credentials(authorization)
    in_body = "client_id" in fields or "client_secret" in fields
    if basic and "client_secret" in fields:
        raise _invalid("Send client credentials either in the body or with HTTP Basic, not both")
    if basic:
        client_id, secret = basic
        if in_body and fields.get("client_id") not in (None, client_id):
            raise _invalid("client_id in the body does not match HTTP Basic")
    else:
        client_id, secret = fields.get("client_id", ""), fields.get("client_secret", "")
    if not client_id or not secret:
        raise _invalid("client_id and client_secret are required")
    if len(client_id) > MAX_CLIENT_ID or len(secret) > MAX_SECRET:
        raise _invalid("client_id or client_secret is too long")
    scope = fields.get("scope")
    if scope is not None and len(scope) > MAX_SCOPE:
        raise _invalid("scope is too long")
    for name, value in (("client_id", client_id), ("client_secret", secret), ("scope", scope)):
        problem = text_problem(value or "")
        if problem:
            raise _invalid(f"{name} {problem}")
    return TokenRequest(grant_type, client_id, secret, scope or None, basic is not None)
