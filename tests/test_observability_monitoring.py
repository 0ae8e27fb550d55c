"""The monitoring stack's configuration: Prometheus, alert rules, Alertmanager, Grafana.

Needs Debian's ``prometheus`` (promtool) and ``prometheus-alertmanager`` (amtool); ``make test``
installs them. Without them these tests skip locally and fail under CI.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
MON = REPO / "monitoring"
PROM = MON / "prometheus"
RULE_FILES = sorted((PROM / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROM / "tests").glob("*.test.yml"))
DASHBOARDS = sorted((MON / "grafana" / "dashboards").glob("*.json"))
ARTSTORE_JOBS = {"admin-module", "storage-element", "ingester-module", "query-module"}
SCRAPE_TOKEN_FILE = "/certs/metrics-token"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} not installed (apt-get install prometheus prometheus-alertmanager)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(*cmd: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)


def alert_rules() -> list[dict]:
    rules = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            rules.extend(rule for rule in group["rules"] if "alert" in rule)
    return rules


def dashboard_exprs() -> list[tuple[str, str, str]]:
    found = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                found.append((path.name, panel["title"], target["expr"]))
    return found


class TestPrometheus:
    def test_config_is_valid_and_loads_the_rule_files(self, tmp_path):
        # promtool checks that the scrape token file exists; in compose it is on the certs
        # volume, here a stand-in next to a copy of the config.
        token = tmp_path / "metrics-token"
        token.write_text("scrape-token")
        text = (PROM / "prometheus.yml").read_text()
        assert SCRAPE_TOKEN_FILE in text
        shutil.copytree(PROM / "rules", tmp_path / "rules")
        (tmp_path / "prometheus.yml").write_text(text.replace(SCRAPE_TOKEN_FILE, str(token)))
        result = run(tool("promtool"), "check", "config", "prometheus.yml", cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"{len(RULE_FILES)} rule files found" in result.stdout

    def test_services_are_scraped_with_the_bearer_token(self):
        config = yaml.safe_load((PROM / "prometheus.yml").read_text())
        jobs = {job["job_name"]: job for job in config["scrape_configs"]}
        for job in ARTSTORE_JOBS:
            assert jobs[job]["authorization"] == {"type": "Bearer",
                                                  "credentials_file": SCRAPE_TOKEN_FILE}

    def test_every_artstore_service_is_scraped(self):
        config = yaml.safe_load((PROM / "prometheus.yml").read_text())
        jobs = {job["job_name"]: job for job in config["scrape_configs"]}
        assert ARTSTORE_JOBS | {"node-exporter"} <= set(jobs)
        targets = [t for job in ARTSTORE_JOBS for sc in jobs[job]["static_configs"]
                   for t in sc["targets"]]
        assert "admin-module:8000" in targets and "ingester-module:8020" in targets
        assert "query-module:8030" in targets
        assert len([t for t in targets if t.startswith("storage-element-")]) == 4
        for job in ARTSTORE_JOBS:
            assert jobs[job]["scheme"] == "https"
            assert jobs[job]["tls_config"]["ca_file"].endswith("ca.crt")

    def test_rules_are_valid(self):
        result = run(tool("promtool"), "check", "rules", *map(str, RULE_FILES))
        assert result.returncode == 0, result.stdout + result.stderr

    @pytest.mark.parametrize("test_file", RULE_TESTS, ids=lambda p: p.name)
    def test_rule_unit_tests_pass(self, test_file):
        result = run(tool("promtool"), "test", "rules", test_file.name, cwd=test_file.parent)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS" in result.stdout

    def test_every_alert_has_a_firing_case_and_a_runbook(self):
        fired: set[str] = set()
        for path in RULE_TESTS:
            for case in yaml.safe_load(path.read_text())["tests"]:
                for check in case.get("alert_rule_test", []):
                    if check.get("exp_alerts"):
                        fired.add(check["alertname"])
        readme = (MON / "README.md").read_text(encoding="utf-8")
        headings = {m.group(1) for m in re.finditer(r"^#+ .*?`?(ArtStore\w+)`?", readme, re.M)}
        for rule in alert_rules():
            name = rule["alert"]
            assert name in fired, f"{name} has no promtool case where it fires"
            assert rule["labels"]["severity"] in {"critical", "warning"}, name
            anchor = rule["annotations"]["runbook_url"].split("#", 1)[1]
            assert anchor == name.lower(), name
            assert name in headings, f"monitoring/README.md has no section for {name}"

    def test_spec_alerts_exist(self):
        names = {rule["alert"] for rule in alert_rules()}
        assert {
            "ArtStoreServiceDown", "ArtStoreHigh5xxRate", "ArtStoreHighLatencyP95",
            "ArtStoreSECapacityWarning", "ArtStoreSECapacityCritical", "ArtStoreSEFull",
            "ArtStoreSEFillForecast", "ArtStoreNoWritableStorageElement", "ArtStoreIndexLagHigh",
            "ArtStoreOutboxBacklog", "ArtStoreFixityFailure", "ArtStoreAuditChainBroken",
            "ArtStoreKeyRotationOverdue",
        } <= names


class TestAlertmanager:
    def test_config_is_valid(self):
        result = run(tool("amtool"), "check-config", "alertmanager.yml", cwd=MON / "alertmanager")
        assert result.returncode == 0, result.stdout + result.stderr

    @pytest.mark.parametrize(
        ("labels", "receiver"),
        [
            (["severity=critical", "alertname=ArtStoreServiceDown"], "oncall"),
            (["severity=warning", "alertname=ArtStoreSECapacityWarning"], "team"),
            (["severity=info", "alertname=Other"], "default"),
            (["alertname=NoSeverity"], "default"),
        ],
    )
    def test_routing_by_severity(self, labels, receiver):
        result = run(tool("amtool"), "config", "routes", "test",
                     "--config.file=alertmanager.yml", *labels, cwd=MON / "alertmanager")
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == receiver


class TestGrafana:
    def test_dashboards_match_their_generator(self):
        path = MON / "grafana" / "build_dashboards.py"
        spec = importlib.util.spec_from_file_location("build_dashboards", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        rendered = module.render()
        assert set(rendered) == {p.name for p in DASHBOARDS}
        for dashboard in DASHBOARDS:
            assert dashboard.read_text(encoding="utf-8") == rendered[dashboard.name], (
                f"{dashboard.name} is stale: run python monitoring/grafana/build_dashboards.py"
            )

    def test_the_four_dashboards_exist_with_unique_uids(self):
        docs = [json.loads(p.read_text()) for p in DASHBOARDS]
        assert {d["uid"] for d in docs} == {
            "artstore-overview", "artstore-storage", "artstore-ingest-search",
            "artstore-security",
        }

    def test_panels_use_the_provisioned_datasource_and_fit_the_grid(self):
        provisioned = yaml.safe_load(
            (MON / "grafana/provisioning/datasources/prometheus.yml").read_text()
        )
        prometheus_uid = next(d["uid"] for d in provisioned["datasources"]
                              if d["type"] == "prometheus")
        for path in DASHBOARDS:
            panels = json.loads(path.read_text())["panels"]
            assert len({p["id"] for p in panels}) == len(panels), path.name
            for panel in panels:
                grid = panel["gridPos"]
                assert grid["x"] + grid["w"] <= 24, (path.name, panel["title"])
                if panel["type"] != "row":
                    assert panel["targets"], (path.name, panel["title"])
                    assert panel["datasource"]["uid"] == prometheus_uid
                    assert all(t["datasource"]["uid"] == prometheus_uid for t in panel["targets"])

    def test_dashboard_provider_points_at_the_mounted_directory(self):
        path = MON / "grafana/provisioning/dashboards/artstore.yml"
        provider = yaml.safe_load(path.read_text())
        assert provider["providers"][0]["options"]["path"] == "/var/lib/grafana/dashboards"

    def test_every_panel_query_is_valid_promql(self, tmp_path):
        exprs = dashboard_exprs()
        assert len(exprs) > 40
        rules = {"groups": [{"name": "dashboards", "rules": [
            {"record": f"dashboard:query_{i}", "expr": expr} for i, (_, _, expr) in
            enumerate(exprs)
        ]}]}
        path = tmp_path / "dashboard-queries.yml"
        path.write_text(yaml.safe_dump(rules))
        result = run(tool("promtool"), "check", "rules", str(path))
        assert result.returncode == 0, result.stdout + result.stderr
