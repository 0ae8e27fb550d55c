"""Crash safety of the storage element: SIGKILL at random moments under concurrent uploads,
updates and reads, ≥ 50 times per backend, then prove that nothing acknowledged was lost,
nothing half-written is visible, the index mirrors the sidecars exactly, and every committed
change has its event in the stream.

``SE_CRASH_CYCLES`` overrides the number of kill/restart cycles (default 50).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis

from artstore_common.testing import ServiceProcess

sys.path.insert(0, str(Path(__file__).resolve().parent))
from se_process_support import attrs_header, list_all, se_env, storage_sidecars  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CYCLES = int(os.environ.get("SE_CRASH_CYCLES", "50"))
WORKERS = 4


@dataclass
class Ledger:
    sent: dict[str, bytes] = field(default_factory=dict)  # every upload attempted
    acked: set[str] = field(default_factory=set)  # uploads answered 201
    acked_version: dict[str, int] = field(default_factory=dict)  # highest patch answered 200
    next_version: dict[str, int] = field(default_factory=dict)
    bad_reads: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _body(rng: random.Random) -> tuple[bytes, str | None]:
    size = rng.choice([0, 1, 700, 4096, 20_000, 150_000, 600_000])
    if rng.random() < 0.3:
        text = b"".join(b"row %d;" % rng.randrange(50) for _ in range(size // 6 + 1))[:size]
        return text, rng.choice(["gzip", "zstd", "br"])
    return rng.randbytes(size), None


def _worker(base: str, headers: dict[str, str], ledger: Ledger, stop: threading.Event,
            seed: int) -> None:
    rng = random.Random(seed)
    with httpx.Client(timeout=10) as client:
        while not stop.is_set():
            roll = rng.random()
            try:
                if roll < 0.6 or not ledger.acked:
                    file_id = str(uuid.uuid4())
                    body, compression = _body(rng)
                    with ledger.lock:
                        ledger.sent[file_id] = body
                    fields = {"original_filename": f"файл {file_id[:8]}.txt",
                              "description": "v0"}
                    if compression:
                        fields["compression"] = compression
                    r = client.put(f"{base}/api/v1/files/{file_id}", content=body, headers={
                        **headers, "X-ArtStore-Attributes": attrs_header(**fields),
                        "X-ArtStore-Expected-SHA256": hashlib.sha256(body).hexdigest()})
                    if r.status_code == 201:
                        with ledger.lock:
                            ledger.acked.add(file_id)
                elif roll < 0.85:
                    with ledger.lock:
                        file_id = rng.choice(sorted(ledger.acked))
                        version = ledger.next_version.get(file_id, 0) + 1
                        ledger.next_version[file_id] = version
                    r = client.patch(f"{base}/api/v1/files/{file_id}", headers=headers,
                                     json={"description": f"v{version}"})
                    if r.status_code == 200:
                        with ledger.lock:
                            if version > ledger.acked_version.get(file_id, 0):
                                ledger.acked_version[file_id] = version
                else:
                    with ledger.lock:
                        file_id = rng.choice(sorted(ledger.acked))
                    r = client.get(f"{base}/api/v1/files/{file_id}/content", headers=headers)
                    if r.status_code == 200 and r.content != ledger.sent[file_id]:
                        ledger.bad_reads.append(file_id)
            except httpx.HTTPError:
                time.sleep(0.01)


def _kill_during_startup(se: ServiceProcess, rng: random.Random) -> None:
    se.proc = None
    starter = threading.Thread(target=_start_quietly, args=(se,))
    starter.start()
    time.sleep(rng.uniform(0.2, 2.5))
    while se.proc is None:
        time.sleep(0.01)
    se.kill()
    starter.join()


def _start_quietly(se: ServiceProcess) -> None:
    try:
        se.start(timeout=120)
    except RuntimeError:
        pass  # killed before it became live: that was the point


def _version(attrs: dict) -> int:
    return int(str(attrs.get("description") or "v0")[1:])


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_sigkill_loop_loses_nothing_acknowledged(
    backend, tmp_path, make_database, stack_env, token_factory
):
    key_file = tmp_path / "jwt.pem"
    key_file.write_bytes(token_factory.public_pem)
    env = se_env(backend, tmp_path, make_database("se_crash"), stack_env, str(key_file))
    headers = token_factory.headers("ADMIN", ttl=7200)
    ledger = Ledger()
    rng = random.Random(int(os.environ.get("SE_CRASH_SEED", "0")) or None)
    se = ServiceProcess("storage_element.main:create_app", env,
                        log_path=str(tmp_path / "se.log"), name=f"se-{backend}")
    kills = 0
    try:
        for cycle in range(CYCLES):
            if cycle % 5 == 4:  # now and then the crash hits startup and WAL recovery
                _kill_during_startup(se, rng)
                kills += 1
                continue
            se.start(timeout=120)
            se.env["SE_RUN_MIGRATIONS"] = "false"  # migrated by the first start
            stop = threading.Event()
            threads = [threading.Thread(target=_worker, args=(se.url, headers, ledger, stop,
                                                              cycle * 100 + i))
                       for i in range(WORKERS)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.05, 1.0))
            se.kill()
            kills += 1
            stop.set()
            for t in threads:
                t.join()
            if cycle % 10 == 8:
                print(f"{backend}: {cycle + 1} cycles, {len(ledger.acked)} acknowledged",
                      file=sys.stderr)
        se.start(timeout=120)
        _verify(se.url, headers, env, ledger)
    finally:
        se.stop()
    assert kills >= min(CYCLES, 50)
    print(f"\n{backend}: {kills} kills, {len(ledger.sent)} uploads tried, "
          f"{len(ledger.acked)} acknowledged, {len(ledger.acked_version)} files patched")


def _verify(base: str, headers: dict[str, str], env: dict[str, str], ledger: Ledger) -> None:
    assert ledger.acked, "the workload never got an upload through"
    assert not ledger.bad_reads, f"reads returned wrong bytes: {ledger.bad_reads[:5]}"
    with httpx.Client(timeout=60) as client:
        listed = {item["file_id"]: item for item in list_all(client, base, headers)}
        # every acknowledged upload is present, readable and checksum-correct
        for file_id in ledger.acked:
            assert file_id in listed, f"acknowledged upload {file_id} is missing"
        # nothing half-written: every visible file is one we sent, byte for byte
        for file_id, attrs in listed.items():
            assert file_id in ledger.sent, f"unknown file {file_id} is visible"
            body = ledger.sent[file_id]
            r = client.get(f"{base}/api/v1/files/{file_id}/content", headers=headers)
            assert r.status_code == 200, r.text
            assert r.content == body, f"content of {file_id} differs"
            assert attrs["sha256"] == hashlib.sha256(body).hexdigest()
            assert attrs["size"] == len(body)
            assert _version(attrs) >= ledger.acked_version.get(file_id, 0), file_id
        for file_id in set(ledger.sent) - set(listed):
            r = client.get(f"{base}/api/v1/files/{file_id}", headers=headers)
            assert r.status_code == 404, f"{file_id} is readable but not listed"
        # the index matches the sidecars exactly, and nothing else is on the volume
        sidecars, data, temps = storage_sidecars(env)
        assert temps == [], f"temp files left behind: {temps[:5]}"
        assert set(sidecars) == set(listed)
        for file_id, attrs in sidecars.items():
            shown = {k: v for k, v in listed[file_id].items()
                     if k not in ("storage_element_id", "last_verified_at")}
            assert shown == attrs, f"index differs from sidecar for {file_id}"
        assert {d.rsplit("/", 1)[-1] for d in data} == {
            a["storage_filename"] for a in sidecars.values()}
        report = client.get(f"{base}/api/v1/maintenance/consistency",
                            headers=headers, params={"verify": "true"}).json()
        assert report["ok"], json.dumps(report)[:2000]
        info = client.get(f"{base}/api/v1/info", headers=headers).json()
        assert info["file_count"] == len(listed)
        # every committed change has its event in the stream (the relay may need a moment)
        se_id = info["id"]
        stream = env["SE_EVENTS_STREAM"]
        r = redis.Redis.from_url(env["REDIS_URL"])
        deadline = time.monotonic() + 60
        while True:
            created, updated = _events(r, stream, se_id)
            missing_created = set(listed) - created
            missing_updates = {fid for fid, a in listed.items()
                               if _version(a) > 0 and (fid, _version(a)) not in updated}
            if not missing_created and not missing_updates or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        r.close()
        assert not missing_created, f"no file.created event for {sorted(missing_created)[:5]}"
        assert not missing_updates, f"no file.updated event for {sorted(missing_updates)[:5]}"
        assert created <= set(listed), "a file.created event exists for a file never committed"


def _events(r: redis.Redis, stream: str, se_id: str) -> tuple[set[str], set[tuple[str, int]]]:
    created: set[str] = set()
    updated: set[tuple[str, int]] = set()
    for _id, fields in r.xrange(stream):
        event = json.loads(fields[b"data"])
        assert event["storage_element_id"] == se_id
        if event["type"] == "file.created":
            created.add(event["file_id"])
        elif event["type"] == "file.updated":
            updated.add((event["file_id"], _version(event["attributes"])))
    return created, updated
