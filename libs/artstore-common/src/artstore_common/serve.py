"""Run a service: ``python -m artstore_common.serve <module>:<factory>``.

Reads ``HOST`` (default 127.0.0.1), ``PORT`` and, for HTTPS, ``TLS_CERT_FILE`` and
``TLS_KEY_FILE`` from the environment. HTTPS refuses anything older than TLS 1.3.
"""

from __future__ import annotations

import os
import ssl
import sys

import uvicorn

from artstore_common.http_protocol import JsonErrorHttpToolsProtocol


class _Tls13Config(uvicorn.Config):
    def load(self) -> None:
        super().load()
        if self.ssl is not None:
            self.ssl.minimum_version = ssl.TLSVersion.TLSv1_3


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        raise SystemExit("usage: python -m artstore_common.serve <module>:<factory>")
    cert, key = os.environ.get("TLS_CERT_FILE"), os.environ.get("TLS_KEY_FILE")
    config = _Tls13Config(
        args[0],
        factory=True,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        ssl_certfile=cert or None,
        ssl_keyfile=key or None,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=15,
        http=JsonErrorHttpToolsProtocol,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
