#!/usr/bin/env python3
"""Generate the Grafana dashboards in ``dashboards/`` from the definitions below.

    python monitoring/grafana/build_dashboards.py          # rewrite the JSON files
    python monitoring/grafana/build_dashboards.py --check  # exit 1 if they are out of date

Edit the panels here, not the JSON: a test checks that the committed JSON matches this file and
that every ``artstore_*`` metric a panel queries is exported by the services.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "dashboards"
DS = {"type": "prometheus", "uid": "prometheus"}
SERVICES = 'job=~"admin-module|storage-element|ingester-module|query-module"'


def ts(title, *queries, unit="short", w=12, h=8, stack=False, description=""):
    return {
        "type": "timeseries", "title": title, "description": description, "w": w, "h": h,
        "queries": queries, "unit": unit,
        "custom": {"fillOpacity": 15 if stack else 5,
                   "stacking": {"mode": "normal" if stack else "none"}},
    }


def stat(title, query, unit="short", w=6, h=4, thresholds=None, description="", mappings=None):
    return {"type": "stat", "title": title, "description": description, "w": w, "h": h,
            "queries": [query], "unit": unit, "thresholds": thresholds, "mappings": mappings}


def gauge(title, query, unit="percentunit", w=12, h=8, thresholds=None, description=""):
    return {"type": "bargauge", "title": title, "description": description, "w": w, "h": h,
            "queries": [query], "unit": unit, "thresholds": thresholds, "min": 0, "max": 1}


def table(title, query, w=12, h=8, description=""):
    return {"type": "table", "title": title, "description": description, "w": w, "h": h,
            "queries": [query], "unit": "short", "instant": True}


def row(title):
    return {"type": "row", "title": title, "w": 24, "h": 1}


CAPACITY_STEPS = [("green", None), ("yellow", 0.8), ("orange", 0.9), ("red", 0.98)]
BAD_IF_ABOVE_ZERO = [("green", None), ("red", 1)]
GOOD_IF_ONE = [("red", None), ("green", 1)]

OVERVIEW = [
    row("Services"),
    stat("Targets up", (f"sum by (job) (up{{{SERVICES}}})", "{{job}}"), w=8,
         description="Scraped service instances answering /metrics"),
    stat("Firing alerts", ('count(ALERTS{alertstate="firing"}) or vector(0)', "firing"), w=4,
         thresholds=[("green", None), ("red", 1)]),
    stat("Storage used (all SEs)",
         ("sum(artstore_se_used_bytes) / sum(artstore_se_capacity_bytes)", "used"),
         unit="percentunit", w=4, thresholds=CAPACITY_STEPS),
    stat("Uploads / min", ("sum(rate(artstore_ingest_uploads_total[5m])) * 60", "uploads"),
         w=4),
    stat("Downloads / min",
         ("sum(rate(artstore_query_downloads_total[5m])) * 60", "downloads"), w=4),
    row("HTTP"),
    ts("Requests / s by service",
       ("sum by (job) (rate(artstore_http_requests_total[5m]))", "{{job}}"), unit="reqps"),
    ts("5xx ratio by service", ("artstore:http_5xx_ratio_5m", "{{job}} {{instance}}"),
       unit="percentunit"),
    ts("p95 latency (without transfers)",
       ("artstore:http_request_duration_seconds:p95_5m", "{{job}} {{instance}}"), unit="s"),
    ts("Requests in progress",
       ("sum by (job) (artstore_http_requests_in_progress)", "{{job}}"), stack=True),
    ts("Responses by status class",
       ('sum by (class) (label_replace(rate(artstore_http_requests_total[5m]), "class",'
        ' "${1}xx", "status", "(.).."))', "{{class}}"), unit="reqps", stack=True),
    ts("Top routes by p95 latency",
       ("topk(8, histogram_quantile(0.95, sum by (job, method, route, le) "
        "(rate(artstore_http_request_duration_seconds_bucket[5m]))))",
        "{{job}} {{method}} {{route}}"), unit="s"),
    row("Host"),
    ts("CPU busy", ('1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))',
                    "{{instance}}"), unit="percentunit", w=8),
    ts("Memory available",
       ("node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", "{{instance}}"),
       unit="percentunit", w=8),
    ts("Disk free",
       ('node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"}'
        ' / node_filesystem_size_bytes{fstype!~"tmpfs|overlay"}', "{{mountpoint}}"),
       unit="percentunit", w=8),
]

STORAGE = [
    row("Capacity"),
    gauge("Used / capacity per SE", ("artstore:se_used_ratio", "{{se}}"),
          thresholds=CAPACITY_STEPS),
    table("Mode of each SE", ("artstore_se_mode == 1", "{{se}} {{mode}}"),
          description="One row per SE: its current mode (edit, rw, ro, ar)"),
    ts("Used bytes per SE", ("artstore_se_used_bytes", "{{se}} used"),
       ("artstore_se_capacity_bytes", "{{se}} capacity"), unit="bytes"),
    ts("24 h fill forecast", ("predict_linear(artstore_se_used_bytes[6h], 86400)", "{{se}}"),
       ("artstore_se_capacity_bytes", "{{se}} capacity"), unit="bytes",
       description="Linear extrapolation of the last 6 hours, 24 hours ahead"),
    stat("SEs up", ('sum(up{job="storage-element"})', "up"), w=6),
    stat("SEs writable (edit/rw, up, < 98%)",
         ('count((artstore_se_mode{mode=~"edit|rw"} == 1) and on (instance) '
          '(up{job="storage-element"} == 1) and on (instance) (artstore:se_used_ratio < 0.98))'
          ' or vector(0)', "writable"), w=6, thresholds=GOOD_IF_ONE),
    stat("Files stored / min (SE side)",
         ('sum(rate(artstore_se_uploads_total[5m])) * 60', "uploads"), w=6),
    stat("Bytes stored / s", ("sum(rate(artstore_se_upload_bytes_total[5m]))", "bytes"),
         unit="Bps", w=6),
    table("Health of each SE (admin registry)",
          ("artstore_storage_element_status == 1", "{{name}} {{status}}"),
          description="online / degraded / offline, from the admin module's health polling"),
    ts("Sagas by type and state (per hour)",
       ("sum by (type, state) (increase(artstore_saga_total[1h]))", "{{type}} {{state}}"),
       description="Mode transitions, finalize and retention cleanup"),
    row("Write path"),
    ts("Outbox backlog (events not yet in Redis)", ("artstore_se_outbox_backlog", "{{se}}")),
    ts("WAL intents pending", ("artstore_se_wal_pending", "{{se}}")),
    ts("SE uploads by outcome",
       ("sum by (se, outcome) (rate(artstore_se_uploads_total[5m]))", "{{se}} {{outcome}}"),
       unit="reqps", stack=True),
    ts("Bytes stored / s per SE",
       ("sum by (se) (rate(artstore_se_upload_bytes_total[5m]))", "{{se}}"), unit="Bps"),
    row("Integrity"),
    ts("Fixity checks by outcome (per hour)",
       ("sum by (se, source, outcome) (increase(artstore_se_fixity_results_total[1h]))",
        "{{se}} {{source}} {{outcome}}")),
    ts("Consistency issues (last report)",
       ("sum by (se, kind) (artstore_se_consistency_issues)", "{{se}} {{kind}}"),
       stack=True),
    row("Copies"),
    ts("Under-replicated and lost files (last repairer scan)",
       ("max(artstore_copies_under_replicated_files)", "under-replicated"),
       ("max(artstore_copies_lost_files)", "lost"),
       description="Files below their copy policy's target, and files with no healthy copy"),
    ts("Files whose only healthy copy is on this SE",
       ("max by (se) (artstore_copies_sole_copy_files)", "{{se}}")),
    ts("Repairer copies (per hour)",
       ("sum by (outcome) (increase(artstore_copies_repairs_total[1h]))", "{{outcome}}")),
]

INGEST_SEARCH = [
    row("Ingest"),
    ts("Uploads by result", ("sum by (result) (rate(artstore_ingest_uploads_total[5m]))",
                             "{{result}}"), unit="reqps", stack=True),
    ts("Ingest throughput", ("sum(rate(artstore_ingest_bytes_total[5m]))", "bytes/s"),
       unit="Bps"),
    ts("Upload duration p95 by size bucket",
       ("histogram_quantile(0.95, sum by (size_bucket, le) "
        "(rate(artstore_ingest_upload_duration_seconds_bucket[5m])))", "{{size_bucket}}"),
       unit="s"),
    ts("Upload duration p50 by size bucket",
       ("histogram_quantile(0.5, sum by (size_bucket, le) "
        "(rate(artstore_ingest_upload_duration_seconds_bucket[5m])))", "{{size_bucket}}"),
       unit="s"),
    ts("Placement skips and failures by reason",
       ("sum by (reason) (rate(artstore_ingest_placement_failures_total[5m]))", "{{reason}}"),
       unit="reqps", stack=True),
    ts("Compression: stored / original (median)",
       ("histogram_quantile(0.5, sum by (le) "
        "(rate(artstore_ingest_compression_ratio_bucket[30m])))", "median ratio"),
       unit="percentunit"),
    ts("Circuit breakers (0 closed, 1 half-open, 2 open)",
       ("artstore_circuit_breaker_state", "{{service}} → {{target}}"), w=24),
    row("Search and download"),
    ts("Searches by mode", ("sum by (mode) (rate(artstore_query_searches_total[5m]))",
                            "{{mode}}"), unit="reqps", stack=True),
    ts("Search latency p95",
       ('histogram_quantile(0.95, sum by (method, le) (rate('
        'artstore_http_request_duration_seconds_bucket{job="query-module",'
        ' route="/api/v1/search"}[5m])))', "{{method}}"), unit="s"),
    ts("Downloads by result", ("sum by (result) (rate(artstore_query_downloads_total[5m]))",
                               "{{result}}"), unit="reqps", stack=True),
    ts("Download throughput", ("sum(rate(artstore_query_download_bytes_total[5m]))",
                               "bytes/s"), unit="Bps"),
    ts("Download duration p95 by size bucket",
       ("histogram_quantile(0.95, sum by (size_bucket, le) "
        "(rate(artstore_query_download_duration_seconds_bucket[5m])))", "{{size_bucket}}"),
       unit="s"),
    ts("Metadata cache hit ratio by layer",
       ('sum by (layer) (rate(artstore_query_metadata_cache_total{result="hit"}[5m]))'
        " / sum by (layer) (rate(artstore_query_metadata_cache_total[5m]))", "{{layer}}"),
       unit="percentunit"),
    row("Catalog (event stream → search index)"),
    ts("Index lag", ("artstore_query_index_lag_seconds", "{{instance}}"), unit="s"),
    ts("Events backlog by state", ("sum by (state) (artstore_query_events_backlog)",
                                   "{{state}}"), stack=True),
    ts("Events applied by type and result",
       ("sum by (type, result) (rate(artstore_query_events_total[5m]))",
        "{{type}} {{result}}"), unit="reqps", stack=True),
    ts("Catalog drift and re-index",
       ("sum by (kind) (increase(artstore_query_catalog_drift_total[1h]))", "drift {{kind}}"),
       ("sum by (result) (increase(artstore_query_reindex_files_total[1h]))",
        "reindex {{result}}")),
    ts("Discovery publications (admin → Redis)",
       ("sum by (outcome) (rate(artstore_discovery_publish_total[5m]))", "{{outcome}}"),
       unit="reqps", w=24),
]

SECURITY = [
    row("Integrity of the audit log and keys"),
    stat("Audit chain", ("min(artstore_audit_chain_valid)", "valid"), w=6,
         thresholds=GOOD_IF_ONE,
         mappings=[{"type": "value", "options": {"0": {"text": "BROKEN"}, "1": {"text": "OK"}}}]),
    stat("Active signing key age",
         ("time() - max(artstore_jwt_active_key_created_timestamp_seconds)", "age"), unit="s",
         w=6),
    stat("Public keys in JWKS", ("max(artstore_jwt_keys_published)", "keys"), w=6),
    stat("Key rotations (24 h)",
         ("sum(increase(artstore_jwt_key_rotations_total[24h])) or vector(0)", "rotations"),
         w=6),
    ts("Audit chain verifications by result",
       ("sum by (result) (increase(artstore_audit_chain_verifications_total[1h]))",
        "{{result}}")),
    ts("Key rotations by reason",
       ("sum by (reason) (increase(artstore_jwt_key_rotations_total[1h]))", "{{reason}}")),
    row("Tokens and logins"),
    ts("Tokens issued by principal type",
       ("sum by (ptype, grant) (rate(artstore_tokens_issued_total[5m]))",
        "{{ptype}} {{grant}}"), unit="reqps", stack=True),
    ts("Token requests refused by reason",
       ("sum by (reason) (rate(artstore_token_failures_total[5m]))", "{{reason}}"),
       unit="reqps", stack=True),
    ts("Admin logins by outcome",
       ("sum by (outcome) (rate(artstore_admin_logins_total[5m]))", "{{outcome}}"),
       unit="reqps", stack=True),
    ts("Lockouts and refresh-token reuse (per hour)",
       ("sum(increase(artstore_admin_lockouts_total[1h]))", "lockouts"),
       ("sum(increase(artstore_refresh_token_reuse_total[1h]))", "refresh reuse")),
    row("Abuse"),
    ts("Rate-limit hits by scope",
       ("sum by (scope) (rate(artstore_rate_limit_hits_total[5m]))", "{{scope}}"),
       unit="reqps", stack=True),
    ts("Rate limiter failing open (Redis errors)",
       ("sum by (scope) (rate(artstore_rate_limit_errors_total[5m]))", "{{scope}}"),
       unit="reqps"),
    ts("401 / 403 answers by service",
       ('sum by (job, status) (rate(artstore_http_requests_total{status=~"401|403"}[5m]))',
        "{{job}} {{status}}"), unit="reqps", w=24),
]

DASHBOARDS = {
    "artstore-overview": ("ArtStore — Overview", ["artstore", "overview"], OVERVIEW),
    "artstore-storage": ("ArtStore — Storage", ["artstore", "storage"], STORAGE),
    "artstore-ingest-search": ("ArtStore — Ingest & Search", ["artstore", "ingest", "search"],
                               INGEST_SEARCH),
    "artstore-security": ("ArtStore — Security", ["artstore", "security"], SECURITY),
}


def _thresholds(steps):
    steps = steps or [("green", None)]
    return {"mode": "absolute", "steps": [{"color": c, "value": v} for c, v in steps]}


def _panel(spec, panel_id, x, y):
    grid = {"h": spec["h"], "w": spec["w"], "x": x, "y": y}
    if spec["type"] == "row":
        return {"id": panel_id, "type": "row", "title": spec["title"], "collapsed": False,
                "gridPos": grid, "panels": []}
    targets = []
    for index, (expr, legend) in enumerate(spec["queries"]):
        target = {"refId": chr(ord("A") + index), "datasource": DS, "expr": expr,
                  "legendFormat": legend}
        if spec.get("instant"):
            target.update({"instant": True, "range": False, "format": "table"})
        targets.append(target)
    defaults = {"unit": spec["unit"], "thresholds": _thresholds(spec.get("thresholds"))}
    if spec.get("custom"):
        defaults["custom"] = spec["custom"]
    if spec.get("mappings"):
        defaults["mappings"] = spec["mappings"]
    if "min" in spec:
        defaults.update({"min": spec["min"], "max": spec["max"]})
    panel = {"id": panel_id, "type": spec["type"], "title": spec["title"],
             "description": spec["description"], "datasource": DS, "gridPos": grid,
             "targets": targets, "fieldConfig": {"defaults": defaults, "overrides": []},
             "options": {}}
    if spec["type"] == "bargauge":
        panel["options"] = {"orientation": "horizontal", "displayMode": "gradient"}
    if spec["type"] == "timeseries":
        panel["options"] = {"legend": {"displayMode": "list", "placement": "bottom"},
                            "tooltip": {"mode": "multi"}}
    return panel


def build(uid, title, tags, specs):
    panels, x, y, row_h = [], 0, 0, 0
    for panel_id, spec in enumerate(specs, start=1):
        if x + spec["w"] > 24:
            x, y, row_h = 0, y + row_h, 0
        panels.append(_panel(spec, panel_id, x, y))
        x, row_h = x + spec["w"], max(row_h, spec["h"])
        if spec["type"] == "row":
            x, y, row_h = 0, y + spec["h"], 0
    return {
        "uid": uid, "title": title, "tags": tags, "editable": False, "schemaVersion": 39,
        "version": 1, "time": {"from": "now-6h", "to": "now"}, "refresh": "30s",
        "timezone": "utc", "graphTooltip": 1, "panels": panels,
        "templating": {"list": []}, "annotations": {"list": []},
        "links": [{"title": "ArtStore dashboards", "type": "dashboards", "tags": ["artstore"],
                   "asDropdown": True}],
    }


def render() -> dict[str, str]:
    return {f"{uid}.json": json.dumps(build(uid, *spec), indent=2, ensure_ascii=False) + "\n"
            for uid, spec in DASHBOARDS.items()}


def main(argv: list[str]) -> int:
    files = render()
    if "--check" in argv:
        stale = [name for name, text in files.items()
                 if not (OUT / name).exists() or (OUT / name).read_text("utf-8") != text]
        for name in stale:
            print(f"out of date: {OUT / name}")
        return 1 if stale else 0
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
