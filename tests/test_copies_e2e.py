"""Copies across the whole suite (two rw SEs): a permanent upload is answered with two durable
copies on distinct SEs, the catalog shows both, a download fails over when the SE of one copy
is stopped or its copy is quarantined (no client-visible error, right SHA-256), and a catalog
rebuilt from the SEs alone knows every copy."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import threading
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from e2e_support import Api, client_token, sha256, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def rw_ses(api) -> dict[str, dict]:
    """name → registry row (with ``data_dir``) of every rw SE of the suite."""
    dirs = {Path(d).name: Path(d) for d in api.env["SE_DATA_DIRS"].split(",")}
    return {se["id"]: {**se, "data_dir": dirs[se["name"]]}
            for se in api.storage_elements() if se["mode"] == "rw"}


def upload_permanent(api: Api, tag: str, n: int) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for i in range(n):
        body = f"{tag} permanent copy {i} ".encode() + uuid.uuid4().bytes * 64
        response = api.upload(f"{tag}-{i}.bin", body, retention_policy="permanent", tags=tag)
        assert response.status_code == 201, response.text
        answer = response.json()
        assert answer["sha256"] == sha256(body)
        assert len(answer["copies"]) == 2 and len(set(answer["copies"])) == 2
        assert answer["storage_element_id"] in answer["copies"]
        files[answer["file_id"]] = body
    return files


def copy_states(api: Api, file_id: str) -> dict[str, str]:
    meta = api.in_catalog(file_id) or {}
    return {c["storage_element_id"]: c["state"] for c in meta.get("copies", [])}


def active_copies(api: Api, file_id: str) -> set[str]:
    meta = api.in_catalog(file_id) or {}
    return {c["storage_element_id"] for c in meta.get("copies", []) if c["state"] == "active"}


def stored_copy(se: dict, file_id: str) -> tuple[Path, dict] | None:
    for path in se["data_dir"].rglob(f"*{file_id}*.attr.json"):
        return path.with_name(path.name.removesuffix(".attr.json")), json.loads(path.read_text())
    return None


def test_permanent_upload_has_two_verified_copies_each_with_its_sidecar(api, rw_ses):
    assert len(rw_ses) >= 2
    files = upload_permanent(api, "two-" + uuid.uuid4().hex[:8], 3)
    for file_id, body in files.items():
        holders = wait_for(lambda fid=file_id: len(active_copies(api, fid)) == 2
                           and active_copies(api, fid), "both copies in the catalog")
        assert holders <= set(rw_ses)
        provenance = []
        for se_id in holders:
            found = stored_copy(rw_ses[se_id], file_id)
            assert found is not None, f"no copy of {file_id} on {rw_ses[se_id]['name']}"
            data, sidecar = found
            assert sidecar["sha256"] == sha256(body) and sidecar["file_id"] == file_id
            assert set(sidecar["copies"]) == holders
            assert data.read_bytes() == body  # stored plain: no compression asked
            provenance.append({k: sidecar[k] for k in (
                "created_at", "uploaded_by", "storage_filename", "copies")})
        assert provenance[0] == provenance[1]  # both copies were written from one stream


def test_an_ordinary_users_permanent_upload_gets_every_copy(api, rw_ses):
    """The user's token says who uploads; the ingester vouches for the copy set it planned."""
    r = api.admin("POST", "/api/v1/service-accounts",
                  json={"name": f"copies-user-{uuid.uuid4().hex[:6]}", "role": "USER"})
    assert r.status_code == 201, r.text
    account = r.json()
    user = Api(api.env, client_token(api.env["ADMIN_URL"], account["client_id"],
                                     account["client_secret"]))
    body = b"a user's permanent record " + uuid.uuid4().bytes
    response = user.upload("user-permanent.txt", body, retention_policy="permanent")
    assert response.status_code == 201, response.text
    answer = response.json()
    assert len(set(answer["copies"])) == 2 and set(answer["copies"]) <= set(rw_ses)
    meta = user.metadata(answer["file_id"])
    assert meta.status_code == 200 and meta.json()["uploaded_by"]["id"] == account["id"]
    assert user.download(answer["file_id"]).content == body


def test_download_fails_over_when_the_se_of_a_copy_is_stopped(api, rw_ses, suite):
    files = upload_permanent(api, "stop-" + uuid.uuid4().hex[:8], 4)
    for file_id in files:
        wait_for(lambda fid=file_id: len(active_copies(api, fid)) == 2, "both copies")
    victim = rw_ses[api.in_catalog(next(iter(files)))["storage_element_id"]]["name"]
    suite.kill(victim)
    try:
        for file_id, body in files.items():
            response = api.download(file_id)
            assert response.status_code == 200, response.text
            assert sha256(response.content) == sha256(body)
    finally:
        suite.restart(victim)
    # Back in the ingester's placement (discovery online, breaker closed): uploads are
    # answered with two copies again.
    wait_for(lambda: len(api.upload("probe.txt", b"probe", retention_policy="permanent")
                         .json().get("copies", [])) == 2, "two copies again", timeout=120,
             interval=2.0)


def test_download_skips_a_quarantined_copy(api, rw_ses, suite_env):
    files = upload_permanent(api, "rot-" + uuid.uuid4().hex[:8], 1)
    file_id, body = next(iter(files.items()))
    wait_for(lambda: len(active_copies(api, file_id)) == 2, "both copies")
    owner = rw_ses[api.in_catalog(file_id)["storage_element_id"]]
    data, _ = stored_copy(owner, file_id)
    rotten = bytearray(data.read_bytes())
    rotten[len(rotten) // 2] ^= 0xFF
    data.write_bytes(bytes(rotten))
    scrub = httpx.post(owner["api_url"] + "/api/v1/maintenance/fixity",
                       params={"all": "true"}, headers=api.headers, timeout=120)
    assert scrub.status_code == 200, scrub.text
    for _ in range(3):
        response = api.download(file_id)
        assert response.status_code == 200, response.text
        assert response.content == body


def test_a_catalog_rebuilt_from_the_ses_knows_every_copy(api, rw_ses, suite_env):
    files = upload_permanent(api, "rebuild-" + uuid.uuid4().hex[:8], 3)
    before = {fid: wait_for(lambda fid=fid: len(active_copies(api, fid)) == 2
                            and active_copies(api, fid), "both copies") for fid in files}
    ids = [uuid.UUID(f) for f in files]

    async def forget() -> None:
        dsn = suite_env["PG_DSN"].rsplit("/", 1)[0] + "/artstore_query"
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute("DELETE FROM catalog_copies WHERE file_id = ANY($1)", ids)
            await conn.execute("DELETE FROM catalog_files WHERE file_id = ANY($1)", ids)
        finally:
            await conn.close()

    asyncio.run(forget())
    query = suite_env["QUERY_URL"] + "/api/v1/admin/reindex"
    started = httpx.post(query, headers=api.headers, timeout=30)
    assert started.status_code == 202, started.text

    def finished() -> dict | None:
        status = httpx.get(query + "/status", headers=api.headers, timeout=30).json()
        return status if not status["running"] and status["status"] != "running" else None

    assert wait_for(finished, "the re-index", timeout=180)["status"] == "completed"
    for file_id, holders in before.items():
        # the metadata cache may still hold the old entry: read until it is the rebuilt one
        assert wait_for(lambda fid=file_id: active_copies(api, fid), "rebuilt") == holders


def run_repair(api: Api) -> dict:
    started = api.admin("POST", "/api/v1/copies/repair")
    assert started.status_code == 202, started.text
    saga = api.wait_saga(started.json()["id"], timeout=300)
    assert saga["state"] == "completed", saga
    report = api.admin("GET", "/api/v1/copies/report")
    assert report.status_code == 200, report.text
    return report.json()


def test_flipped_bytes_are_repaired_from_the_other_copy(api, rw_ses):
    files = upload_permanent(api, "flip-" + uuid.uuid4().hex[:8], 1)
    file_id, body = next(iter(files.items()))
    wait_for(lambda: len(active_copies(api, file_id)) == 2, "both copies")
    victim = rw_ses[sorted(active_copies(api, file_id))[0]]
    data, _ = stored_copy(victim, file_id)
    rotten = bytearray(data.read_bytes())
    rotten[0] ^= 0x01
    data.write_bytes(bytes(rotten))
    scrub = httpx.post(victim["api_url"] + "/api/v1/maintenance/fixity",
                       params={"all": "true"}, headers=api.headers, timeout=120)
    assert scrub.status_code == 200, scrub.text
    direct = httpx.get(f"{victim['api_url']}/api/v1/files/{file_id}/content",
                       headers=api.headers, timeout=60)
    assert direct.status_code == 409  # quarantined: never served
    # the SE's quarantine reaches the catalog's copy state (file-event stream)
    wait_for(lambda: copy_states(api, file_id).get(victim["id"]) == "quarantined",
             "the catalog to show the quarantined copy")
    meta = api.in_catalog(file_id)
    assert meta["storage_element_id"] != victim["id"]  # reads start at the healthy copy
    served = api.download(file_id)
    assert served.content == body, (served.status_code, served.text)  # from the other copy

    report = run_repair(api)
    assert {"file_id": file_id, "storage_element_id": victim["id"]} in \
        report["quarantined_copies"]
    assert report["quarantined_count"] >= 1
    assert any(r["file_id"] == file_id and r.get("rewritten") for r in report["repaired"])
    wait_for(lambda: copy_states(api, file_id).get(victim["id"]) == "active",
             "the rewritten copy to be active in the catalog again")
    assert data.read_bytes() == body
    direct = httpx.get(f"{victim['api_url']}/api/v1/files/{file_id}/content",
                       headers=api.headers, timeout=60)
    assert direct.status_code == 200 and direct.content == body
    audit = api.admin("GET", "/api/v1/audit", params={"action": "file.copy_rewritten",
                                                      "limit": 1000}).json()["items"]
    entry = next(a for a in audit if a["resource_id"] == file_id)
    assert entry["details"]["target_storage_element_id"] == victim["id"]
    assert entry["details"]["sha256"] == sha256(body)
    assert entry["details"]["source_storage_element_id"] != victim["id"]


def test_a_wiped_se_loses_nothing_acknowledged_and_is_refilled(api, rw_ses):
    tag = "wipe-" + uuid.uuid4().hex[:8]
    files = upload_permanent(api, tag, 4)
    victim = rw_ses[sorted(rw_ses)[-1]]
    acknowledged: dict[str, bytes] = dict(files)
    errors: list[str] = []

    def keep_uploading() -> None:
        for i in range(6):
            body = f"{tag} during {i} ".encode() + uuid.uuid4().bytes * 32
            response = api.upload(f"{tag}-during-{i}.bin", body, retention_policy="permanent",
                                  tags=tag)
            if response.status_code == 201:
                acknowledged[response.json()["file_id"]] = body
            else:
                errors.append(response.text)

    def wipe() -> None:  # the data: every YYYY/MM/DD/HH tree (uploads may write meanwhile)
        for child in victim["data_dir"].iterdir():
            if child.is_dir() and child.name.isdigit():
                shutil.rmtree(child, ignore_errors=True)

    uploader = threading.Thread(target=keep_uploading)
    uploader.start()
    wipe()
    uploader.join()
    wipe()
    rebuilt = httpx.post(victim["api_url"] + "/api/v1/maintenance/rebuild",
                         params={"mode": "full"}, headers=api.headers, timeout=120)
    assert rebuilt.status_code == 200, rebuilt.text

    # The catalog follows the SEs' events: a copy stored seconds before the wipe may reach it
    # after the wiped SE's deletions. Once it shows the surviving copy, reads must succeed.
    survivors = set(rw_ses) - {victim["id"]}
    wait_for(lambda: all(active_copies(api, f) & survivors for f in acknowledged),
             "the catalog to show every surviving copy", timeout=120)
    for file_id, body in acknowledged.items():
        response = api.download(file_id)
        assert response.status_code == 200, (file_id, response.text)
        assert sha256(response.content) == sha256(body)

    report = run_repair(api)
    assert report["under_replicated_count"] >= 1
    report = run_repair(api)  # a second scan finds them all at their target again
    ours = {e["file_id"] for e in report["under_replicated"] + report["lost"]}
    assert not ours & set(acknowledged)
    for file_id, body in acknowledged.items():
        holders = [se for se in rw_ses.values() if stored_copy(se, file_id)]
        assert len(holders) == 2, (file_id, [se["name"] for se in holders])
        for se in holders:
            data, sidecar = stored_copy(se, file_id)
            assert data.read_bytes() == body and sidecar["sha256"] == sha256(body)


def test_repair_survives_kill_9_of_the_repairer_and_the_ses(api, rw_ses, suite):
    """kill -9 of the admin module (the repairer) and of the SE being refilled, mid-repair,
    several times; once it settles every file has exactly its two copies and the SE's
    consistency report is clean. ``ARTSTORE_COPIES_KILL_FILES``/``_CYCLES`` size it."""
    n_files = int(os.environ.get("ARTSTORE_COPIES_KILL_FILES", "8"))
    cycles = int(os.environ.get("ARTSTORE_COPIES_KILL_CYCLES", "2"))
    tag = "kill-" + uuid.uuid4().hex[:8]
    files = upload_permanent(api, tag, n_files)
    victim = rw_ses[sorted(rw_ses)[0]]
    for child in victim["data_dir"].iterdir():
        if child.is_dir() and child.name.isdigit():
            shutil.rmtree(child)
    rebuilt = httpx.post(victim["api_url"] + "/api/v1/maintenance/rebuild",
                         params={"mode": "full"}, headers=api.headers, timeout=120)
    assert rebuilt.status_code == 200, rebuilt.text
    rng = random.Random(n_files * 7919 + cycles)
    for cycle in range(cycles):
        started = api.admin("POST", "/api/v1/copies/repair")
        assert started.status_code == 202, started.text
        time.sleep(rng.uniform(0.2, 1.5))
        suite.kill("admin")
        if cycle % 2 == 0:
            suite.kill(victim["name"])
            suite.restart(victim["name"])
        suite.restart("admin")
        api.headers = {"Authorization": "Bearer " + client_token(
            api.env["ADMIN_URL"], api.env["ARTSTORE_CLIENT_ID"],
            api.env["ARTSTORE_CLIENT_SECRET"])}

    def settled() -> dict | None:
        report = run_repair(api)
        return report if not report["under_replicated_count"] and not report["failed"] else None

    wait_for(lambda: api.storage_element(victim["name"])["status"] == "online", "SE online",
             timeout=120)
    wait_for(settled, "the repairer to settle", timeout=600, interval=1.0)
    for file_id, body in files.items():
        holders = [se for se in rw_ses.values() if stored_copy(se, file_id)]
        assert len(holders) == 2, (file_id, [se["name"] for se in holders])
        for se in holders:
            data, sidecar = stored_copy(se, file_id)
            assert data.read_bytes() == body and sidecar["sha256"] == sha256(body)
    consistency = httpx.get(victim["api_url"] + "/api/v1/maintenance/consistency",
                            headers=api.headers, timeout=120)
    assert consistency.status_code == 200, consistency.text
    assert consistency.json()["ok"], consistency.json()


MiB = 1024 * 1024


def stored_files(se: dict) -> set[Path]:
    """Every data file and sidecar under the SE's date tree (temps included)."""
    return {p for child in se["data_dir"].iterdir() if child.is_dir() and child.name.isdigit()
            for p in child.rglob("*") if p.is_file()}


def upload_killing(api: Api, suite, victim: dict, body: list[bytes]) -> httpx.Response:
    """A permanent upload of ``body`` streamed to the ingester; once part of it has reached
    ``victim`` (its temp file has bytes), the victim SE is killed with SIGKILL and the rest of
    the body goes on flowing."""
    boundary = uuid.uuid4().hex
    before = {p for p in stored_files(victim) if p.name.endswith(".part")}

    def receiving() -> bool:
        return any(p.stat().st_size > 0 for p in stored_files(victim) - before
                   if p.name.endswith(".part") and p.exists())

    def stream():
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"retention_policy\""
               f"\r\n\r\npermanent\r\n--{boundary}\r\nContent-Disposition: form-data; "
               f"name=\"file\"; filename=\"se-dies.bin\"\r\n"
               f"Content-Type: application/octet-stream\r\n\r\n").encode()
        for i, piece in enumerate(body):
            if i == len(body) // 4:
                wait_for(receiving, "the victim SE to receive the body")
                suite.kill(victim["name"])
            yield piece
        yield f"\r\n--{boundary}--\r\n".encode()

    return httpx.post(api.env["INGESTER_URL"] + "/api/v1/files", content=stream(),
                      headers={**api.headers,
                               "Content-Type": f"multipart/form-data; boundary={boundary}"},
                      timeout=300)


def both_ses_take_uploads(api: Api) -> None:
    wait_for(lambda: len(api.upload("probe.txt", b"probe", retention_policy="permanent")
                         .json().get("copies", [])) == 2, "two copies again", timeout=120,
             interval=2.0)


def set_permanent_policy(api: Api, **policy: int) -> None:
    """The policy, once the ingester follows a discovery document that carries it."""
    import redis

    from artstore_common.contracts import DISCOVERY_KEY, DiscoveryDocument

    changed = api.admin("PUT", "/api/v1/copy-policies/permanent", json=policy)
    assert changed.status_code == 200, changed.text
    client = redis.Redis.from_url(api.env["REDIS_URL"])

    def followed() -> bool:
        doc = DiscoveryDocument.model_validate_json(client.get(DISCOVERY_KEY) or b"{}")
        have = doc.copy_policy("permanent")
        ready = httpx.get(api.env["INGESTER_URL"] + "/health/ready", timeout=10).json()
        seen = (ready["checks"]["discovery"].get("detail") or {}).get("version") or 0
        return all(getattr(have, k) == v for k, v in policy.items()) and seen >= doc.version

    try:
        wait_for(followed, "the ingester to follow the copy policy")
    finally:
        client.close()


def test_an_se_killed_mid_stream_loses_nothing_acknowledged(api, rw_ses, suite):
    """kill -9 of one of the two SEs the upload is teed to, while the body flows. Write quorum
    2 with no third rw SE: 503, and no copy or partial file is left on either SE. Write quorum
    1: 201 with the surviving copy; the killed SE comes back without a trace of the partial
    file and the repairer makes the second copy."""
    survivor, victim = (rw_ses[i] for i in sorted(rw_ses))
    body = [os.urandom(MiB) for _ in range(32)]
    digest = sha256(b"".join(body))
    both_ses_take_uploads(api)
    counts = {se["id"]: httpx.get(se["api_url"] + "/api/v1/info", headers=api.headers,
                                  timeout=10).json()["file_count"] for se in (survivor, victim)}
    files = {se["id"]: stored_files(se) for se in (survivor, victim)}

    refused = upload_killing(api, suite, victim, body)
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "NO_STORAGE_AVAILABLE"
    suite.restart(victim["name"])
    for se in (survivor, victim):  # the survivor's copy is removed; the partial rolled back
        assert stored_files(se) == files[se["id"]], se["name"]
        info = httpx.get(se["api_url"] + "/api/v1/info", headers=api.headers, timeout=10)
        assert info.json()["file_count"] == counts[se["id"]], se["name"]

    set_permanent_policy(api, target_copies=2, write_quorum=1)
    try:
        both_ses_take_uploads(api)
        answer = upload_killing(api, suite, victim, body)
        assert answer.status_code == 201, answer.text
        file_id = answer.json()["file_id"]
        assert answer.json()["copies"] == [survivor["id"]]
        assert answer.json()["sha256"] == digest
        served = api.download(file_id)  # the victim is still down
        assert served.status_code == 200 and sha256(served.content) == digest
        suite.restart(victim["name"])
        assert stored_copy(victim, file_id) is None
        assert not [p for p in stored_files(victim) if file_id in p.name]  # no temp either
        wait_for(lambda: api.storage_element(victim["name"])["status"] == "online",
                 "the SE online again", timeout=120)
        report = run_repair(api)
        assert any(r["file_id"] == file_id for r in report["repaired"]), report
        for se in (survivor, victim):
            data, sidecar = stored_copy(se, file_id)
            assert sha256(data.read_bytes()) == digest and sidecar["sha256"] == digest
            assert set(sidecar["copies"]) == {survivor["id"], victim["id"]}
    finally:
        set_permanent_policy(api, target_copies=2, write_quorum=2)
