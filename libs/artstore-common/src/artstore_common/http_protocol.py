"""uvicorn's HTTP protocol with protocol-level 400s in the SPEC §2 error shape.

uvicorn answers a request it cannot parse (bad request line, invalid header bytes) itself,
in plain text, before any ASGI code runs; this subclass writes the JSON error body instead.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from artstore_common.errors import error_body


def json_400(message: str) -> bytes:
    body = json.dumps(error_body("BAD_REQUEST", message or "Invalid HTTP request")).encode()
    return b"".join([
        STATUS_LINE[400],
        b"content-type: application/json\r\n",
        b"content-length: " + str(len(body)).encode() + b"\r\n",
        b"connection: close\r\n\r\n",
        body,
    ])


class JsonErrorHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        head = b"".join(name + b": " + value + b"\r\n"
                        for name, value in self.server_state.default_headers)
        response = json_400(msg)
        status_end = response.index(b"\r\n") + 2
        self.transport.write(response[:status_end] + head + response[status_end:])
        self.transport.close()
