"""TokenVerifier against a JWKS served by a real local HTTP server (the verifier's own client)."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from artstore_common.auth import InvalidToken, TokenExpired, TokenVerifier
from artstore_common.settings import ArtStoreSettings
from artstore_common.testing import TokenFactory


class JwksServer:
    def __init__(self) -> None:
        self.document: dict = {"keys": []}
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.hits += 1
                body = json.dumps(outer.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/jwks"


@pytest.fixture()
def jwks_server() -> Iterator[JwksServer]:
    server = JwksServer()
    server.thread.start()
    yield server
    server.server.shutdown()


@pytest.fixture()
def factory() -> TokenFactory:
    return TokenFactory()


def make_verifier(url: str, **kwargs) -> TokenVerifier:
    kwargs.setdefault("min_refetch_seconds", 0.0)
    return TokenVerifier(issuer="artstore-admin", audience="artstore", jwks_url=url, **kwargs)


async def test_valid_token_yields_principal_with_role_scopes(jwks_server, factory):
    jwks_server.document = factory.jwks()
    principal = await make_verifier(jwks_server.url).verify(factory.issue("USER"))
    assert principal.role == "USER"
    assert principal.scopes == {"files:read", "files:write"}


async def test_unknown_role_grants_nothing_even_with_scope_claim(jwks_server, factory):
    jwks_server.document = factory.jwks()
    token = factory.issue("GOD", scopes=["files:read", "storage:admin"])
    principal = await make_verifier(jwks_server.url).verify(token)
    assert principal.scopes == frozenset()


async def test_scope_claim_narrows_role(jwks_server, factory):
    jwks_server.document = factory.jwks()
    principal = await make_verifier(jwks_server.url).verify(
        factory.issue("ADMIN", scopes=["files:read"])
    )
    assert principal.scopes == {"files:read"}


async def test_expired_token_rejected(jwks_server, factory):
    jwks_server.document = factory.jwks()
    with pytest.raises(TokenExpired):
        await make_verifier(jwks_server.url).verify(factory.issue(ttl=-120))


async def test_not_yet_valid_token_rejected(jwks_server, factory):
    jwks_server.document = factory.jwks()
    with pytest.raises(InvalidToken):
        await make_verifier(jwks_server.url).verify(
            factory.issue(not_before=int(time.time()) + 600)
        )


@pytest.mark.parametrize("field", ["iss", "aud"])
async def test_wrong_issuer_or_audience_rejected(jwks_server, factory, field):
    jwks_server.document = factory.jwks()
    with pytest.raises(InvalidToken):
        await make_verifier(jwks_server.url).verify(factory.issue(extra={field: "someone-else"}))


async def test_alg_none_rejected(jwks_server, factory):
    jwks_server.document = factory.jwks()
    claims = jwt.decode(factory.issue(), options={"verify_signature": False})
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "none", "kid": factory.kid}).encode()
    ).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    with pytest.raises(InvalidToken):
        await make_verifier(jwks_server.url).verify(f"{header.decode()}.{payload.decode()}.")


async def test_hs256_signed_with_public_key_rejected(jwks_server, factory):
    jwks_server.document = factory.jwks()
    claims = jwt.decode(factory.issue(), options={"verify_signature": False})
    public_pem = factory.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    import hashlib
    import hmac

    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "HS256", "kid": factory.kid, "typ": "JWT"}).encode()
    ).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=")
    signing_input = header + b"." + payload
    signature = base64.urlsafe_b64encode(
        hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    ).rstrip(b"=")
    with pytest.raises(InvalidToken):
        await make_verifier(jwks_server.url).verify((signing_input + b"." + signature).decode())


async def test_tampered_signature_rejected(jwks_server, factory):
    jwks_server.document = factory.jwks()
    token = factory.issue()
    head, payload, sig = token.split(".")
    tampered = sig[:-4] + ("AAAA" if not sig.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidToken):
        await make_verifier(jwks_server.url).verify(f"{head}.{payload}.{tampered}")


async def test_tampered_payload_rejected(jwks_server, factory):
    jwks_server.document = factory.jwks()
    head, payload, sig = factory.issue("READONLY").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "ADMIN"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(InvalidToken):
        await make_verifier(jwks_server.url).verify(f"{head}.{forged}.{sig}")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "eyJhbGciOi.x.y", "Bearer x"])
async def test_garbage_rejected(jwks_server, factory, garbage):
    jwks_server.document = factory.jwks()
    with pytest.raises(InvalidToken):
        await make_verifier(jwks_server.url).verify(garbage)


async def test_unknown_kid_rejected(jwks_server, factory):
    jwks_server.document = factory.jwks()
    other = TokenFactory()
    with pytest.raises(InvalidToken):
        await make_verifier(jwks_server.url).verify(other.issue())


async def test_unknown_kid_triggers_refetch_and_picks_up_new_key(jwks_server, factory):
    verifier = make_verifier(jwks_server.url)
    jwks_server.document = factory.jwks()
    await verifier.verify(factory.issue())
    rotated = TokenFactory()
    jwks_server.document = {"keys": factory.jwks()["keys"] + rotated.jwks()["keys"]}
    principal = await verifier.verify(rotated.issue("AUDITOR"))
    assert principal.role == "AUDITOR"
    # the old key keeps working without another fetch
    hits = jwks_server.hits
    await verifier.verify(factory.issue())
    assert jwks_server.hits == hits


async def test_refetch_on_unknown_kid_is_rate_limited(jwks_server, factory):
    jwks_server.document = factory.jwks()
    verifier = make_verifier(jwks_server.url, min_refetch_seconds=60.0)
    await verifier.verify(factory.issue())
    hits = jwks_server.hits
    stranger = TokenFactory()
    for _ in range(20):
        with pytest.raises(InvalidToken):
            await verifier.verify(stranger.issue())
    assert jwks_server.hits == hits


async def test_jwks_outage_keeps_last_good_keys(factory):
    server = JwksServer()
    server.thread.start()
    server.document = factory.jwks()
    verifier = make_verifier(server.url, cache_seconds=0.0)
    await verifier.verify(factory.issue())
    server.server.shutdown()
    server.server.server_close()
    principal = await verifier.verify(factory.issue("USER"))
    assert principal.role == "USER"


async def test_static_public_key_file(tmp_path, factory):
    path = tmp_path / "public.pem"
    path.write_bytes(factory.public_pem)
    verifier = TokenVerifier(
        issuer="artstore-admin", audience="artstore", public_key_file=str(path)
    )
    assert (await verifier.verify(factory.issue("READONLY"))).scopes == {"files:read"}
    with pytest.raises(InvalidToken):
        await verifier.verify(TokenFactory().issue())


async def test_static_jwks_file(tmp_path, factory):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(factory.jwks()))
    verifier = TokenVerifier(
        issuer="artstore-admin", audience="artstore", public_key_file=str(path)
    )
    assert (await verifier.verify(factory.issue("AUDITOR"))).role == "AUDITOR"


class _ServiceSettings(ArtStoreSettings):
    ADMIN_URL: str | None = None


async def test_from_settings_falls_back_to_the_admin_modules_jwks(jwks_server, factory):
    jwks_server.document = factory.jwks()
    admin_url = jwks_server.url.removesuffix("/jwks") + "/"
    verifier = TokenVerifier.from_settings(_ServiceSettings(ADMIN_URL=admin_url, JWKS_URL=None))
    assert verifier.jwks_url == admin_url.rstrip("/") + "/api/v1/auth/jwks"
    principal = await verifier.verify(factory.issue("USER", subject="u-1"))
    assert principal.subject == "u-1" and jwks_server.hits == 1


def test_from_settings_prefers_jwks_url_then_the_public_key_file(tmp_path, factory):
    settings = _ServiceSettings(ADMIN_URL="http://admin:8000", JWKS_URL="http://keys/jwks")
    assert TokenVerifier.from_settings(settings).jwks_url == "http://keys/jwks"
    key = tmp_path / "public.pem"
    key.write_bytes(factory.public_pem)
    settings = _ServiceSettings(ADMIN_URL="http://admin:8000", JWT_PUBLIC_KEY_FILE=str(key))
    assert TokenVerifier.from_settings(settings).jwks_url is None
    with pytest.raises(ValueError):
        TokenVerifier.from_settings(_ServiceSettings())
