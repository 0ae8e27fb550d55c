"""Issue 14 against the whole suite as real processes: head limits, immediate revocation,
provenance and ownership across services, truncated bodies, discover, lockout by source."""

from __future__ import annotations

import base64
import json
import re
import socket
import uuid

import httpx
import pytest
from e2e_support import Api, assert_error, new_account, token_of, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin_api(suite_env, admin_token) -> Api:
    return Api(suite_env, admin_token)


def service_urls(env: dict[str, str]) -> dict[str, str]:
    return {"admin": env["ADMIN_URL"], "ingester": env["INGESTER_URL"],
            "query": env["QUERY_URL"], "storage-element": env["SE_URLS"].split(",")[0]}


def se_for(admin_api: Api, se_id: str) -> str:
    return next(se["api_url"] for se in admin_api.storage_elements() if se["id"] == se_id)


def metric_sum(url: str, name: str, label: str | None = None) -> float:
    text = httpx.get(url + "/metrics", timeout=30).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith((name + "{", name + " ")) and (label is None or label in line):
            total += float(line.rsplit(" ", 1)[1])
    return total


class TestRequestHeadLimits:
    @pytest.mark.parametrize("shape", ["one 1 MB header", "1,000 headers"])
    def test_every_service_answers_431_in_the_error_shape(self, suite_env, shape):
        headers = ({"X-Big": "a" * 1_000_000} if shape == "one 1 MB header"
                   else [(f"X-H{i}", "1") for i in range(1000)])
        for name, url in service_urls(suite_env).items():
            r = httpx.get(url + "/health/live", headers=headers, timeout=30)
            assert r.status_code == 431, name
            assert_error(r, 431, "REQUEST_HEADERS_TOO_LARGE")
            assert httpx.get(url + "/health/live", timeout=30).status_code == 200, name


class TestImmediateRevocation:
    def test_suspending_an_account_stops_its_token_on_every_service(self, suite_env, admin_api):
        account = new_account(admin_api, prefix="h14")
        user = Api(suite_env, token_of(suite_env, account))
        stored = user.upload("revoked.txt", b"before suspension")
        assert stored.status_code == 201, stored.text
        file_id = stored.json()["file_id"]
        se_url = se_for(admin_api, stored.json()["storage_element_id"])
        se_file = f"{se_url}/api/v1/files/{file_id}"
        assert httpx.get(se_file, headers=user.headers, timeout=30).status_code == 200
        assert user.metadata(file_id).status_code in (200, 404)  # catalogue may lag

        r = admin_api.admin("POST", f"/api/v1/service-accounts/{account['id']}/suspend")
        assert r.status_code == 200

        def refused_everywhere() -> bool:
            answers = [user.upload("after.txt", b"x"), user.metadata(file_id),
                       httpx.get(se_file, headers=user.headers, timeout=30),
                       httpx.get(suite_env["ADMIN_URL"] + "/api/v1/service-accounts",
                                 headers=user.headers, timeout=30)]
            return all(a.status_code == 401 and a.json()["error"]["code"] == "TOKEN_REVOKED"
                       for a in answers)

        # the services poll the deny-list every REVOCATION_POLL_SECONDS (2 s)
        wait_for(refused_everywhere, "the suspended account's token to be refused", timeout=30)
        assert metric_sum(suite_env["QUERY_URL"], "artstore_auth_revocations") >= 1

    def test_an_admin_revokes_one_leaked_token(self, suite_env, admin_api):
        account = new_account(admin_api, prefix="h14")
        leaked, fresh = token_of(suite_env, account), token_of(suite_env, account)
        claims = json.loads(base64.urlsafe_b64decode(leaked.split(".")[1] + "=="))
        r = admin_api.admin("POST", "/api/v1/auth/revocations", json={"jti": claims["jti"]})
        assert r.status_code == 201
        query = suite_env["QUERY_URL"] + "/api/v1/search"

        def leaked_refused() -> bool:
            r = httpx.get(query, headers={"Authorization": f"Bearer {leaked}"}, timeout=30)
            return r.status_code == 401

        wait_for(leaked_refused, "the leaked token to be refused", timeout=30)
        r = httpx.get(query, headers={"Authorization": f"Bearer {fresh}"}, timeout=30)
        assert r.status_code == 200  # the account's other tokens keep working


class TestProvenanceAndOwnership:
    def test_uploader_is_the_caller_and_a_forged_one_is_refused(self, suite_env, admin_api):
        account = new_account(admin_api, prefix="h14")
        user = Api(suite_env, token_of(suite_env, account))
        r = user.upload("mine.txt", b"provenance", retention_policy="temporary", ttl_days="2")
        assert r.status_code == 201, r.text
        se_url = se_for(admin_api, r.json()["storage_element_id"])
        attrs = httpx.get(f"{se_url}/api/v1/files/{r.json()['file_id']}",
                          headers=user.headers, timeout=30).json()
        assert attrs["uploaded_by"]["id"] == account["id"]
        forged = base64.urlsafe_b64encode(json.dumps({
            "original_filename": "x.txt", "uploaded_by": {"id": "system", "name": "admin"},
            "expires_at": "2999-01-01T00:00:00Z"}).encode()).decode().rstrip("=")
        r = httpx.put(f"{se_url}/api/v1/files/{uuid.uuid4()}", content=b"forged",
                      headers={**user.headers, "X-ArtStore-Attributes": forged}, timeout=30)
        assert_error(r, 403, "PROVENANCE_NOT_ALLOWED")

    def test_a_user_finalizes_and_edits_only_its_own_files(self, suite_env, admin_api):
        owner = Api(suite_env, token_of(suite_env, new_account(admin_api, prefix="h14")))
        other = Api(suite_env, token_of(suite_env, new_account(admin_api, prefix="h14")))
        r = owner.upload("draft.txt", b"owned", retention_policy="temporary")
        assert r.status_code == 201, r.text
        file_id = r.json()["file_id"]
        se_file = f"{se_for(admin_api, r.json()['storage_element_id'])}/api/v1/files/{file_id}"

        refused = other.admin("POST", f"/api/v1/files/{file_id}/finalize")
        assert_error(refused, 403, "NOT_FILE_OWNER")
        edit = httpx.patch(se_file, headers=other.headers, json={"description": "mine now"},
                           timeout=30)
        assert_error(edit, 403, "NOT_FILE_OWNER")
        events = admin_api.admin("GET", "/api/v1/audit",
                                 params={"action": "file.change_refused", "limit": 100}).json()
        assert any(e["resource_id"] == file_id and e["outcome"] == "denied"
                   for e in events["items"])

        assert httpx.patch(se_file, headers=owner.headers, json={"description": "ok"},
                           timeout=30).status_code == 200
        accepted = owner.admin("POST", f"/api/v1/files/{file_id}/finalize")
        assert accepted.status_code == 202, accepted.text


class TestTruncatedBody:
    def test_a_body_shorter_than_its_content_length_is_never_stored(self, suite_env,
                                                                     admin_api):
        token = token_of(suite_env, new_account(admin_api, prefix="h14"))
        boundary = "h14boundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
                f"filename=\"short.txt\"\r\nContent-Type: text/plain\r\n\r\n"
                f"only part of it\r\n--{boundary}--\r\n").encode()
        url = httpx.URL(suite_env["INGESTER_URL"])
        before = metric_sum(str(url), "artstore_ingest_uploads_total")
        stored_before = metric_sum(str(url), "artstore_ingest_uploads_total", 'result="stored"')
        head = (f"POST /api/v1/files HTTP/1.1\r\nHost: {url.host}\r\n"
                f"Authorization: Bearer {token}\r\n"
                f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                f"Content-Length: {len(body) + 100}\r\n\r\n").encode()
        with socket.create_connection((url.host, url.port), timeout=60) as sock:
            sock.sendall(head + body)
            sock.shutdown(socket.SHUT_WR)  # 100 declared bytes never come
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert not answer.startswith(b"HTTP/1.1 201")
        wait_for(lambda: metric_sum(str(url), "artstore_ingest_uploads_total") > before,
                 "the ingester to finish with the upload")
        assert metric_sum(str(url), "artstore_ingest_uploads_total",
                          'result="stored"') == stored_before


class TestDiscoverIsNoPortProber:
    def test_closed_port_and_foreign_service_give_one_answer_and_leave_no_trace(
            self, suite_env, admin_api):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = f"http://127.0.0.1:{s.getsockname()[1]}"
        answers = []
        for url in (closed, suite_env["QUERY_URL"], "http://127.0.0.1:1"):
            r = admin_api.admin("POST", "/api/v1/storage-elements/discover",
                                json={"api_url": url})
            error = assert_error(r, 422, "STORAGE_ELEMENT_UNREACHABLE")
            answers.append((error["message"], error["details"]["reason"]))
        assert len(set(answers)) == 1, answers
        metrics = httpx.get(suite_env["ADMIN_URL"] + "/metrics", timeout=30).text
        assert closed.split("//")[1] not in metrics
        for se_url in suite_env["SE_URLS"].split(","):
            assert se_url.split("//")[1] not in metrics


class TestLockoutIsPerSource:
    def test_wrong_secrets_from_another_address_do_not_block_the_client(self, suite_env,
                                                                        admin_api):
        account = new_account(admin_api, prefix="h14")
        token_url = suite_env["ADMIN_URL"] + "/api/v1/auth/token"
        wrong = {"client_id": account["client_id"], "client_secret": "wrong-secret-value"}
        transport = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(transport=transport, timeout=30) as attacker:
            codes = [attacker.post(token_url, json=wrong).status_code for _ in range(15)]
        assert set(codes[:10]) == {401} and set(codes[10:]) == {429}
        assert token_of(suite_env, account)  # 200 from the client's own address

    def test_login_lockout_does_not_tell_which_usernames_exist(self, suite_env, admin_api):
        name = f"h14user{uuid.uuid4().hex[:6]}"
        r = admin_api.admin("POST", "/api/v1/admin-users", json={
            "username": name, "password": "Correct-Horse-Battery-9", "role": "readonly"})
        assert r.status_code == 201, r.text
        login = suite_env["ADMIN_URL"] + "/api/v1/admin-auth/login"

        def shapes(username: str) -> list[tuple]:
            out = []
            for _ in range(7):
                r = httpx.post(login, json={"username": username, "password": "nope-nope-1"},
                               timeout=30)
                out.append((r.status_code, r.json()["error"]["code"],
                            re.sub(r"\d", "0", r.headers.get("retry-after", ""))))
            return out

        known, unknown = shapes(name), shapes(name + "-ghost")
        assert known == unknown
        assert [s[0] for s in known] == [401] * 5 + [423] * 2
