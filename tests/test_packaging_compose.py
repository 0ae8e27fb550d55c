"""docker-compose.yml, docker-compose.monitoring.yml and .env.example against the code.

Without a Docker engine, this checks what can be checked: both files validate against the
Compose specification schema; the services, modes, ports, volumes, health checks and
depends_on conditions are what SPEC §3 asks for; every setting each service reads is in
.env.example and in that service's compose environment, and parses; URLs, certificate names,
Prometheus targets and nginx upstreams agree with the compose service names and ports.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
COMPOSE = REPO / "docker-compose.yml"
MONITORING = REPO / "docker-compose.monitoring.yml"
ENV_EXAMPLE = REPO / ".env.example"

# compose service → (workspace package dir, import package)
SERVICES = {
    "admin-module": ("admin-module", "admin_module"),
    "storage-element-1": ("storage-element", "storage_element"),
    "storage-element-2": ("storage-element", "storage_element"),
    "storage-element-3": ("storage-element", "storage_element"),
    "storage-element-4": ("storage-element", "storage_element"),
    "ingester-module": ("ingester-module", "ingester_module"),
    "query-module": ("query-module", "query_module"),
}
PACKAGES = {"admin-module": "admin_module", "storage-element": "storage_element",
            "ingester-module": "ingester_module", "query-module": "query_module"}
# Read from the environment outside the Settings classes: artstore_common.serve and
# artstore_common.settings (CONFIG_FILE).
PROCESS_ENV = {"HOST", "PORT", "TLS_CERT_FILE", "TLS_KEY_FILE", "CONFIG_FILE"}

_INTERPOLATION = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def load_compose(path: Path = COMPOSE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep and not key.lstrip().startswith("#"):
            values[key.strip()] = value.strip()
    return values


def env_example_mentions() -> set[str]:
    """Every NAME assigned in .env.example or named in one of its comments."""
    return set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b", ENV_EXAMPLE.read_text(encoding="utf-8")))


def interpolate(value: Any, variables: dict[str, str]) -> str:
    """Compose-style ``${NAME}``, ``${NAME:-default}``, ``${NAME-default}``; ``$$`` → ``$``."""
    text = str(value)

    def sub(match: re.Match[str]) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        current = variables.get(name)
        if op == ":-":
            return current if current else arg
        if op == "-":
            return current if current is not None else arg
        return current or ""

    return _INTERPOLATION.sub(sub, text.replace("$$", "\0")).replace("\0", "$")


def referenced_variables(path: Path) -> set[str]:
    return {m.group(1) for m in _INTERPOLATION.finditer(path.read_text(encoding="utf-8"))}


def service_environment(compose: dict[str, Any], service: str) -> dict[str, str]:
    env = compose["services"][service].get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def settings_class(package: str):
    return importlib.import_module(f"{package}.config").Settings


def settings_names(package: str) -> set[str]:
    return set(settings_class(package).model_fields)


def _variables_from_env_example() -> dict[str, str]:
    return env_example()


def _check_jsonschema() -> str:
    local = Path(sys.executable).with_name("check-jsonschema")
    return str(local) if local.exists() else (shutil.which("check-jsonschema") or str(local))


def _gen_keys():
    spec = importlib.util.spec_from_file_location("gen_keys", REPO / "scripts" / "gen-keys.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- schema -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [COMPOSE, MONITORING], ids=lambda p: p.name)
def test_compose_file_validates_against_the_compose_spec(path):
    result = subprocess.run([_check_jsonschema(), "--builtin-schema", "vendor.compose-spec",
                             str(path)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_file(tmp_path):
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  x:\n    image: a\n    ports: [{bad: 1}]\n")
    result = subprocess.run([_check_jsonschema(), "--builtin-schema", "vendor.compose-spec",
                             str(broken)],
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0


# --- what SPEC §3 asks for ----------------------------------------------------------------------


def test_spec_services_are_present():
    services = set(load_compose()["services"])
    assert {"postgres", "redis", "minio", "pgadmin", "admin-module", "storage-element-1",
            "storage-element-2", "storage-element-3", "storage-element-4", "ingester-module",
            "query-module", "admin-ui"} <= services
    assert {"prometheus", "grafana", "alertmanager", "node-exporter"} <= set(
        load_compose(MONITORING)["services"])


def test_storage_elements_two_edit_two_rw_one_of_each_on_minio():
    """Two rw SEs (local and MinIO: two failure domains) meet the default copy policy."""
    compose = load_compose()
    ses = {name: service_environment(compose, name) for name in SERVICES
           if name.startswith("storage-element")}
    assert sorted(env["SE_MODE"] for env in ses.values()) == ["edit", "edit", "rw", "rw"]
    s3 = [env for env in ses.values() if env["SE_BACKEND"] == "s3"]
    assert sorted(env["SE_MODE"] for env in s3) == ["edit", "rw"]
    assert all(urlsplit(env["SE_S3_ENDPOINT_URL"]).hostname == "minio" for env in s3)
    assert len({env["SE_S3_PREFIX"] for env in s3}) == 2
    assert len({env["SE_NAME"] for env in ses.values()}) == 4
    assert len({env["DATABASE_URL"] for env in ses.values()}) == 4


def test_minio_bucket_is_created_by_an_init_step_before_the_s3_storage_element():
    compose = load_compose()
    init = compose["services"]["minio-init"]
    assert "mc mb" in " ".join(init["command"])
    s3_se = next(n for n in SERVICES if n.startswith("storage-element")
                 and service_environment(compose, n)["SE_BACKEND"] == "s3")
    assert compose["services"][s3_se]["depends_on"]["minio-init"]["condition"] == (
        "service_completed_successfully")


def _healthchecked(service: dict) -> bool:
    if "healthcheck" in service:
        return not service["healthcheck"].get("disable", False)
    return "build" in service  # our images declare a HEALTHCHECK


@pytest.mark.parametrize("path", [COMPOSE, MONITORING], ids=lambda p: p.name)
def test_depends_on_conditions_match_what_the_dependency_offers(path):
    services = {**load_compose(COMPOSE)["services"], **load_compose(path)["services"]}
    for name, service in load_compose(path)["services"].items():
        for dep, spec in (service.get("depends_on") or {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            condition = spec["condition"]
            if condition == "service_healthy":
                assert _healthchecked(services[dep]), f"{name} waits for {dep}'s health"
            elif condition == "service_completed_successfully":
                assert "restart" not in services[dep], f"{dep} is a one-shot step"
            else:
                pytest.fail(f"{name} → {dep}: use a health or completion condition")


def test_long_running_services_have_health_checks_and_one_shots_do_not_restart():
    compose = load_compose()
    one_shots = {"certs-init", "minio-init", "bootstrap"}
    for name, service in compose["services"].items():
        if name in one_shots:
            assert "restart" not in service
        elif name != "pgadmin":
            assert _healthchecked(service), f"{name} has no health check"


@pytest.mark.parametrize("path", [COMPOSE, MONITORING], ids=lambda p: p.name)
def test_volumes_are_named_and_declared(path):
    compose = load_compose(path)
    declared = set(compose.get("volumes", {}))
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume["source"]
            if source.startswith(("/", ".")):
                assert path == MONITORING or source == "/", f"{name}: bind mount {source}"
                continue
            assert source in declared, f"{name}: volume {source} not declared"


def test_spec_ports_are_published():
    published = {}
    for path in (COMPOSE, MONITORING):
        for name, service in load_compose(path)["services"].items():
            for port in service.get("ports", []):
                host, container = str(port).rsplit(":", 2)[-2:]
                published[int(host)] = (name, int(container))
    expected = {8000: "admin-module", 8010: "storage-element-1", 8011: "storage-element-2",
                8012: "storage-element-3", 8013: "storage-element-4", 8020: "ingester-module",
                8030: "query-module", 4200: "admin-ui", 5432: "postgres", 6379: "redis",
                9000: "minio", 9001: "minio", 9090: "prometheus", 3000: "grafana",
                9093: "alertmanager"}
    for port, name in expected.items():
        assert published.get(port, (None,))[0] == name, f"port {port} should be {name}"


# --- settings ↔ .env.example ↔ compose ----------------------------------------------------------


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_setting_is_in_the_service_compose_environment(service):
    _, package = SERVICES[service]
    expected = settings_names(package) | PROCESS_ENV
    env = service_environment(load_compose(), service)
    missing = sorted(expected - set(env))
    assert not missing, f"{service}: add to its compose environment: {missing}"


@pytest.mark.parametrize("package", sorted(PACKAGES.values()))
def test_every_setting_is_listed_in_env_example(package):
    missing = sorted((settings_names(package) | PROCESS_ENV) - env_example_mentions())
    assert not missing, f"{package}: list in .env.example: {missing}"


def test_every_compose_variable_is_defined_in_env_example():
    variables = referenced_variables(COMPOSE) | referenced_variables(MONITORING)
    missing = sorted(variables - set(env_example()))
    assert not missing, f"define in .env.example: {missing}"


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_compose_environment_with_env_example_values_parses(service, monkeypatch):
    _, package = SERVICES[service]
    cls = settings_class(package)
    for name in set(cls.model_fields) | {"CONFIG_FILE"}:
        monkeypatch.delenv(name, raising=False)
    variables = _variables_from_env_example()
    for name, raw in service_environment(load_compose(), service).items():
        monkeypatch.setenv(name, interpolate(raw, variables))
    monkeypatch.setenv("CONFIG_FILE", "")  # the bootstrap file exists only inside compose
    settings = cls()
    assert settings.SERVICE_NAME == service
    assert settings.TLS_CA_FILE == "/certs/ca.crt"


def test_env_example_secrets_are_empty_or_marked_as_development_values():
    values = env_example()
    secrets = set(_gen_keys().SECRETS)
    assert secrets <= set(values)
    for name in secrets:
        assert values[name] == "" or values[name].startswith("dev-"), name
    assert values["ENVIRONMENT"] == "development"


def test_gen_keys_output_passes_the_admin_production_check(monkeypatch):
    from admin_module.runtime_secrets import InsecureConfiguration, resolve_runtime_secrets

    cls = settings_class("admin_module")
    for name in cls.model_fields:
        monkeypatch.delenv(name, raising=False)
    example = ENV_EXAMPLE.read_text(encoding="utf-8")
    weak = {**env_example(), "ENVIRONMENT": "production"}
    for name in cls.model_fields:
        if name in weak:
            monkeypatch.setenv(name, weak[name])
    with pytest.raises(InsecureConfiguration):
        resolve_runtime_secrets(cls())

    text, changed = _gen_keys().fill(example, production=True)
    assert set(_gen_keys().SECRETS) | {"ENVIRONMENT"} <= set(changed)
    filled = {k.strip(): v.strip() for k, _, v in
              (line.partition("=") for line in text.splitlines())
              if not k.lstrip().startswith("#") and _}
    for name in cls.model_fields:
        if name in filled:
            monkeypatch.setenv(name, filled[name])
    settings = cls()
    assert settings.is_production
    assert resolve_runtime_secrets(settings).client_secret == filled["ARTSTORE_CLIENT_SECRET"]
    again, changed_again = _gen_keys().fill(text)
    assert again == text and changed_again == []


# --- names, ports and URLs agree -------------------------------------------------------------


def _service_port(compose: dict, name: str) -> int:
    return int(service_environment(compose, name)["PORT"])


def _url_points_at_service(compose: dict, url: str) -> str:
    parts = urlsplit(url)
    assert parts.scheme == "https", url
    assert parts.hostname in compose["services"], url
    assert parts.port == _service_port(compose, parts.hostname), url
    return parts.hostname


def test_inter_service_urls_name_compose_services_and_their_ports():
    compose = load_compose()
    for name in SERVICES:
        env = service_environment(compose, name)
        assert _url_points_at_service(compose, env["JWKS_URL"]) == "admin-module"
        assert urlsplit(env["JWKS_URL"]).path == "/api/v1/auth/jwks"
        if "ADMIN_URL" in env:
            assert _url_points_at_service(compose, env["ADMIN_URL"]) == "admin-module"
        port = _service_port(compose, name)
        assert any(str(p).endswith(f":{port}") for p in compose["services"][name]["ports"])
    bootstrap = service_environment(compose, "bootstrap")
    se_urls = bootstrap["SE_URLS"].split(",")
    assert sorted(_url_points_at_service(compose, u) for u in se_urls) == [
        "storage-element-1", "storage-element-2", "storage-element-3", "storage-element-4"]
    assert _url_points_at_service(compose, bootstrap["ADMIN_URL"]) == "admin-module"


def test_each_service_gets_its_own_certificate_from_the_init_step():
    compose = load_compose()
    issued = set(compose["services"]["certs-init"]["command"][3:])
    for name in SERVICES:
        env = service_environment(compose, name)
        assert env["TLS_CERT_FILE"] == f"/certs/{name}.crt"
        assert env["TLS_KEY_FILE"] == f"/certs/{name}.key"
        assert name in issued
        assert compose["services"][name]["depends_on"].get("certs-init") or (
            compose["services"][name]["depends_on"].get("bootstrap"))


def test_databases_used_are_created_by_the_postgres_init_config():
    compose = load_compose()
    init_sql = (REPO / compose["configs"]["postgres-init"]["file"]).read_text()
    for name in SERVICES:
        url = service_environment(compose, name).get("DATABASE_URL")
        if url:
            assert urlsplit(url).hostname == "postgres"
            assert f"CREATE DATABASE {urlsplit(url).path.lstrip('/')};" in init_sql


def test_ingester_and_query_read_their_bootstrap_credentials():
    compose = load_compose()
    for name, prefix in (("ingester-module", "INGESTER"), ("query-module", "QUERY")):
        env = service_environment(compose, name)
        config_file = env["CONFIG_FILE"]
        assert config_file.startswith("/bootstrap/")
        assert any(str(v).startswith("bootstrap:/bootstrap")
                   for v in compose["services"][name]["volumes"])
        assert compose["services"][name]["depends_on"]["bootstrap"]["condition"] == (
            "service_completed_successfully")
        assert f"{prefix}_CLIENT_ID" in env
    init = (REPO / "scripts" / "compose-init.py").read_text()
    assert '"ingester.json"' in init and '"query.json"' in init


def test_prometheus_targets_are_compose_services_on_their_ports():
    compose = load_compose()
    config = yaml.safe_load((REPO / "monitoring/prometheus/prometheus.yml").read_text())
    scraped = set()
    monitoring = set(load_compose(MONITORING)["services"])
    for job in config["scrape_configs"]:
        for static in job["static_configs"]:
            for target in static["targets"]:
                host, port = target.rsplit(":", 1)
                if host == "localhost" or host in monitoring:
                    continue
                assert _service_port(compose, host) == int(port), target
                scraped.add(host)
    assert scraped == set(SERVICES)


def test_admin_ui_nginx_upstreams_are_compose_services_on_their_ports():
    compose = load_compose()
    conf = (REPO / "admin-ui" / "nginx.conf").read_text()
    upstreams = dict(re.findall(r"upstream\s+([\w-]+)\s*\{\s*server\s+([\w.:-]+);", conf))
    assert set(upstreams) == {"admin-module", "ingester-module", "query-module"}
    for name, server in upstreams.items():
        host, port = server.rsplit(":", 1)
        assert host == name and _service_port(compose, name) == int(port)
    assert re.search(r"client_max_body_size\s+(\d+)m;", conf)
    limit_mib = int(re.search(r"client_max_body_size\s+(\d+)m;", conf).group(1))
    assert limit_mib * 1024**2 > int(env_example()["MAX_FILE_SIZE"])
    assert "proxy_request_buffering off;" in conf and "proxy_ssl_verify on;" in conf
