"""Every metric the dashboards and alert rules use is exported by the running suite.

Starts the suite (shared session fixture), performs uploads, searches and downloads, scrapes
every service's /metrics and checks: each ``artstore_*`` name in the Grafana dashboards and the
Prometheus rules is exported by at least one service; HTTP metrics carry route templates, never
raw ids; the domain metrics SPEC §3 lists are present where they belong.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
import yaml
from e2e_support import Api, client_token, wait_for
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parent.parent
MON = REPO / "monitoring"
METRIC_NAME = re.compile(r"\bartstore_[a-z0-9_]+\b")


def names_used_by_monitoring() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in sorted((MON / "prometheus" / "rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                label = f"{path.name}:{rule.get('alert') or rule.get('record')}"
                for name in METRIC_NAME.findall(rule["expr"]):
                    used.setdefault(name, set()).add(label)
    for path in sorted((MON / "grafana" / "dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                for name in METRIC_NAME.findall(target["expr"]):
                    used.setdefault(name, set()).add(f"{path.name}:{panel['title']}")
    return used


def exported_names(text: str) -> set[str]:
    """Sample names a scrape can return, including families that have no sample yet."""
    names: set[str] = set()
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
        suffixes = {"counter": ("_total", "_created"),
                    "histogram": ("_bucket", "_sum", "_count", "_created"),
                    "summary": ("_sum", "_count", "_created")}.get(family.type, ())
        names.update(family.name + suffix for suffix in suffixes)
    return names


@pytest.fixture(scope="module")
def scrapes(suite_env) -> dict[str, str]:
    env = suite_env
    token = client_token(env["ADMIN_URL"], env["ARTSTORE_CLIENT_ID"],
                         env["ARTSTORE_CLIENT_SECRET"])
    api = Api(env, token)
    word = f"metrics{uuid.uuid4().hex[:8]}"
    file_ids = []
    for policy in ("temporary", "permanent"):
        response = api.upload(f"{word}-{policy}.txt", f"{word} {policy} body".encode() * 50,
                              retention_policy=policy, description=f"{word} document")
        assert response.status_code == 201, response.text
        file_ids.append(response.json()["file_id"])
    wait_for(lambda: api.search(q=word, mode="partial")["total"] >= 2, "catalog to see uploads")
    api.search(q=word, mode="fulltext")
    for file_id in file_ids:
        assert api.download(file_id).status_code == 200
    missing = api.download(str(uuid.uuid4()))
    assert missing.status_code == 404
    urls = {"admin": env["ADMIN_URL"], "ingester": env["INGESTER_URL"], "query": env["QUERY_URL"]}
    urls.update({f"se{i}": url for i, url in enumerate(env["SE_URLS"].split(","), start=1)})
    result = {}
    for name, url in urls.items():
        response = httpx.get(url + "/metrics", timeout=30.0)
        assert response.status_code == 200, name
        result[name] = response.text
    return result


def test_every_metric_used_by_dashboards_and_rules_is_exported(scrapes):
    exported = set().union(*(exported_names(text) for text in scrapes.values()))
    used = names_used_by_monitoring()
    assert len(used) > 30
    missing = {name: sorted(where) for name, where in used.items() if name not in exported}
    assert not missing, f"used by monitoring but not exported: {json.dumps(missing, indent=1)}"


def test_http_metrics_use_route_templates_on_every_service(scrapes):
    for name, text in scrapes.items():
        routes = set()
        for family in text_string_to_metric_families(text):
            if family.name == "artstore_http_requests":
                routes.update(s.labels["route"] for s in family.samples
                              if s.name.endswith("_total"))
        assert routes, f"{name} exported no HTTP request metrics"
        for route in routes:
            assert not re.search(r"[0-9a-f]{8}-[0-9a-f]{4}-", route), (name, route)


@pytest.mark.parametrize(("service", "names"), [
    ("ingester", ["artstore_ingest_uploads_total", "artstore_ingest_bytes_total",
                  "artstore_ingest_upload_duration_seconds_bucket"]),
    ("query", ["artstore_query_searches_total", "artstore_query_downloads_total",
               "artstore_query_download_bytes_total", "artstore_query_index_lag_seconds",
               "artstore_query_download_duration_seconds_bucket"]),
    ("se1", ["artstore_se_used_bytes", "artstore_se_capacity_bytes", "artstore_se_mode",
             "artstore_se_outbox_backlog", "artstore_se_wal_pending"]),
    ("admin", ["artstore_tokens_issued_total", "artstore_audit_chain_valid",
               "artstore_jwt_active_key_created_timestamp_seconds"]),
])
def test_domain_metrics_are_exported_by_their_service(scrapes, service, names):
    exported = exported_names(scrapes[service])
    assert not [n for n in names if n not in exported], service


def _se_samples(url: str) -> dict[str, list]:
    text = httpx.get(url + "/metrics", timeout=30.0).text
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(sample)
    return samples


def test_capacity_and_mode_describe_the_storage_element(scrapes, suite_env):
    # The SE refreshes these gauges every 15 s; wait for the refresh after the uploads.
    for url in suite_env["SE_URLS"].split(","):
        samples = wait_for(
            lambda url=url: (s := _se_samples(url)) and s["artstore_se_used_bytes"][0].value > 0
            and s, f"{url} to report the bytes it stores")
        assert samples["artstore_se_capacity_bytes"][0].value > 0
        modes = [s for s in samples["artstore_se_mode"] if s.value == 1]
        assert len(modes) == 1 and modes[0].labels["mode"] in {"edit", "rw"}
        assert samples["artstore_se_wal_pending"][0].value == 0
