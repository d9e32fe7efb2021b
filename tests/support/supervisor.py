"""A fake Home Assistant Supervisor: a real HTTP server on loopback that answers like the real one.

Only what the add-on asks: `GET /services/mqtt` with the add-on's token (edge_agent/deploy/addon.py).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "test-supervisor-token"


class FakeSupervisor:
    """Answers GET /services/mqtt like the Supervisor; records what it was asked."""

    def __init__(self, status: int = 200, body=None, delay: float = 0.0) -> None:
        self.status = status
        self.body = body
        self.delay = delay
        self.requests: list[tuple[str, str | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append((self.path, self.headers.get("Authorization")))
                time.sleep(fake.delay)
                if self.path != "/services/mqtt":
                    status, body = 404, {"result": "error", "message": "Service does not exist"}
                elif self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    status, body = 401, {"result": "error", "message": "Unauthorized"}
                else:
                    status, body = fake.status, fake.body
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:  # keep pytest's output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeSupervisor:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def mqtt_ok(**data) -> dict:
    return {"result": "ok", "data": data}
