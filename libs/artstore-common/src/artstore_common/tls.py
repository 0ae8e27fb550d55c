"""TLS helpers for inter-service clients and servers.

Clients (ingester/query/admin → SE, every service → admin JWKS) pass ``client_verify(settings)``
as httpx's ``verify=``: with ``TLS_CA_FILE`` set they trust only that CA bundle (the internal
CA); without it they use the default trust store, and plain ``http://`` URLs keep working for
local development. Servers enforce TLS 1.3 as the floor (``artstore_common.serve``); clients
accept 1.2+ so that the server is the one deciding.
"""

from __future__ import annotations

import functools
import os
import ssl
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the container HEALTHCHECK runs this module: keep its start light
    from artstore_common.settings import ArtStoreSettings

SERVER_MINIMUM_VERSION = ssl.TLSVersion.TLSv1_3
CLIENT_MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


class TlsConfigError(RuntimeError):
    """A configured certificate, key or CA file is missing or unreadable."""


@functools.lru_cache(maxsize=8)
def _client_context(ca_file: str, mtime: float) -> ssl.SSLContext:
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"cannot load TLS_CA_FILE {ca_file!r}: {exc}") from exc
    context.minimum_version = CLIENT_MINIMUM_VERSION
    return context


def client_context(ca_file: str) -> ssl.SSLContext:
    """A verifying client context trusting only ``ca_file`` (cached until the file changes)."""
    try:
        mtime = os.stat(ca_file).st_mtime
    except OSError as exc:
        raise TlsConfigError(f"TLS_CA_FILE {ca_file!r} not readable: {exc}") from exc
    return _client_context(ca_file, mtime)


def client_verify(settings: ArtStoreSettings) -> ssl.SSLContext | bool:
    """The ``verify=`` value for every httpx client a service builds."""
    if settings.TLS_CA_FILE:
        return client_context(settings.TLS_CA_FILE)
    return True


def server_context(cert_file: str, key_file: str, ca_file: str | None = None) -> ssl.SSLContext:
    """A server context with TLS 1.3 as the minimum (what ``serve`` configures in uvicorn)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = SERVER_MINIMUM_VERSION
    try:
        context.load_cert_chain(cert_file, key_file)
        if ca_file:
            context.load_verify_locations(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(f"cannot load server certificate {cert_file!r}: {exc}") from exc
    return context


def probe(path: str = "/health/live", timeout: float = 4.0) -> int:
    """Container HEALTHCHECK: GET the local service over HTTP or HTTPS, as ``serve`` runs it.

    ``python -m artstore_common.tls`` → exit 0 when ``path`` answers 200, 1 otherwise.
    """
    import urllib.request

    port = os.environ.get("PORT", "8000")
    https = bool(os.environ.get("TLS_CERT_FILE"))
    url = f"{'https' if https else 'http'}://localhost:{port}{path}"
    context = None
    if https:
        ca_file = os.environ.get("TLS_CA_FILE")
        context = ssl.create_default_context(cafile=ca_file) if ca_file else None
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    import sys

    sys.exit(probe(*sys.argv[1:2]))
