"""What a service shows without a token: API docs outside production only (unless enabled),
/metrics behind the scrape bearer token. A real process through ``artstore_common.serve``,
built on ``create_base_app`` like every service."""

from __future__ import annotations

import httpx
import pytest

from artstore_common.testing import ServiceProcess

TINY_APP = '''
from artstore_common.app import create_base_app
from artstore_common.settings import ArtStoreSettings


def create_app():
    return create_base_app(ArtStoreSettings(SERVICE_NAME="tiny"), title="tiny", version="0")
'''
DOCS = ("/docs", "/redoc", "/openapi.json")


@pytest.fixture()
def run(tmp_path):
    (tmp_path / "tinyapp.py").write_text(TINY_APP)
    started: list[ServiceProcess] = []

    def start(**env: str) -> str:
        process = ServiceProcess("tinyapp:create_app", name="tiny",
                                 log_path=str(tmp_path / "log"),
                                 env={"PYTHONPATH": str(tmp_path), **env})
        started.append(process.start())
        return process.url

    yield start
    for process in started:
        process.stop()


def assert_401(response: httpx.Response) -> None:
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "METRICS_TOKEN_REQUIRED"
    assert "artstore_http_requests_total" not in response.text


def test_production_hides_docs_and_closes_metrics_without_a_token(run):
    url = run(ENVIRONMENT="production")
    for path in DOCS:
        assert httpx.get(url + path).status_code == 404, path
    assert_401(httpx.get(url + "/metrics"))
    assert_401(httpx.get(url + "/metrics", headers={"Authorization": "Bearer anything"}))


def test_metrics_need_the_scrape_token_from_the_file(run, tmp_path):
    token_file = tmp_path / "metrics-token"
    token_file.write_text("s3cret-scrape-token\n")
    url = run(ENVIRONMENT="production", METRICS_TOKEN_FILE=str(token_file),
              APP_SWAGGER_ENABLED="true")
    assert_401(httpx.get(url + "/metrics"))
    assert_401(httpx.get(url + "/metrics", headers={"Authorization": "Bearer wrong"}))
    assert_401(httpx.get(url + "/metrics", headers={"Authorization": "Basic czNjcmV0"}))
    ok = httpx.get(url + "/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert ok.status_code == 200 and "artstore_http_requests_total" in ok.text
    for path in DOCS:  # enabled explicitly
        assert httpx.get(url + path).status_code == 200, path


def test_development_serves_docs_and_open_metrics_unless_a_token_is_set(run):
    url = run(ENVIRONMENT="development")
    assert httpx.get(url + "/openapi.json").status_code == 200
    assert httpx.get(url + "/metrics").status_code == 200
    url = run(ENVIRONMENT="development", METRICS_TOKEN="dev-token", APP_SWAGGER_ENABLED="false")
    assert_401(httpx.get(url + "/metrics"))
    assert httpx.get(url + "/docs").status_code == 404
