"""Parsing of token requests (RFC 6749 form, HTTP Basic, JSON)."""

from __future__ import annotations

import base64

import pytest

from admin_module.auth.parsing import parse_token_request
from admin_module.errors import OAuthError

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def basic(cid: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()


def test_form_with_body_credentials():
    req = parse_token_request(FORM, b"grant_type=client_credentials&client_id=a&client_secret=b",
                              None)
    assert (req.client_id, req.client_secret, req.basic_auth) == ("a", "b", False)


def test_form_with_basic_credentials_and_urlencoded_parts():
    req = parse_token_request(f"{FORM}; charset=utf-8", b"grant_type=client_credentials",
                              basic("my%3Aclient", "p%40ss+word"))
    assert (req.client_id, req.client_secret, req.basic_auth) == ("my:client", "p@ss word", True)


def test_json_defaults_grant_type():
    req = parse_token_request(JSON, b'{"client_id": "a", "client_secret": "b"}', None)
    assert req.grant_type == "client_credentials" and req.scope is None


def test_scope_is_passed_through():
    req = parse_token_request(
        FORM, b"grant_type=client_credentials&client_id=a&client_secret=b&scope=files:read", None)
    assert req.scope == "files:read"


@pytest.mark.parametrize(("ctype", "body", "auth", "error"), [
    (FORM, b"grant_type=password&client_id=a&client_secret=b", None, "unsupported_grant_type"),
    (FORM, b"client_id=a&client_secret=b", None, "invalid_request"),
    (FORM, b"grant_type=client_credentials", None, "invalid_request"),
    (FORM, b"grant_type=client_credentials&grant_type=client_credentials", None,
     "invalid_request"),
    (FORM, b"\xff\xfe", None, "invalid_request"),
    (JSON, b"{", None, "invalid_request"),
    (JSON, b"null", None, "invalid_request"),
    (JSON, b'{"client_id": ["a"], "client_secret": "b"}', None, "invalid_request"),
    (JSON, b'{"client_id": "a", "client_secret": "b", "extra": 1}', None, "invalid_request"),
    (JSON, b'{"client_id": "' + b"a" * 65 + b'", "client_secret": "b"}', None,
     "invalid_request"),
    (JSON, b'{"client_id": "a", "client_secret": "' + b"s" * 257 + b'"}', None,
     "invalid_request"),
    ("text/plain", b"x", None, "invalid_request"),
    (None, b"", None, "invalid_request"),
    (FORM, b"grant_type=client_credentials&client_secret=x", basic("a", "b"), "invalid_request"),
    (FORM, b"grant_type=client_credentials&client_id=other", basic("a", "b"), "invalid_request"),
    (FORM, b"grant_type=client_credentials", "Basic !!!notbase64", "invalid_client"),
    (FORM, b"grant_type=client_credentials", "Basic " + base64.b64encode(b"nocolon").decode(),
     "invalid_client"),
    (JSON, b'{"client_id": "a"}' + b" " * 9000, None, "invalid_request"),
])
def test_bad_requests(ctype, body, auth, error):
    with pytest.raises(OAuthError) as info:
        parse_token_request(ctype, body, auth)
    assert info.value.error == error
    assert info.value.body() == {"error": error, "error_description": info.value.description}
    assert info.value.status_code == (401 if error == "invalid_client" else 400)


# issue 14: values PostgreSQL cannot hold are an invalid_request, in every carrier -----------
@pytest.mark.parametrize("content_type,body,authorization", [
    (FORM, b"grant_type=client_credentials&client_id=a%00b&client_secret=s", None),
    (FORM, b"grant_type=client_credentials&client_id=a&client_secret=s%00", None),
    (JSON, b'{"client_id": "a\\u0000b", "client_secret": "s"}', None),
    (JSON, b'{"client_id": "a\\ud800", "client_secret": "s"}', None),
    (JSON, b'{"client_id": "a", "client_secret": "s", "scope": "x\\u0000"}', None),
    (FORM, b"grant_type=client_credentials", basic("a%00b", "s")),
])
def test_unstorable_credentials_are_invalid_request(content_type, body, authorization):
    with pytest.raises(OAuthError) as caught:
        parse_token_request(content_type, body, authorization)
    assert (caught.value.error, caught.value.status_code) == ("invalid_request", 400)
