"""HTTP stub standing in for an image that cannot be had here (Grafana, PgAdmin): answers
/api/health (Grafana's) and / so the container is up; it serves nothing else."""

import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NAME = os.environ.get("STUB_NAME", "stub")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        body = json.dumps({"database": "ok", "version": f"stand-in for {NAME}",
                           "standin": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("0.0.0.0", int(os.environ.get("STUB_PORT", "8080"))), Handler).serve_forever()
