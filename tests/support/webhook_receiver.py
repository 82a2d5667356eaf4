"""A real HTTP endpoint standing where Kramar's /hooks/shop would be, for shops under test."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.customers import signed


class WebhookReceiver:
    """Records every POST (headers and body) and answers 200."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[tuple[dict[str, str], bytes]] = []
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((dict(self.headers), body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/hooks/shop"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def verified(self, headers: dict[str, str], body: bytes) -> bool:
        """Whether the signature is the secret's over this body, signed within five minutes."""
        given = headers.get("Kramar-Signature", "")
        try:
            t = int(dict(part.split("=", 1) for part in given.split(","))["t"])
        except (KeyError, ValueError):
            return False
        return given == signed(self.secret, body, t) and abs(time.time() - t) < 300

    def wait_for(self, event_type: str, order_id: str, timeout: float = 60) -> dict[str, Any]:
        """The first signed event of this type for this order (fails after `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for headers, body in list(self.received):
                event = json.loads(body)
                if event.get("type") == event_type and event["data"].get("order_id") == order_id:
                    assert self.verified(headers, body), headers
                    return dict(event)
            time.sleep(0.2)
        raise AssertionError(f"no {event_type} for {order_id}; got {self.received}")
