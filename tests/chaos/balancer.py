"""A tiny round-robin TCP load balancer for tests (what nginx/HAProxy do in production).

Each accepted connection goes to the next upstream in turn; an upstream that refuses the
connection is skipped (passive health check), so a dead backend stops receiving traffic at
once. Bytes are piped both ways by two threads per connection; closing either side closes
both. Loopback only.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
from collections import Counter

from tests.support.backend import free_port


class RoundRobinBalancer:
    def __init__(self, upstreams: list[int], port: int | None = None) -> None:
        self.upstreams = list(upstreams)
        self.port = port or free_port()
        self.connections: Counter[int] = Counter()  # upstream port -> connections sent to it
        self._turn = itertools.count()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        self._server.settimeout(0.2)
        self._thread = threading.Thread(target=self._accept, name="balancer", daemon=True)
        self._open: set[socket.socket] = set()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> RoundRobinBalancer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> RoundRobinBalancer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()
        with self._lock:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._route, args=(client,), daemon=True).start()

    def _connect(self) -> socket.socket | None:
        for _ in range(len(self.upstreams)):
            port = self.upstreams[next(self._turn) % len(self.upstreams)]
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                continue  # down: try the next one
            upstream.settimeout(None)
            with self._lock:
                self.connections[port] += 1
            return upstream
        return None

    def _route(self, client: socket.socket) -> None:
        upstream = self._connect()
        if upstream is None:
            client.close()
            return
        with self._lock:
            self._open.update((client, upstream))
        for source, target in ((client, upstream), (upstream, client)):
            threading.Thread(target=self._pipe, args=(source, target), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    sock.close()
            with self._lock:
                self._open.discard(source)
                self._open.discard(target)
