#!/usr/bin/env python3
"""Replay the copy scenarios against a running local suite (`make up`), printing each step.

  .venv/bin/python scripts/copies-demo.py [--root .artstore] [--files 10]

1. permanent uploads → two verified copies on distinct rw SEs (the answer's `copies`);
2. stop one rw SE → every download still succeeds from the other copy; start it again;
3. flip a byte in one copy → the scrubber quarantines it, downloads stay right, the repairer
   rewrites it from the other copy (audit entry `file.copy_rewritten`);
4. wipe one rw SE's volume (data and sidecars) → every acknowledged file still downloads with
   its SHA-256, and the repairer re-replicates them onto that SE.
Uses `.artstore/run.env` (URLs, SE data dirs, the admin-service credentials).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent


def load_suite():
    spec = importlib.util.spec_from_file_location("artstore_suite", REPO / "scripts" / "suite.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Demo:
    def __init__(self, root: Path) -> None:
        self.suite_module = load_suite()
        self.env = self.suite_module.read_env_file(root / "run.env")
        self.suite = self.suite_module.Suite(root)
        self.login()
        dirs = {Path(d).name: Path(d) for d in self.env["SE_DATA_DIRS"].split(",")}
        self.rw = [{**se, "data_dir": dirs[se["name"]]} for se in self.admin(
            "GET", "/api/v1/storage-elements", params={"limit": 100}).json()["items"]
            if se["mode"] == "rw" and se["name"] in dirs]
        if len(self.rw) < 2:
            sys.exit("need two rw storage elements (make up starts them)")

    def login(self) -> None:
        token = self.suite_module.client_token(self.env["ADMIN_URL"], self.env[
            "ARTSTORE_CLIENT_ID"], self.env["ARTSTORE_CLIENT_SECRET"])
        self.headers = {"Authorization": f"Bearer {token}"}

    def admin(self, method: str, path: str, **kw) -> httpx.Response:
        return httpx.request(method, self.env["ADMIN_URL"] + path, headers=self.headers,
                             timeout=120, **kw)

    def upload(self, i: int) -> tuple[str, bytes]:
        body = f"demo document {i} {time.time_ns()} ".encode() + os.urandom(64 * 1024)
        r = httpx.post(self.env["INGESTER_URL"] + "/api/v1/files", headers=self.headers,
                       data={"retention_policy": "permanent", "tags": "copies-demo"},
                       files={"file": (f"demo-{i}.bin", body)}, timeout=120)
        r.raise_for_status()
        return r.json()["file_id"], body

    def download_all(self, files: dict[str, bytes]) -> int:
        good = 0
        for file_id, body in files.items():
            r = httpx.get(f"{self.env['QUERY_URL']}/api/v1/files/{file_id}/download",
                          headers=self.headers, timeout=120)
            good += r.status_code == 200 and sha(r.content) == sha(body)
        return good

    def repair(self) -> dict:
        saga = self.admin("POST", "/api/v1/copies/repair").json()
        while saga["state"] in ("running", "compensating"):
            time.sleep(0.5)
            saga = self.admin("GET", f"/api/v1/sagas/{saga['id']}").json()
        return self.admin("GET", "/api/v1/copies/report").json()

    @staticmethod
    def copy_on(se: dict, file_id: str) -> Path | None:
        for p in se["data_dir"].rglob(f"*{file_id}*.attr.json"):
            return p.with_name(p.name.removesuffix(".attr.json"))
        return None

    def run(self, n: int) -> None:
        print(f"1. uploading {n} permanent files")
        files: dict[str, bytes] = {}
        for i in range(n):
            file_id, body = self.upload(i)
            files[file_id] = body
        for file_id in list(files)[:3]:
            holders = [se["name"] for se in self.rw if self.copy_on(se, file_id)]
            print(f"   {file_id}: copies on {holders}")

        victim = self.rw[0]
        print(f"2. stopping {victim['name']}")
        self.suite.kill(victim["name"])
        print(f"   downloads with the right SHA-256: {self.download_all(files)}/{n}")
        self.suite.restart(victim["name"])
        print(f"   {victim['name']} started again")

        file_id, body = next(iter(files.items()))
        data = self.copy_on(victim, file_id)
        assert data is not None
        raw = bytearray(data.read_bytes())
        raw[0] ^= 1
        data.write_bytes(bytes(raw))
        print(f"3. flipped a byte of {file_id} on {victim['name']}; scrubbing")
        print("   " + json.dumps(httpx.post(
            victim["api_url"] + "/api/v1/maintenance/fixity", params={"all": "true"},
            headers=self.headers, timeout=300).json())[:200])
        print(f"   downloads with the right SHA-256: {self.download_all(files)}/{n}")
        report = self.repair()
        print(f"   repaired: {report['repaired']}")
        print(f"   copy on {victim['name']} healthy again: {data.read_bytes() == body}")

        print(f"4. wiping the volume of {victim['name']}")
        for child in victim["data_dir"].iterdir():
            if child.is_dir() and child.name.isdigit():
                shutil.rmtree(child)
        httpx.post(victim["api_url"] + "/api/v1/maintenance/rebuild", params={"mode": "full"},
                   headers=self.headers, timeout=300).raise_for_status()
        print(f"   downloads with the right SHA-256: {self.download_all(files)}/{n}")
        report = self.repair()
        print(f"   repairer: {report['under_replicated_count']} under-replicated found, "
              f"{len(report['repaired'] or [])} copies made, "
              f"{len(report['failed'] or [])} failed")
        report = self.repair()
        back = sum(1 for f in files if self.copy_on(victim, f))
        print(f"   next scan: {report['under_replicated_count']} under-replicated, "
              f"{report['lost_count']} lost; {back}/{n} copies back on {victim['name']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=str(REPO / ".artstore"))
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args()
    Demo(Path(args.root)).run(args.files)
    return 0


if __name__ == "__main__":
    sys.exit(main())
