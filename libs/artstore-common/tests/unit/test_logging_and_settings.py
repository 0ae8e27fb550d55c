from __future__ import annotations

import json
import logging

import structlog

from artstore_common.logging import configure_logging
from artstore_common.settings import ArtStoreSettings


def test_json_logs_mask_secrets_and_carry_request_id(capsys):
    configure_logging("unit", "INFO", "json")
    log = structlog.get_logger("unit")
    structlog.contextvars.bind_contextvars(request_id="req-1")
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    log.info("auth.attempt", client_secret="hunter2", password="p@ss", note=f"Bearer {token}",
             nested={"api_key": "k", "ok": "visible"}, client_id="svc-1")
    logging.getLogger("stdlib").warning("header Authorization: Bearer %s", token)
    structlog.contextvars.clear_contextvars()
    out = capsys.readouterr().out.strip().splitlines()
    first = json.loads(out[0])
    assert first["event"] == "auth.attempt"
    assert first["request_id"] == "req-1"
    assert first["service"] == "unit"
    assert first["client_id"] == "svc-1"
    assert first["nested"]["ok"] == "visible"
    text = "\n".join(out)
    for secret in ("hunter2", "p@ss", token, '"k"'):
        assert secret not in text


def test_env_wins_over_config_file(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('LOG_LEVEL = "DEBUG"\nSERVICE_NAME = "from-file"\n')
    monkeypatch.setenv("CONFIG_FILE", str(config))
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    settings = ArtStoreSettings()
    assert settings.LOG_LEVEL == "WARNING"
    assert settings.SERVICE_NAME == "from-file"


def test_comma_separated_origins_and_on_off_booleans(monkeypatch):
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "http://a:1, http://b:2")
    monkeypatch.setenv("APP_SWAGGER_ENABLED", "off")
    settings = ArtStoreSettings()
    assert settings.CORS_ALLOW_ORIGINS == ["http://a:1", "http://b:2"]
    assert settings.APP_SWAGGER_ENABLED is False
