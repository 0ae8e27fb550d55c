"""Issue 14, "5xx on bad input": every hostile input an outside attack run answered with a
500 now gets a clear 4xx in the SPEC §2 error shape (the token endpoint: RFC 6749), against
the whole suite as real processes, and nothing is stored."""

from __future__ import annotations

import base64
import json
import socket
import uuid
from urllib.parse import urlsplit

import httpx
import pytest
from e2e_support import Api, assert_error

pytestmark = pytest.mark.e2e

HUGE = str(2**63)  # one past BIGINT
LIST_PATHS = ["/api/v1/audit", "/api/v1/service-accounts", "/api/v1/admin-users",
              "/api/v1/sagas", "/api/v1/storage-elements", "/api/v1/jwt-keys/history"]


def deep(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


@pytest.fixture(scope="module")
def se_url(suite_env) -> str:
    return suite_env["SE_URLS"].split(",")[0]  # the edit SE


@pytest.fixture(scope="module")
def stored(api) -> dict:
    response = api.upload("hostile.txt", b"hello world")
    assert response.status_code == 201, response.text
    return response.json()


def ingest(api: Api, metadata: str) -> httpx.Response:
    return httpx.post(api.env["INGESTER_URL"] + "/api/v1/files", headers=api.headers,
                      data={"metadata": metadata},
                      files={"file": ("m.txt", b"metadata", "text/plain")}, timeout=120)


def ingest_raw(api: Api, body: bytes, boundary: str) -> httpx.Response:
    return httpx.post(api.env["INGESTER_URL"] + "/api/v1/files", content=body, timeout=120,
                      headers={**api.headers,
                               "content-type": f"multipart/form-data; boundary={boundary}"})


def token_request(env: dict, **kwargs) -> httpx.Response:
    return httpx.post(env["ADMIN_URL"] + "/api/v1/auth/token", timeout=60, **kwargs)


def assert_oauth_invalid_request(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


# 1 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", LIST_PATHS)
def test_offset_beyond_bigint_is_422(api, path):
    response = api.admin("GET", path, params={"offset": HUGE})
    assert_error(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("value", ["false", "0.5", "-1"])
def test_offset_must_be_a_plain_integer(api, value):
    assert_error(api.admin("GET", "/api/v1/audit", params={"offset": value}), 422)


# 2 ---------------------------------------------------------------------------------------
def test_token_endpoint_nul_in_client_id_is_invalid_request(suite_env):
    secret = suite_env["ARTSTORE_CLIENT_SECRET"]
    assert_oauth_invalid_request(token_request(suite_env, data={
        "grant_type": "client_credentials", "client_id": "admin\x00x", "client_secret": secret}))
    assert_oauth_invalid_request(token_request(suite_env, json={
        "client_id": "admin\x00x", "client_secret": secret}))
    assert_oauth_invalid_request(token_request(
        suite_env, data={"grant_type": "client_credentials"}, auth=("admin\x00x", secret)))
    assert_oauth_invalid_request(token_request(
        suite_env, content=b'{"client_id": "a\\ud800", "client_secret": "x"}',
        headers={"content-type": "application/json"}))


# 3 ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["adm\x00in", "adm\ud800in"])
def test_admin_login_with_unstorable_username_is_422(suite_env, username):
    body = json.dumps({"username": username, "password": "whatever"}).encode()
    response = httpx.post(suite_env["ADMIN_URL"] + "/api/v1/admin-auth/login", content=body,
                          headers={"content-type": "application/json"}, timeout=60)
    assert_error(response, 422, "VALIDATION_ERROR")


# 4, 5 and the loose coercions --------------------------------------------------------------
@pytest.mark.parametrize("mode", ["fulltext", "partial", "exact"])
def test_search_with_nul_is_400(api, mode):
    response = httpx.get(api.env["QUERY_URL"] + "/api/v1/search", headers=api.headers,
                         params={"q": "inv\x00oice", "mode": mode}, timeout=60)
    assert_error(response, 400, "BAD_REQUEST")
    response = httpx.post(api.env["QUERY_URL"] + "/api/v1/search", headers=api.headers,
                          json={"q": "inv\x00oice", "mode": mode}, timeout=60)
    assert_error(response, 422, "VALIDATION_ERROR")


@pytest.mark.parametrize("field", ["size_min", "size_max"])
def test_search_size_beyond_bigint_is_422(api, field):
    url = api.env["QUERY_URL"] + "/api/v1/search"
    assert_error(httpx.get(url, headers=api.headers, params={field: HUGE}), 422)
    assert_error(httpx.post(url, headers=api.headers, json={field: 2**64}), 422)


@pytest.mark.parametrize("body", [{"offset": False}, {"limit": True}, {"offset": 2.0},
                                  {"expires_to": 0.5}, {"created_from": 1700000000},
                                  {"created_to": "1700000000"}])
def test_search_refuses_loose_coercions(api, body):
    url = api.env["QUERY_URL"] + "/api/v1/search"
    assert_error(httpx.post(url, headers=api.headers, json=body), 422, "VALIDATION_ERROR")
    params = {key: str(value).lower() for key, value in body.items()}
    assert_error(httpx.get(url, headers=api.headers, params=params), 422, "VALIDATION_ERROR")


# 6 ---------------------------------------------------------------------------------------
def test_range_with_thousands_of_digits(api, se_url, stored):
    file_id = stored["file_id"]
    huge = "9" * 5000
    response = httpx.get(f"{se_url}/api/v1/files/{file_id}/content", headers={
        **api.headers, "Range": f"bytes=0-{huge}"})
    assert response.status_code == 206 and response.content == b"hello world"
    response = httpx.get(f"{se_url}/api/v1/files/{file_id}/content", headers={
        **api.headers, "Range": f"bytes={huge}-"})
    assert_error(response, 416)
    response = httpx.get(f"{api.env['QUERY_URL']}/api/v1/files/{file_id}/download",
                         headers={**api.headers, "Range": f"bytes=0-{huge}"}, timeout=60)
    assert response.status_code == 206 and response.content == b"hello world"


# 7, 10 and NaN/Infinity ------------------------------------------------------------------
@pytest.mark.parametrize("metadata", [deep(300), deep(40), '{"a": "\\ud800"}', '{"a": NaN}',
                                      '{"a": Infinity}', '{"a": 1e999}', '{"a": "x\\u0000"}'])
def test_ingester_refuses_unstorable_metadata(api, metadata):
    before = api.search(q="m.txt", limit=1000)["total"]
    response = ingest(api, metadata)
    assert response.status_code in (413, 422), response.text
    assert_error(response, response.status_code)
    assert api.search(q="m.txt", limit=1000)["total"] == before


# 9 and filenames ---------------------------------------------------------------------------
def test_ingester_refuses_overlong_boundary(api):
    boundary = "b" * 300
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"'
            f"\r\n\r\nxx\r\n--{boundary}--\r\n").encode()
    assert_error(ingest_raw(api, body, boundary), 400, "MALFORMED_MULTIPART")


@pytest.mark.parametrize("filename", [b"\xff\xfe.txt", b"caf\xe9.txt"])
def test_ingester_refuses_filename_that_is_not_utf8(api, filename):
    body = (b'--bnd\r\nContent-Disposition: form-data; name="file"; filename="' + filename
            + b'"\r\n\r\nxx\r\n--bnd--\r\n')
    assert_error(ingest_raw(api, body, "bnd"), 400, "MALFORMED_MULTIPART")


def test_ingester_refuses_filename_star_in_other_charsets(api):
    body = (b"--bnd\r\nContent-Disposition: form-data; name=\"file\"; "
            b"filename*=nonsense''a%FF.txt\r\n\r\nxx\r\n--bnd--\r\n")
    assert_error(ingest_raw(api, body, "bnd"), 400, "MALFORMED_MULTIPART")


def test_ingester_keeps_utf8_filenames(api):
    body = ('--bnd\r\nContent-Disposition: form-data; name="file"; filename="Счёт.txt"'
            "\r\n\r\nxx\r\n--bnd--\r\n").encode()
    response = ingest_raw(api, body, "bnd")
    assert response.status_code == 201, response.text
    assert response.json()["original_filename"] == "Счёт.txt"


# 8, 11 -------------------------------------------------------------------------------------
def _attributes(raw_json: str) -> str:
    return base64.urlsafe_b64encode(raw_json.encode()).decode().rstrip("=")


@pytest.mark.parametrize("custom", [deep(2000), deep(40), '{"a": "\\ud800"}', '{"a": NaN}'])
def test_se_put_refuses_unstorable_custom(api, se_url, custom):
    file_id = uuid.uuid4()
    header = _attributes('{"original_filename": "x.txt", "custom": ' + custom + "}")
    response = httpx.put(f"{se_url}/api/v1/files/{file_id}", content=b"x",
                         headers={**api.headers, "X-ArtStore-Attributes": header})
    assert_error(response, 422, "INVALID_ATTRIBUTES")
    assert_error(httpx.get(f"{se_url}/api/v1/files/{file_id}", headers=api.headers), 404)


@pytest.mark.parametrize("custom", ['{"a": "\\ud800"}', '{"a": NaN}', '{"a": -Infinity}',
                                    deep(40), deep(2000)])
def test_se_patch_refuses_unstorable_custom(api, se_url, stored, custom):
    url = f"{se_url}/api/v1/files/{stored['file_id']}"
    before = httpx.get(url, headers=api.headers).json()
    response = httpx.patch(url, content=('{"custom": ' + custom + "}").encode(),
                           headers={**api.headers, "content-type": "application/json"})
    assert 400 <= response.status_code < 500
    assert_error(response, response.status_code)
    assert httpx.get(url, headers=api.headers).json() == before


# Also: protocol-level errors ---------------------------------------------------------------
@pytest.mark.parametrize("service", ["ADMIN_URL", "INGESTER_URL", "QUERY_URL"])
def test_unparseable_request_gets_the_json_error_shape(suite_env, service):
    url = urlsplit(suite_env[service])
    with socket.create_connection((url.hostname, url.port), timeout=30) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body)["error"]["code"] == "BAD_REQUEST"


def test_405_lists_every_allowed_method(api):
    response = api.admin("DELETE", "/api/v1/service-accounts")
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "POST"}


def test_nul_anywhere_in_the_url_is_400(api):
    response = api.admin("GET", "/api/v1/service-accounts", params={"q": "a\x00"})
    assert_error(response, 400, "BAD_REQUEST")
    response = api.admin("GET", "/api/v1/admin-users/%00")
    assert_error(response, 400, "BAD_REQUEST")
