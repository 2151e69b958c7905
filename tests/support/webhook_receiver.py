"""A real HTTP receiver of outbound webhooks that verifies each one (standardwebhooks)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    webhook_id: str
    body: dict[str, Any]
    verified: bool
    answered: int
    at: float = 0.0


@dataclass
class Receiver:
    secrets: dict[str, str] = field(default_factory=dict)  # path -> whsec_ secret
    failing: dict[str, int] = field(default_factory=dict)  # path -> 500s still to answer
    always_fail: set[str] = field(default_factory=set)
    hold_next: threading.Event = field(default_factory=threading.Event)
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", "0")))
                path = self.path
                verified = True
                try:
                    Webhook(receiver.secrets[path]).verify(raw, dict(self.headers.items()))
                except (WebhookVerificationError, KeyError):
                    verified = False
                with receiver.lock:
                    hold = receiver.hold_next.is_set()
                    receiver.hold_next.clear()
                    status = 200
                    if path in receiver.always_fail:
                        status = 500
                    elif receiver.failing.get(path, 0) > 0:
                        receiver.failing[path] -= 1
                        status = 500
                    receiver.received.append(
                        Received(
                            path,
                            self.headers.get("webhook-id", ""),
                            json.loads(raw),
                            verified,
                            status,
                            time.monotonic(),
                        )
                    )
                if hold:  # the worker is killed while it waits for this answer
                    receiver.held.set()
                    receiver.release.wait(30)
                try:
                    self.send_response(status)
                    self.send_header("content-length", "0")
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    @property
    def base_url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def of(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def stop(self) -> None:
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
