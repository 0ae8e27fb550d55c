"""Run a service: ``python -m artstore_common.serve <module>:<factory>``.

Reads ``HOST`` (default 127.0.0.1), ``PORT`` and, for HTTPS, ``TLS_CERT_FILE`` and
``TLS_KEY_FILE`` from the environment. HTTPS refuses anything older than TLS 1.3.

Request headers are bounded (``MAX_REQUEST_HEADERS`` fields, ``MAX_REQUEST_HEADER_BYTES`` in
all): uvicorn's httptools parser has no limit of its own, so the protocol below counts while
parsing and answers 431 in the SPEC error shape; with h11 its incomplete-event limit applies.
"""

from __future__ import annotations

import json
import os
import ssl
import sys

import uvicorn

from artstore_common.errors import error_body
from artstore_common.http_protocol import JsonErrorHttpToolsProtocol

MAX_HEADERS = int(os.environ.get("MAX_REQUEST_HEADERS") or 100)
MAX_HEADER_BYTES = int(os.environ.get("MAX_REQUEST_HEADER_BYTES") or 65536)

_431_BODY = json.dumps(error_body(
    "REQUEST_HEADERS_TOO_LARGE",
    f"At most {MAX_HEADERS} header fields and {MAX_HEADER_BYTES} bytes of headers",
    {"max_fields": MAX_HEADERS, "max_bytes": MAX_HEADER_BYTES})).encode()


class BoundedHttpToolsProtocol(JsonErrorHttpToolsProtocol):
    """A bound on the request head (431 instead of buffering without limit); other protocol
    errors answer 400 in the error shape."""

    _head_bytes: int | None = None  # bytes received while a request head is unfinished
    _too_large = False

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # httptools holds an unfinished header line in its own buffer: stop feeding it once a
        # head has taken more than the limit (a pipelined request may count a little early).
        if self._head_bytes is not None and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEADER_BYTES + 8192:  # headers plus a long request line
                self._too_large = True
                self.send_400_response("")

    def send_400_response(self, msg: str) -> None:
        if not self._too_large:
            super().send_400_response(msg)
            return
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
            b"content-type: application/json\r\n"
            b"content-length: " + str(len(_431_BODY)).encode() + b"\r\n"
            b"connection: close\r\n\r\n" + _431_BODY)
        self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._field_bytes = 0
        self._head_bytes = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._field_bytes += len(name) + len(value)
        if len(self.headers) >= MAX_HEADERS or self._field_bytes > MAX_HEADER_BYTES:
            self._too_large = True
            raise ValueError("request headers too large")  # the parser turns it into a 400
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()


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
        http=BoundedHttpToolsProtocol,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=15,
    )
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
