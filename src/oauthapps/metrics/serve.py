"""``--metrics-port``: /metrics on a port of its own (and nothing else there), served from a
thread of the supervisor, or of the one process with ``--workers 1``, so it needs no worker."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .exposition import scrape


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.split("?", 1)[0] != "/metrics":
            self.send_error(404)
            return
        body, content_type = scrape()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # scrapes are not access-logged


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class _Server6(_Server):
    address_family = socket.AF_INET6


class MetricsServer:
    """Binds at once (raising ``OSError`` if the port is taken); serves from ``start`` on."""

    def __init__(self, host: str, port: int):
        self._httpd = (_Server6 if ":" in host else _Server)((host, port), _Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="metrics-port", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
