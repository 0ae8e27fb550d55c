"""Smoke checks of the compose stack for scripts/containers/compose_test.py.

Every request goes to a port the project published on 127.0.0.1; services and storage elements
are discovered from the compose project (``docker compose config``), never hard-coded. Each check
raises AssertionError with what it saw.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import ssl
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import yaml

REPO = Path(__file__).resolve().parents[2]
ARTSTORE = "artstore/"


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """Poll until truthy; the bound only stops a hung run."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except (httpx.HTTPError, AssertionError) as exc:
            last = repr(exc)
        else:
            if last:
                return last
        time.sleep(1)
    raise AssertionError(f"gave up waiting for {what}; last: {str(last)[:2000]}")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    return {k: "" if v is None else str(v) for k, v in env.items()}


def artstore_services(project: dict) -> dict[str, dict]:
    """Our long-running Python services (built here, with a published port)."""
    return {name: s for name, s in project["services"].items()
            if s.get("image", "").startswith(ARTSTORE) and s.get("ports")
            and "admin-ui" not in s["image"]}


def storage_elements(project: dict) -> dict[str, dict]:
    return {name: s for name, s in artstore_services(project).items()
            if s["image"].startswith(ARTSTORE + "storage-element")}


class State:
    """What the smoke test knows about the running project and what it stored."""

    def __init__(self, compose, log) -> None:
        self.compose = compose
        self.log = log
        self.marker = "smoke" + uuid.uuid4().hex[:8]
        self.files: dict[str, bytes] = {}
        self.placed: dict[str, str] = {}  # file_id → SE name
        ca = REPO / ".artstore" / "containers" / "ca.crt"
        ca.write_text(compose.read("admin-module", "/certs/ca.crt"))
        self.tls = ssl.create_default_context(cafile=str(ca))
        bootstrap = compose.read("admin-module", "/var/lib/artstore/admin-bootstrap.env")
        values = dict(line.split("=", 1) for line in bootstrap.splitlines() if "=" in line)
        self.client_id = values.get("ARTSTORE_CLIENT_ID", "admin-service")
        self.client_secret = values["ARTSTORE_CLIENT_SECRET"]
        self.admin = compose.url("admin-module", 8000)
        self.ingester = compose.url("ingester-module", 8020)
        self.query = compose.url("query-module", 8030)
        self.ui = compose.url("admin-ui", 4200, "http")
        self._token: str | None = None

    def http(self, **kw: Any) -> httpx.Client:
        return httpx.Client(verify=self.tls, timeout=120.0, **kw)

    def token(self) -> str:
        with self.http() as client:
            response = client.post(self.admin + "/api/v1/auth/token", data={
                "grant_type": "client_credentials", "client_id": self.client_id,
                "client_secret": self.client_secret})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["token_type"].lower() == "bearer" and body["expires_in"] > 0, body
        self._token = body["access_token"]
        return self._token

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token or self.token()}"}


# --- checks -----------------------------------------------------------------------------------


def health(state: State) -> None:
    project = state.compose.project
    for name, service in sorted(artstore_services(project).items()):
        port = int(env_of(service)["PORT"])
        url = state.compose.url(name, port) + "/health/ready"

        def ready(url: str = url) -> dict | None:
            with state.http() as client:
                body = client.get(url).json()
            return body if body["status"] == "ok" else None

        body = wait_for(ready, f"{name} /health/ready to be ok", timeout=90)
        state.log(f"  {name}: ready ({', '.join(sorted(body.get('checks', {})))})")
    with state.http() as client:
        assert client.get(state.ui + "/healthz").status_code == 200


def _ses_registered(state: State) -> dict[str, dict]:
    with state.http(headers=state.auth()) as client:
        response = client.get(state.admin + "/api/v1/storage-elements", params={"limit": 1000})
    assert response.status_code == 200, response.text
    registered = {se["name"]: se for se in response.json()["items"]}
    expected = {env_of(s)["SE_NAME"] for s in storage_elements(state.compose.project).values()}
    assert expected <= set(registered), (expected, sorted(registered))
    return {name: registered[name] for name in expected}


def _set_priority(state: State, se: dict, priority: int) -> None:
    with state.http(headers=state.auth()) as client:
        response = client.patch(f"{state.admin}/api/v1/storage-elements/{se['id']}",
                                json={"priority": priority})
    assert response.status_code == 200, response.text


def upload(state: State, name: str, content: bytes, policy: str,
           url: str | None = None) -> dict:
    with state.http(headers=state.auth()) as client:
        response = client.post((url or state.ingester) + "/api/v1/files", data={
            "retention_policy": policy, "tags": f"smoke,{state.marker}",
            "description": f"compose smoke test {state.marker}"},
            files={"file": (name, content, "application/octet-stream")})
    assert response.status_code == 201, response.text
    record = response.json()
    assert record["sha256"] == sha(content) and record["size"] == len(content), record
    state.files[record["file_id"]] = content
    return record


def upload_to_every_se(state: State) -> None:
    """One upload lands on each writable SE (local and S3): the target gets the best priority
    of its mode for the time of its upload."""
    ses = _ses_registered(state)
    for se in ses.values():
        assert se["status"] == "online", se
    backends = {se["backend"] for se in ses.values()}
    assert {"local", "s3"} <= backends, backends
    writable = [se for se in ses.values() if se["mode"] in ("edit", "rw")]
    original = {se["name"]: se["priority"] for se in writable}
    try:
        for target in writable:
            for se in writable:
                _set_priority(state, se, 0 if se is target else 500_000)
            policy = "temporary" if target["mode"] == "edit" else "permanent"
            content = os.urandom(256 * 1024) + f"\n{target['name']} {state.marker}\n".encode()

            def placed(target: dict = target, content: bytes = content,
                       policy: str = policy) -> dict | None:
                record = upload(state, f"{target['name']}.bin", content, policy)
                state.placed[record["file_id"]] = record["storage_element_id"]
                return record if record["storage_element_id"] == target["id"] else None

            record = wait_for(placed, f"an upload placed on {target['name']}", timeout=90)
            state.log(f"  uploaded {record['file_id']} to {target['name']} "
                      f"({target['mode']}, {target['backend']})")
    finally:
        for se in writable:
            _set_priority(state, se, original[se["name"]])


def search_finds_everything(state: State) -> int:
    def found() -> int | None:
        with state.http(headers=state.auth()) as client:
            response = client.get(state.query + "/api/v1/search",
                                  params={"tags": state.marker, "limit": 100})
        assert response.status_code == 200, response.text
        ids = {item["file_id"] for item in response.json()["items"]}
        return len(ids) if set(state.files) <= ids else None

    return wait_for(found, "search to list every uploaded file")


def downloads_are_identical(state: State, through_ui: bool = True) -> None:
    bases = [state.query] + ([state.ui] if through_ui else [])
    with state.http(headers=state.auth()) as client:
        for file_id, content in state.files.items():
            for base in bases:
                response = client.get(f"{base}/api/v1/files/{file_id}/download")
                assert response.status_code == 200, (base, response.status_code, response.text)
                assert sha(response.content) == sha(content), f"{file_id} differs via {base}"


def finalize_reaches_safety_margin(state: State) -> None:
    ses = _ses_registered(state)
    edit_ids = {se["id"] for se in ses.values() if se["mode"] == "edit"}
    file_id = next(f for f, se in state.placed.items() if se in edit_ids)
    with state.http(headers=state.auth()) as client:
        accepted = client.post(f"{state.admin}/api/v1/files/{file_id}/finalize")
        assert accepted.status_code == 202, accepted.text
        saga_id = accepted.json()["id"]

        def waiting() -> dict | None:
            saga = client.get(f"{state.admin}/api/v1/sagas/{saga_id}").json()
            assert saga["state"] not in ("failed", "compensated"), saga
            return saga if saga["current_step"] == "wait_safety_margin" else None

        saga = wait_for(waiting, "the finalize saga to reach wait_safety_margin")
    state.log(f"  finalize saga {saga_id}: {saga['state']} at {saga['current_step']}")


def ui_index(state: State) -> None:
    with httpx.Client(timeout=30.0) as client:
        response = client.get(state.ui + "/")
    assert response.status_code == 200, response.status_code
    assert "<app-root" in response.text, response.text[:500]
    assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", "")


def smoke(state: State) -> None:
    health(state)
    state.token()
    state.log("  client-credentials token issued")
    upload_to_every_se(state)
    state.log(f"  search lists {search_finds_everything(state)} files")
    downloads_are_identical(state)
    state.log(f"  {len(state.files)} files byte-identical via query and the UI's nginx")
    finalize_reaches_safety_margin(state)
    ui_index(state)


def data_still_there(state: State) -> None:
    health(state)
    state.token()
    search_finds_everything(state)
    downloads_are_identical(state)
    state.log(f"  {len(state.files)} files still there, byte-identical")


# --- monitoring -------------------------------------------------------------------------------


def monitoring(compose, log) -> None:
    prometheus = compose.url("prometheus", 9090, "http")
    config = yaml.safe_load((REPO / "monitoring/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"] for job in config["scrape_configs"]}

    def all_up() -> list | None:
        targets = httpx.get(prometheus + "/api/v1/targets", timeout=30).json()["data"]
        active = targets["activeTargets"]
        down = [(t["labels"]["job"], t["scrapeUrl"], t["lastError"]) for t in active
                if t["health"] != "up"]
        assert not [d for d in down if d[2]], down  # a scrape that failed is a failure
        seen = {t["labels"]["job"] for t in active}
        return active if not down and seen == jobs else None

    active = wait_for(all_up, "every Prometheus target to be up", timeout=120)
    log(f"  prometheus: {len(active)} targets up in {len(jobs)} jobs")
    rule_groups = set()
    for path in (REPO / "monitoring/prometheus/rules").glob("*.yml"):
        rule_groups |= {g["name"] for g in yaml.safe_load(path.read_text())["groups"]}
    loaded = httpx.get(prometheus + "/api/v1/rules", timeout=30).json()["data"]["groups"]
    assert {g["name"] for g in loaded} == rule_groups, (sorted(g["name"] for g in loaded),
                                                        sorted(rule_groups))
    assert all(g["rules"] for g in loaded)
    log(f"  prometheus: {len(loaded)} rule groups, "
        f"{sum(len(g['rules']) for g in loaded)} rules loaded")
    alertmanagers = httpx.get(prometheus + "/api/v1/alertmanagers", timeout=30).json()["data"]
    assert alertmanagers["activeAlertmanagers"], alertmanagers
    alertmanager = compose.url("alertmanager", 9093, "http")
    assert httpx.get(alertmanager + "/-/ready", timeout=30).status_code == 200
    log("  alertmanager: ready, known to Prometheus")
    grafana(compose, log)


def grafana(compose, log) -> None:
    service = compose.project["services"]["grafana"]
    url = compose.url("grafana", 3000, "http")
    health = httpx.get(url + "/api/health", timeout=30).json()
    dashboards_dir = REPO / "monitoring/grafana/dashboards"
    titles = {json.loads(p.read_text())["title"] for p in dashboards_dir.glob("*.json")}
    if not health.get("standin"):
        env = env_of(service)
        auth = (env["GF_SECURITY_ADMIN_USER"], env["GF_SECURITY_ADMIN_PASSWORD"])
        found = httpx.get(url + "/api/search", params={"type": "dash-db"}, auth=auth,
                          timeout=30).json()
        assert titles <= {d["title"] for d in found}, found
        log(f"  grafana: {len(titles)} provisioned dashboards listed by its API")
        return
    # The stand-in cannot serve dashboards: check the provisioning against the mounts instead.
    mounts = {m["target"]: Path(m["source"]) for m in service["volumes"] if m["type"] == "bind"}
    provisioning = mounts["/etc/grafana/provisioning"]
    datasources = yaml.safe_load((provisioning / "datasources/prometheus.yml").read_text())
    assert datasources["apiVersion"] == 1
    ds = {d["uid"]: d for d in datasources["datasources"]}
    assert any(d["type"] == "prometheus" for d in ds.values()), ds
    for d in ds.values():  # every datasource is a service of this project
        assert urlsplit(d["url"]).hostname in compose.project["services"], d
    providers = yaml.safe_load((provisioning / "dashboards/artstore.yml").read_text())
    assert providers["apiVersion"] == 1
    for provider in providers["providers"]:
        path = provider["options"]["path"]
        assert path in mounts and mounts[path].resolve() == dashboards_dir.resolve(), path
    home = env_of(service)["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert (dashboards_dir / Path(home).name).exists(), home
    for path in dashboards_dir.glob("*.json"):
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"] and dashboard["panels"], path
        used = set(re.findall(r'"uid":\s*"([^"]+)"', json.dumps(
            [p.get("datasource") for p in dashboard["panels"]])))
        assert used <= set(ds) | {"${datasource}", "-- Grafana --"}, (path.name, used)
    log(f"  grafana (stand-in): provisioning of {len(titles)} dashboards checked from the files")


# --- upgrade ------------------------------------------------------------------------------------


def _alembic_heads(compose) -> dict[str, str]:
    user = env_of(compose.project["services"]["postgres"])["POSTGRES_USER"]
    heads = {}
    for name, service in artstore_services(compose.project).items():
        url = env_of(service).get("DATABASE_URL")
        if not url:
            continue
        database = url.rsplit("/", 1)[1]
        out = compose("exec", "-T", "postgres", "psql", "-U", user, "-d", database, "-Atc",
                      "SELECT version_num FROM alembic_version", capture=True).stdout.split()
        assert len(out) == 1, (database, out)
        heads[name] = out[0]
    return heads


def upgrade(state: State, compose, env: dict) -> None:
    """A release: rebuilt images under a new tag, `up -d` on the running stack with data."""
    before = _alembic_heads(compose)
    upgraded = {**env, "ARTSTORE_VERSION": "upgrade-check"}
    compose.build(env=upgraded)
    compose.up(env=upgraded)
    running = compose("ps", "--format", "json", capture=True, env=upgraded).stdout
    images = {json.loads(line)["Service"]: json.loads(line)["Image"]
              for line in running.splitlines() if line.strip()}
    for name in artstore_services(compose.project):
        assert images[name].endswith(":upgrade-check"), (name, images[name])
    after = _alembic_heads(compose)
    assert after == before, (before, after)
    for name in after:
        logs = compose("logs", "--no-color", name, capture=True, env=upgraded).stdout
        runs = logs.count('"db.migrated"') + logs.count("db.migrated ")
        state.log(f"  {name}: alembic at {after[name]}, migration step logged {runs}x "
                  "since the upgrade")
    data_still_there(state)
    upload(state, "after-upgrade.bin", os.urandom(64 * 1024), "temporary")
    search_finds_everything(state)
    downloads_are_identical(state, through_ui=False)


# --- images -----------------------------------------------------------------------------------


def image_hygiene(docker: list[str], env: dict, project: dict, work: Path, log) -> None:
    import subprocess

    def sh(*args: str) -> str:
        return subprocess.run([*docker, *args], env=env, capture_output=True, text=True,
                              check=True).stdout

    dockerfiles = {s["image"]: (Path(s["build"]["context"]) / s["build"]["dockerfile"],
                                s["build"].get("target"))
                   for s in project["services"].values() if "build" in s}
    rows = []
    for image, (dockerfile, target) in sorted(dockerfiles.items()):
        info = json.loads(sh("image", "inspect", image))[0]
        config = info["Config"]
        size = info["Size"] / 1e6
        base = json.loads(sh("image", "inspect", _final_base(dockerfile, target)))[0]["Size"] / 1e6
        user = (config.get("User") or "root").split(":")[0]
        assert user not in ("", "0", "root"), f"{image} runs as root"
        assert config.get("Healthcheck", {}).get("Test"), f"{image} has no HEALTHCHECK"
        leftovers = sh("run", "--rm", "--read-only", "--entrypoint", "sh", image, "-c",
                       "for p in /usr/local/bin/uv /root/.cache /root/.npm /app/.cache "
                       "/usr/bin/gcc /usr/bin/cc /usr/bin/make /ui/node_modules; do "
                       "[ -e $p ] && echo $p; done; true").split()
        assert not leftovers, f"{image}: build leftovers in the final stage: {leftovers}"
        sbom = sh("run", "--rm", "--read-only", "--entrypoint", "cat", image,
                  config["Labels"]["org.artstore.sbom"])
        bom = json.loads(sbom)
        assert bom["bomFormat"] == "CycloneDX" and len(bom["components"]) > 5, image
        (work / "sbom").mkdir(exist_ok=True)
        (work / "sbom" / (image.split("/")[1].split(":")[0] + ".cdx.json")).write_text(sbom)
        rows.append(f"  {image:34} {size:6.1f} MB = base {base:6.1f} + ours {size - base:6.1f}"
                    f"  user {user:5} {len(bom['components'])} SBOM components")
    log("image sizes (uncompressed; base = the stand-in):\n" + "\n".join(rows))


def _final_base(dockerfile: Path, target: str | None = None) -> str:
    """The external image the target stage (default: the last) is built on."""
    text = dockerfile.read_text()
    args = dict(re.findall(r"^ARG (\w+)=(\S+)", text, re.M))
    stages = re.findall(r"^FROM (\S+)(?: AS (\S+))?", text, re.M)
    parents = {name: base for base, name in stages if name}
    base = parents[target] if target else stages[-1][0]
    while base in parents:
        base = parents[base]
    return re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
