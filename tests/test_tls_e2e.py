"""The whole suite with TLS on, end to end, and one trace across ingester and storage element.

The suite (scripts/suite.py) runs here with an internal CA (scripts/gen-certs.py): every service
serves HTTPS with TLS 1.3 as the floor and every inter-service client — admin → SE (registration,
health), ingester/query → SE, every service → admin JWKS and token endpoint — verifies against
``TLS_CA_FILE``. An upload, a search and a download succeed; a client trusting another CA, a
TLS 1.2-only client and a plain-HTTP client are refused by every service.

The services also export their spans over OTLP/HTTP to a collector held in memory by this test:
an upload is one trace from the ingester's server span through its client span to the SE's
server span (W3C ``traceparent``), a download one trace from query to SE, and the trace id is in
the log lines of both services.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import secrets
import shutil
import ssl
import subprocess
import sys
import threading
import types
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from e2e_support import wait_for
from opentelemetry.instrumentation.utils import suppress_http_instrumentation
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from artstore_common.testing import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
SERVICE_NAMES = ("admin", "se-edit-1", "se-rw-1", "se-rw-2", "ingester", "query")
COMPOSE_NAMES = {"admin": "admin-module", "ingester": "ingester-module", "query": "query-module"}


def _load(name: str, path: Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


class Collector:
    """An OTLP/HTTP trace receiver keeping every span in memory."""

    def __init__(self) -> None:
        self.spans: list[dict] = []
        self.lock = threading.Lock()
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = ExportTraceServiceRequest.FromString(body)
                collector.add(request)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def add(self, request: ExportTraceServiceRequest) -> None:
        found = []
        for resource_spans in request.resource_spans:
            attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    found.append({
                        "service": attrs.get("service.name"), "name": span.name,
                        "kind": span.kind, "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(), "parent_id": span.parent_span_id.hex(),
                    })
        with self.lock:
            self.spans.extend(found)

    def trace(self, trace_id: str) -> list[dict]:
        with self.lock:
            return [s for s in self.spans if s["trace_id"] == trace_id]


SERVER, CLIENT = 2, 3  # opentelemetry.proto.trace.v1.Span.SpanKind


def untraced():
    """Send our own ``traceparent``: stop httpx instrumentation in this test process (set up by
    any in-process app an earlier test created) from replacing it with one of its own."""
    return suppress_http_instrumentation()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    gen = _load("gen_certs_e2e", REPO / "scripts" / "gen-certs.py")
    good, other = tmp_path_factory.mktemp("pki"), tmp_path_factory.mktemp("other-pki")
    # The compose names too, so the admin UI's nginx (which checks those) can be tested here.
    gen.generate(good, list(SERVICE_NAMES), sans=list(COMPOSE_NAMES.values()))
    gen.generate(other, ["intruder"])
    return {"dir": good, "ca": good / "ca.crt", "other_ca": other / "ca.crt"}


@pytest.fixture(scope="module")
def collector():
    collector = Collector()
    collector.thread.start()
    yield collector
    collector.server.shutdown()


@pytest.fixture(scope="module")
def tls_suite(pki, collector):
    suite_module = _load("artstore_suite_tls", REPO / "scripts" / "suite.py")
    root = REPO / ".artstore" / "test-suites" / f"tls-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    handle = suite_module.Suite(
        root, fast=True, fixed_ports=False, with_ui=False, tls_dir=pki["dir"],
        extra_env={"OTEL_EXPORTER_OTLP_ENDPOINT": collector.url,
                   "OTEL_BSP_SCHEDULE_DELAY": "200", "LOG_FORMAT": "json"})
    try:
        handle.env = handle.up()
        yield handle
    finally:
        handle.down()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def client(tls_suite, pki):
    env = tls_suite.env
    with httpx.Client(verify=ssl.create_default_context(cafile=str(pki["ca"])),
                      timeout=60.0) as http:
        token = http.post(env["ADMIN_URL"] + "/api/v1/auth/token", data={
            "grant_type": "client_credentials", "client_id": env["ARTSTORE_CLIENT_ID"],
            "client_secret": env["ARTSTORE_CLIENT_SECRET"]}).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"
        yield http


def service_urls(env: dict[str, str]) -> dict[str, str]:
    urls = {"admin": env["ADMIN_URL"], "ingester": env["INGESTER_URL"],
            "query": env["QUERY_URL"]}
    urls.update({f"se{i}": u for i, u in enumerate(env["SE_URLS"].split(","), start=1)})
    return urls


def test_every_service_speaks_tls13_only_https(tls_suite, client):
    urls = service_urls(tls_suite.env)
    assert all(url.startswith("https://") for url in urls.values())
    for name, url in urls.items():
        response = client.get(url + "/health/ready")
        assert response.status_code == 200, (name, response.text)
        ssl_object = response.extensions["network_stream"].get_extra_info("ssl_object")
        assert ssl_object.version() == "TLSv1.3", name


def test_upload_search_download_over_tls(tls_suite, client):
    env = tls_suite.env
    word = f"tls{uuid.uuid4().hex[:10]}"
    content = f"{word} secret-free body ".encode() * 200
    response = client.post(env["INGESTER_URL"] + "/api/v1/files",
                           data={"retention_policy": "temporary", "description": word},
                           files={"file": (f"{word}.txt", content, "text/plain")})
    assert response.status_code == 201, response.text
    file_id = response.json()["file_id"]
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()

    def found():
        result = client.get(env["QUERY_URL"] + "/api/v1/search",
                            params={"q": word, "mode": "partial"}).json()
        return [i for i in result["items"] if i["file_id"] == file_id]

    wait_for(found, "the catalog to index the upload (SE → Redis → query)")
    download = client.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}/download")
    assert download.status_code == 200 and download.content == content
    ses = client.get(env["ADMIN_URL"] + "/api/v1/storage-elements").json()["items"]
    assert ses and all(se["api_url"].startswith("https://") for se in ses)
    assert all(se["status"] == "online" for se in ses), ses


@pytest.mark.parametrize("service", ["admin", "ingester", "query", "se1", "se2"])
def test_client_trusting_another_ca_is_refused(tls_suite, pki, service):
    url = service_urls(tls_suite.env)[service]
    context = ssl.create_default_context(cafile=str(pki["other_ca"]))
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(url + "/health/live", verify=context, timeout=10.0)


@pytest.mark.parametrize("service", ["admin", "ingester", "query", "se1", "se2"])
def test_tls12_only_client_is_refused(tls_suite, pki, service):
    url = service_urls(tls_suite.env)[service]
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/health/live", verify=context, timeout=10.0)


def test_plain_http_is_not_served_on_tls_ports(tls_suite):
    url = service_urls(tls_suite.env)["ingester"].replace("https://", "http://")
    with pytest.raises(httpx.HTTPError):
        response = httpx.get(url + "/health/live", timeout=10.0)
        response.raise_for_status()


def _one_trace(collector: Collector, trace_id: str, downstream_prefix: str) -> dict:
    """Wait until the trace holds the downstream SE's server span, the caller's client span
    that is its parent, and that span's own parent (services export on their own schedule)."""

    def complete():
        spans = collector.trace(trace_id)
        by_id = {s["span_id"]: s for s in spans}
        for span in spans:
            if span["kind"] == SERVER and span["service"].startswith(downstream_prefix):
                parent = by_id.get(span["parent_id"])
                if parent and parent["parent_id"] in by_id:
                    return {"spans": spans, "downstream": span, "parent": parent,
                            "by_id": by_id}
        return None

    return wait_for(complete, f"spans of trace {trace_id} reaching {downstream_prefix}*")


def test_upload_is_one_trace_across_ingester_and_storage_element(tls_suite, client, collector):
    env = tls_suite.env
    trace_id = secrets.token_hex(16)
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    with untraced():
        response = client.post(env["INGESTER_URL"] + "/api/v1/files",
                               headers={"traceparent": traceparent},
                               data={"retention_policy": "temporary"},
                               files={"file": ("traced.txt", b"follow me " * 100, "text/plain")})
    assert response.status_code == 201, response.text

    found = _one_trace(collector, trace_id, "se-")
    parent = found["parent"]
    assert parent["kind"] == CLIENT and parent["service"] == "ingester-module"
    ingester_server = found["by_id"][parent["parent_id"]]
    assert ingester_server["kind"] == SERVER and ingester_server["service"] == "ingester-module"
    logs = Path(env["LOG_DIR"])
    assert trace_id in (logs / "ingester.log").read_text(errors="replace")
    se_log = found["downstream"]["service"]
    assert trace_id in (logs / f"{se_log}.log").read_text(errors="replace")


def test_download_is_one_trace_across_query_and_storage_element(tls_suite, client, collector):
    env = tls_suite.env
    upload = client.post(env["INGESTER_URL"] + "/api/v1/files",
                         data={"retention_policy": "permanent"},
                         files={"file": ("fetched.txt", b"fetch me " * 100, "text/plain")})
    assert upload.status_code == 201, upload.text
    file_id = upload.json()["file_id"]
    wait_for(lambda: client.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}").status_code
             == 200, "the catalog to know the file")
    trace_id = secrets.token_hex(16)
    with untraced():
        download = client.get(f"{env['QUERY_URL']}/api/v1/files/{file_id}/download",
                              headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
    assert download.status_code == 200
    found = _one_trace(collector, trace_id, "se-")
    assert found["parent"]["kind"] == CLIENT and found["parent"]["service"] == "query-module"


def test_admin_sync_is_one_trace_across_admin_and_storage_element(tls_suite, client, collector):
    env = tls_suite.env
    se = client.get(env["ADMIN_URL"] + "/api/v1/storage-elements").json()["items"][0]
    trace_id = secrets.token_hex(16)
    with untraced():
        response = client.post(
            f"{env['ADMIN_URL']}/api/v1/storage-elements/{se['id']}/sync",
            headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"})
    assert response.status_code == 200, response.text
    found = _one_trace(collector, trace_id, "se-")
    assert found["parent"]["kind"] == CLIENT and found["parent"]["service"] == "admin-module"

@pytest.fixture(scope="module")
def ui_nginx(tls_suite, pki, tmp_path_factory):
    """admin-ui/nginx.conf as shipped, with the compose hosts pointed at this suite."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        message = "nginx not installed (apt-get install nginx-light)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    work = tmp_path_factory.mktemp("nginx")
    env = tls_suite.env
    site = (REPO / "admin-ui" / "nginx.conf").read_text()
    for key, host in (("ADMIN_URL", "admin-module"), ("INGESTER_URL", "ingester-module"),
                      ("QUERY_URL", "query-module")):
        port = env[key].rsplit(":", 1)[1]
        site, count = re.subn(rf"server {host}:\d+;", f"server 127.0.0.1:{port};", site)
        assert count == 1, host
    port = free_port()
    dist = REPO / "admin-ui" / "dist" / "admin-ui" / "browser"
    site = (site.replace("listen 4200;", f"listen 127.0.0.1:{port};")
            .replace("listen [::]:4200;", "")
            .replace("/certs/ca.crt", str(pki["ca"]))
            .replace("/usr/share/nginx/html", str(dist)))
    (work / "site.conf").write_text(site)
    temp = "".join(f"{kind}_temp_path {work}/{kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (work / "nginx.conf").write_text(
        f"user root;\ndaemon off;\npid {work}/nginx.pid;\nerror_log {work}/error.log;\n"
        f"events {{}}\nhttp {{\n include /etc/nginx/mime.types;\n access_log off;\n{temp}"
        f" include {work}/site.conf;\n}}\n")
    proc = subprocess.Popen([nginx, "-c", str(work / "nginx.conf"), "-p", str(work)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: proc.poll() is None and _answers(url + "/healthz"), "nginx to listen")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def test_admin_ui_nginx_routes_the_api_to_each_service_over_verified_tls(ui_nginx, tls_suite):
    env = tls_suite.env
    token = httpx.post(ui_nginx + "/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": env["ARTSTORE_CLIENT_ID"],
        "client_secret": env["ARTSTORE_CLIENT_SECRET"]}, timeout=30.0)
    assert token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    assert token.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in token.headers["content-security-policy"]
    word = f"ui{uuid.uuid4().hex[:10]}"
    content = word.encode() * 4096
    upload = httpx.post(ui_nginx + "/api/v1/files", headers=headers, timeout=60.0,
                        data={"retention_policy": "temporary", "description": word},
                        files={"file": (f"{word}.bin", content, "application/octet-stream")})
    assert upload.status_code == 201, upload.text  # POST /api/v1/files → ingester
    file_id = upload.json()["file_id"]
    wait_for(lambda: httpx.get(ui_nginx + "/api/v1/search", headers=headers, timeout=30.0,
                               params={"q": word, "mode": "partial"}).json()["total"] >= 1,
             "search through nginx → query")
    download = httpx.get(f"{ui_nginx}/api/v1/files/{file_id}/download", headers=headers,
                         timeout=60.0)
    assert download.status_code == 200 and download.content == content
    listing = httpx.get(ui_nginx + "/api/v1/storage-elements", headers=headers, timeout=30.0)
    assert listing.status_code == 200 and listing.json()["total"] >= 2  # → admin
    jwks = httpx.get(ui_nginx + "/.well-known/jwks.json", timeout=30.0)
    assert jwks.status_code == 200 and jwks.json()["keys"]


def test_admin_ui_nginx_serves_the_app_with_spa_fallback(ui_nginx):
    index = REPO / "admin-ui" / "dist" / "admin-ui" / "browser" / "index.html"
    if not index.exists():
        message = "admin UI not built (make install-ui)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    for path in ("/", "/storage-elements/some-id"):
        response = httpx.get(ui_nginx + path, timeout=10.0)
        assert response.status_code == 200
        assert response.text == index.read_text()
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["x-frame-options"] == "DENY"

def test_compose_bootstrap_step_registers_ses_and_writes_working_credentials(
        tls_suite, pki, tmp_path):
    """scripts/compose-init.py (the compose `bootstrap` step), run twice against this suite."""
    env = tls_suite.env
    admin_state = tmp_path / "admin-bootstrap.env"
    admin_state.write_text(f"ARTSTORE_CLIENT_SECRET={env['ARTSTORE_CLIENT_SECRET']}\n")
    out = tmp_path / "bootstrap"
    run_env = {**os.environ, "ADMIN_URL": env["ADMIN_URL"], "SE_URLS": env["SE_URLS"],
               "ARTSTORE_CLIENT_ID": env["ARTSTORE_CLIENT_ID"], "ARTSTORE_CLIENT_SECRET": "",
               "ARTSTORE_BOOTSTRAP_FILE": str(admin_state), "BOOTSTRAP_DIR": str(out),
               "TLS_CA_FILE": str(pki["ca"])}
    script = [sys.executable, str(REPO / "scripts" / "compose-init.py")]
    first = subprocess.run(script, env=run_env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.count("already registered") == len(env["SE_URLS"].split(","))
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    saved = {}
    for prefix, filename in (("INGESTER", "ingester.json"), ("QUERY", "query.json")):
        path = out / filename
        assert path.stat().st_mode & 0o077 == 0
        saved[filename] = creds = json.loads(path.read_text())
        response = httpx.post(env["ADMIN_URL"] + "/api/v1/auth/token", verify=context, data={
            "grant_type": "client_credentials", "client_id": creds[f"{prefix}_CLIENT_ID"],
            "client_secret": creds[f"{prefix}_CLIENT_SECRET"]})
        assert response.status_code == 200, response.text
    second = subprocess.run(script, env=run_env, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.count("credentials still valid") == 2
    for filename, creds in saved.items():
        assert json.loads((out / filename).read_text()) == creds
