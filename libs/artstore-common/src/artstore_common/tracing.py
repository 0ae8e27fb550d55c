"""OpenTelemetry tracing: server spans, httpx client spans and W3C ``traceparent`` propagation.

``setup_tracing(app, settings)`` (called by ``create_base_app``) gives each app a
``TracerProvider`` whose resource names the service, wraps the app in the pure-ASGI
OpenTelemetry middleware, and instruments httpx (and aiohttp, when installed) once per
process so every outgoing call carries ``traceparent``. Spans leave the process over
OTLP/HTTP only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set (exporter from the
``artstore-common[otlp]`` extra). Tests attach an ``InMemorySpanExporter``
with ``add_span_exporter``.

Trace ids reach log lines through ``artstore_common.logging.add_trace_ids``.
"""

from __future__ import annotations

import threading
from typing import Any

import structlog
from fastapi import FastAPI
from opentelemetry import propagate, trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from artstore_common.settings import ArtStoreSettings

log = structlog.get_logger(__name__)

# Health probes and scrapes would otherwise produce a span every few seconds.
EXCLUDED_URLS = "/health/live,/health/ready,/metrics"

_lock = threading.Lock()
_extra_exporters: list[SpanExporter] = []
_httpx_instrumented = False


class _ExtraExportersProcessor(SpanProcessor):
    """Forwards finished spans to the exporters tests attach; costs nothing when none are."""

    def on_end(self, span: Any) -> None:
        for exporter in tuple(_extra_exporters):
            exporter.export((span,))


def otlp_traces_endpoint(base: str) -> str:
    """``OTEL_EXPORTER_OTLP_ENDPOINT`` is a base URL; traces go to ``<base>/v1/traces``."""
    base = base.rstrip("/")
    return base if base.endswith("/v1/traces") else base + "/v1/traces"


def _otlp_processor(endpoint: str, settings: ArtStoreSettings) -> SpanProcessor | None:
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        log.warning("tracing.otlp_exporter_missing", hint="install artstore-common[otlp]")
        return None
    exporter_kwargs: dict[str, Any] = {"endpoint": otlp_traces_endpoint(endpoint)}
    if settings.TLS_CA_FILE and endpoint.startswith("https://"):
        exporter_kwargs["certificate_file"] = settings.TLS_CA_FILE
    return BatchSpanProcessor(OTLPSpanExporter(**exporter_kwargs))


def build_tracer_provider(settings: ArtStoreSettings, version: str = "") -> TracerProvider:
    resource = Resource.create(
        {
            "service.name": settings.SERVICE_NAME,
            "service.version": version,
            "deployment.environment": settings.ENVIRONMENT,
        }
    )
    # Only an exporting provider needs flushing at exit; tests build hundreds of apps.
    exporting = bool(settings.OTEL_EXPORTER_OTLP_ENDPOINT)
    provider = TracerProvider(resource=resource, shutdown_on_exit=exporting)
    if exporting:
        processor = _otlp_processor(settings.OTEL_EXPORTER_OTLP_ENDPOINT or "", settings)
        if processor is not None:
            provider.add_span_processor(processor)
            log.info("tracing.otlp_enabled", endpoint=settings.OTEL_EXPORTER_OTLP_ENDPOINT)
    provider.add_span_processor(_ExtraExportersProcessor())
    return provider


def _install_process_wide(provider: TracerProvider) -> None:
    global _httpx_instrumented
    with _lock:
        if _httpx_instrumented:
            return
        _httpx_instrumented = True
    # The first app in a process owns the global provider (one service per process in
    # production); set_tracer_provider ignores later calls, so this stays stable.
    trace.set_tracer_provider(provider)
    propagate.set_global_textmap(CompositePropagator([TraceContextTextMapPropagator()]))
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    _instrument_aiohttp(provider)


def _instrument_aiohttp(provider: TracerProvider) -> None:
    """The ingester streams uploads to SEs with aiohttp; trace and propagate those too."""
    try:
        import aiohttp  # noqa: F401
        from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
    except ImportError:
        return
    AioHttpClientInstrumentor().instrument(tracer_provider=provider)


def setup_tracing(app: FastAPI, settings: ArtStoreSettings) -> TracerProvider:
    """Add the OpenTelemetry ASGI middleware to ``app`` and instrument httpx (once)."""
    provider = build_tracer_provider(settings, app.version)
    _install_process_wide(provider)
    app.add_middleware(
        OpenTelemetryMiddleware,
        tracer_provider=provider,
        excluded_urls=EXCLUDED_URLS,
        # Per-chunk receive/send spans would mean thousands of spans for one large upload.
        exclude_spans=["receive", "send"],
    )
    app.state.tracer_provider = provider
    return provider


def add_span_exporter(exporter: SpanExporter) -> None:
    """Test hook: send every finished span of every app in this process to ``exporter``."""
    with _lock:
        _extra_exporters.append(exporter)


def remove_span_exporter(exporter: SpanExporter) -> None:
    with _lock:
        if exporter in _extra_exporters:
            _extra_exporters.remove(exporter)


def current_trace_id() -> str | None:
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.is_valid else None
