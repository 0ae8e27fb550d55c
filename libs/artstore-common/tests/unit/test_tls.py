"""TLS helpers: servers refuse TLS < 1.3, clients verify against the configured CA only."""

import importlib.util
import ssl
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from artstore_common.serve import _Tls13Config
from artstore_common.settings import ArtStoreSettings
from artstore_common.testing import free_port
from artstore_common.tls import TlsConfigError, client_verify, probe, server_context

REPO = Path(__file__).resolve().parents[4]


def _gen_certs():
    spec = importlib.util.spec_from_file_location("gen_certs", REPO / "scripts" / "gen-certs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    gen = _gen_certs()
    good = tmp_path_factory.mktemp("pki")
    other = tmp_path_factory.mktemp("other-pki")
    gen.generate(good, ["svc"])
    gen.generate(other, ["svc"])
    return {"dir": good, "ca": good / "ca.crt", "other_ca": other / "ca.crt",
            "cert": good / "svc.crt", "key": good / "svc.key"}


@pytest.fixture(scope="module")
def https_server(pki):
    app = FastAPI()

    @app.get("/health/live")
    async def live() -> dict:
        return {"status": "ok"}

    port = free_port()
    config = _Tls13Config(app, host="127.0.0.1", port=port, log_config=None,
                          ssl_certfile=str(pki["cert"]), ssl_keyfile=str(pki["key"]))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    yield f"https://127.0.0.1:{port}", port
    server.should_exit = True
    thread.join(timeout=10)


def test_client_with_configured_ca_connects_over_tls13(https_server, pki):
    url, _ = https_server
    settings = ArtStoreSettings(TLS_CA_FILE=str(pki["ca"]))
    with httpx.Client(verify=client_verify(settings)) as client:
        response = client.get(url + "/health/live")
        stream = response.extensions["network_stream"]
        assert stream.get_extra_info("ssl_object").version() == "TLSv1.3"
    assert response.status_code == 200


def test_client_with_wrong_ca_is_refused(https_server, pki):
    url, _ = https_server
    settings = ArtStoreSettings(TLS_CA_FILE=str(pki["other_ca"]))
    with httpx.Client(verify=client_verify(settings)) as client, pytest.raises(
        httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"
    ):
        client.get(url + "/health/live")


def test_default_trust_store_does_not_trust_the_internal_ca(https_server):
    url, _ = https_server
    with httpx.Client(verify=client_verify(ArtStoreSettings())) as client, pytest.raises(
        httpx.ConnectError
    ):
        client.get(url + "/health/live")


def test_tls12_only_client_is_refused_by_the_server(https_server, pki):
    url, _ = https_server
    context = ssl.create_default_context(cafile=str(pki["ca"]))
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    with httpx.Client(verify=context) as client, pytest.raises(httpx.ConnectError):
        client.get(url + "/health/live")


def test_without_ca_file_clients_use_default_verification():
    assert client_verify(ArtStoreSettings()) is True


def test_client_context_is_reused_and_verifies_hostnames(pki):
    settings = ArtStoreSettings(TLS_CA_FILE=str(pki["ca"]))
    first, second = client_verify(settings), client_verify(settings)
    assert first is second
    assert first.check_hostname and first.verify_mode == ssl.CERT_REQUIRED
    assert first.minimum_version == ssl.TLSVersion.TLSv1_2


def test_missing_ca_file_is_a_clear_configuration_error(tmp_path):
    with pytest.raises(TlsConfigError, match="TLS_CA_FILE"):
        client_verify(ArtStoreSettings(TLS_CA_FILE=str(tmp_path / "absent.crt")))
    garbage = tmp_path / "garbage.crt"
    garbage.write_text("not a certificate")
    with pytest.raises(TlsConfigError):
        client_verify(ArtStoreSettings(TLS_CA_FILE=str(garbage)))


def test_server_context_has_tls13_floor(pki):
    context = server_context(str(pki["cert"]), str(pki["key"]))
    assert context.minimum_version == ssl.TLSVersion.TLSv1_3
    with pytest.raises(TlsConfigError):
        server_context(str(pki["cert"]), str(pki["dir"] / "missing.key"))


def test_certificates_cover_service_name_and_loopback(pki):
    from cryptography import x509

    cert = x509.load_pem_x509_certificate(pki["cert"].read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"svc", "localhost"} <= set(san.get_values_for_type(x509.DNSName))
    assert pki["key"].stat().st_mode & 0o077 == 0o040


def test_healthcheck_probe_uses_https_and_ca(https_server, pki, monkeypatch):
    _, port = https_server
    monkeypatch.setenv("PORT", str(port))
    monkeypatch.setenv("TLS_CERT_FILE", str(pki["cert"]))
    monkeypatch.setenv("TLS_CA_FILE", str(pki["ca"]))
    assert probe() == 0
    monkeypatch.setenv("TLS_CA_FILE", str(pki["other_ca"]))
    assert probe() == 1
    monkeypatch.delenv("TLS_CERT_FILE")
    assert probe() == 1  # plain HTTP against an HTTPS port


def test_gen_certs_rerun_keeps_the_ca_and_issues_only_missing_certificates(tmp_path):
    gen = _gen_certs()
    gen.main([str(tmp_path), "a"])
    ca, cert_a = (tmp_path / "ca.crt").read_bytes(), (tmp_path / "a.crt").read_bytes()
    gen.main([str(tmp_path), "a", "b"])
    assert (tmp_path / "ca.crt").read_bytes() == ca
    assert (tmp_path / "a.crt").read_bytes() == cert_a
    assert (tmp_path / "b.crt").exists()
    gen.main([str(tmp_path), "a", "--force"])
    assert (tmp_path / "a.crt").read_bytes() != cert_a
    assert (tmp_path / "ca.key").stat().st_mode & 0o077 == 0


TINY_APP = '''
from artstore_common.app import create_base_app
from artstore_common.settings import ArtStoreSettings


def create_app():
    return create_base_app(ArtStoreSettings(SERVICE_NAME="tiny"), title="tiny", version="0")
'''


def test_serve_entry_point_runs_https_with_tls13_floor(pki, tmp_path):
    """``python -m artstore_common.serve`` (what every image runs) with TLS_CERT_FILE set."""
    from artstore_common.testing import ServiceProcess

    (tmp_path / "tinyapp.py").write_text(TINY_APP)
    process = ServiceProcess("tinyapp:create_app", name="tiny", log_path=str(tmp_path / "log"),
                             env={"PYTHONPATH": str(tmp_path), "TLS_CERT_FILE": str(pki["cert"]),
                                  "TLS_KEY_FILE": str(pki["key"]), "TLS_CA_FILE": str(pki["ca"])})
    try:
        process.start()
        assert process.url.startswith("https://")
        with httpx.Client(verify=process.verify) as client:
            response = client.get(process.url + "/health/ready")
            assert response.status_code == 200
            ssl_object = response.extensions["network_stream"].get_extra_info("ssl_object")
            assert ssl_object.version() == "TLSv1.3"
        old = ssl.create_default_context(cafile=str(pki["ca"]))
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(httpx.ConnectError):
            httpx.get(process.url + "/health/live", verify=old)
    finally:
        process.stop()
