"""Tracing: server spans per app, W3C traceparent across an httpx hop, OTLP export, log ids."""

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
import uvicorn
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from artstore_common.app import create_base_app
from artstore_common.logging import configure_logging
from artstore_common.settings import ArtStoreSettings
from artstore_common.testing import free_port
from artstore_common.tracing import (
    add_span_exporter,
    build_tracer_provider,
    current_trace_id,
    otlp_traces_endpoint,
    remove_span_exporter,
)

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture()
def spans():
    exporter = InMemorySpanExporter()
    add_span_exporter(exporter)
    yield exporter
    remove_span_exporter(exporter)


@pytest.fixture(scope="module")
def downstream():
    """A second service ("se") served by uvicorn on loopback, reached over real HTTP."""
    app = create_base_app(ArtStoreSettings(SERVICE_NAME="unit-se"), title="se", version="0")

    @app.get("/api/v1/files/{file_id}")
    async def read(file_id: str) -> dict:
        return {"file_id": file_id, "trace_id": current_trace_id()}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture()
def upstream(downstream):
    app = create_base_app(ArtStoreSettings(SERVICE_NAME="unit-ingester"), title="i", version="0")

    @app.post("/api/v1/files/{file_id}")
    async def upload(file_id: str) -> dict:
        async with httpx.AsyncClient() as client:
            reply = (await client.get(f"{downstream}/api/v1/files/{file_id}")).json()
        return {"mine": current_trace_id(), "theirs": reply["trace_id"]}

    return app


async def _call(app, path: str, headers: dict | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post(path, headers=headers or {})


async def test_one_trace_spans_both_services(upstream, spans):
    response = await _call(upstream, "/api/v1/files/abc")
    body = response.json()
    assert body["mine"] and body["mine"] == body["theirs"]

    by_service: dict[str, list] = {}
    for span in spans.get_finished_spans():
        by_service.setdefault(span.resource.attributes["service.name"], []).append(span)
    server_in = [s for s in by_service["unit-ingester"] if s.kind is SpanKind.SERVER]
    server_se = [s for s in by_service["unit-se"] if s.kind is SpanKind.SERVER]
    client = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert len(server_in) == 1 and len(server_se) == 1 and len(client) == 1
    trace_id = server_in[0].context.trace_id
    assert format(trace_id, "032x") == body["mine"]
    assert server_se[0].context.trace_id == client[0].context.trace_id == trace_id
    assert server_se[0].parent.span_id == client[0].context.span_id
    assert client[0].parent.span_id == server_in[0].context.span_id


async def test_aiohttp_calls_carry_the_trace_too(downstream, spans):
    aiohttp = pytest.importorskip("aiohttp")
    app = create_base_app(ArtStoreSettings(SERVICE_NAME="unit-aio"), title="a", version="0")

    @app.post("/api/v1/files/{file_id}")
    async def upload(file_id: str) -> dict:
        async with aiohttp.ClientSession() as session, session.get(
            f"{downstream}/api/v1/files/{file_id}"
        ) as reply:
            theirs = (await reply.json())["trace_id"]
        return {"mine": current_trace_id(), "theirs": theirs}

    body = (await _call(app, "/api/v1/files/aio")).json()
    assert body["mine"] and body["mine"] == body["theirs"]
    client = [s for s in spans.get_finished_spans() if s.kind is SpanKind.CLIENT]
    assert len(client) == 1 and format(client[0].context.trace_id, "032x") == body["mine"]


async def test_incoming_traceparent_is_continued(upstream, spans):
    headers = {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}
    body = (await _call(upstream, "/api/v1/files/x", headers)).json()
    assert body["mine"] == TRACE_ID == body["theirs"]


async def test_health_and_metrics_make_no_spans(spans):
    app = create_base_app(ArtStoreSettings(SERVICE_NAME="unit-quiet"), title="q", version="0")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/health/live")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200
    assert [s for s in spans.get_finished_spans()
            if s.resource.attributes["service.name"] == "unit-quiet"] == []


@pytest.fixture()
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_request_log_line_carries_the_trace_id(upstream, spans, capsys, restore_logging):
    configure_logging("unit-ingester", fmt="json")
    headers = {"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"}
    await _call(upstream, "/api/v1/files/logged", headers)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()
             if line.startswith("{")]
    request_lines = [line for line in lines if line.get("event") == "http.request"]
    assert any(line.get("trace_id") == TRACE_ID for line in request_lines)


class _Collector(BaseHTTPRequestHandler):
    bodies: list[tuple[str, bytes]] = []

    def do_POST(self):  # noqa: N802 - http.server API
        length = int(self.headers["Content-Length"])
        self.bodies.append((self.path, self.rfile.read(length)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_spans_are_exported_over_otlp_when_endpoint_is_set():
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_port}"
        settings = ArtStoreSettings(SERVICE_NAME="unit-otlp", OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
        provider = build_tracer_provider(settings, "1.2.3")
        with provider.get_tracer("t").start_as_current_span("work"):
            pass
        assert provider.force_flush()
        provider.shutdown()
    finally:
        server.shutdown()
    assert _Collector.bodies and _Collector.bodies[0][0] == "/v1/traces"
    request = ExportTraceServiceRequest.FromString(_Collector.bodies[0][1])
    resource = {a.key: a.value.string_value for a in request.resource_spans[0].resource.attributes}
    assert resource["service.name"] == "unit-otlp"
    assert request.resource_spans[0].scope_spans[0].spans[0].name == "work"


def test_otlp_endpoint_is_a_base_url():
    assert otlp_traces_endpoint("http://otel:4318") == "http://otel:4318/v1/traces"
    assert otlp_traces_endpoint("http://otel:4318/v1/traces/") == "http://otel:4318/v1/traces"
