"""What the emulator's HTTP endpoints share: JSON answers on kept-alive connections, logs at debug level."""

from __future__ import annotations

import json
import logging
from http.server import BaseHTTPRequestHandler
from typing import Any

LOG = logging.getLogger("eks-webhook")


class JsonRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # clients (the apiserver, the SDKs) keep connections alive
    # Headers and body go out in two writes: with Nagle's algorithm the body waits for the client's
    # delayed ACK, 40 ms on every answer (a stall no real EKS endpoint adds).
    disable_nagle_algorithm = True
    timeout = 30
    log_name = "http"

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt: str, *args: Any) -> None:
        LOG.debug(f"{self.log_name} %s " + fmt, self.client_address[0], *args)
