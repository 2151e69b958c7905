"""A real fault-injecting HTTP/1.1 reverse proxy for integration tests.

:class:`FaultProxy` listens on a free loopback port (asyncio server in a background thread) and,
for each request it receives, consumes the first queued rule that matches it; with no matching
rule it forwards the request to the upstream. Actions:

* :class:`Respond` -- answer with a canned status/headers/body (e.g. 503, 429 + Retry-After),
  without touching the upstream;
* :class:`Forward` -- pass the request to the upstream and its answer back;
* :class:`ForwardThenDrop` -- pass the request to the upstream, wait for its answer, then close
  the client's connection without sending anything (the "lost response" fault);
* :class:`Drop` -- close the connection at once, upstream untouched;
* :class:`Delay` -- wait, then perform another action (for client timeouts).

Every request is recorded (:attr:`FaultProxy.requests`) with the action applied to it.
:class:`StubUpstream` is a tiny threaded HTTP server to stand in for a backend.

    with FaultProxy(upstream) as proxy:
        proxy.enqueue(Respond(503), Respond(503))
        client = AutomationApiClient(proxy.url, key)
        ...
        assert proxy.count() == 3
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = [
    "Action",
    "Delay",
    "Drop",
    "FaultProxy",
    "Forward",
    "ForwardThenDrop",
    "RecordedRequest",
    "Respond",
    "StubUpstream",
    "wait_until",
]

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "trailers",
    "transfer-encoding",
    "upgrade",
}
_MAX_HEAD = 64 * 1024


def wait_until(
    predicate: Callable[[], bool], timeout: float = 5.0, interval: float = 0.005
) -> None:
    """Poll ``predicate`` until it is true; ``AssertionError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


# actions ---------------------------------------------------------------------------------


class Action:
    """Base class of what the proxy does with one request."""

    name = "action"


@dataclass(frozen=True)
class Respond(Action):
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    json_body: Any = None
    name = "respond"

    def payload(self) -> tuple[dict[str, str], bytes]:
        headers = dict(self.headers)
        if self.body is not None:
            return headers, self.body
        document = self.json_body
        if document is None:
            document = {
                "type": "about:blank",
                "title": HTTPStatus(self.status).phrase,
                "status": self.status,
                "detail": "injected by FaultProxy",
            }
        headers.setdefault("Content-Type", "application/problem+json")
        return headers, json.dumps(document).encode()


@dataclass(frozen=True)
class Forward(Action):
    name = "forward"


@dataclass(frozen=True)
class ForwardThenDrop(Action):
    name = "forward-then-drop"


@dataclass(frozen=True)
class Drop(Action):
    name = "drop"


@dataclass(frozen=True)
class Delay(Action):
    seconds: float
    then: Action = field(default_factory=Forward)
    name = "delay"


@dataclass
class RecordedRequest:
    method: str
    target: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    action: str
    upstream_status: int | None = None  # set once the upstream answered a forwarded request

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Rule:
    action: Action
    method: str | None
    path: str | None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path is None or self.path in path


class _BadRequest(Exception):
    pass


# the proxy -------------------------------------------------------------------------------


class FaultProxy:
    def __init__(self, upstream: str | None = None, *, host: str = "127.0.0.1") -> None:
        self.upstream = upstream.rstrip("/") if upstream else None
        self.host = host
        self.port = 0
        self._rules: list[_Rule] = []
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._startup_error: BaseException | None = None

    # scripting ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def enqueue(self, *actions: Action, method: str | None = None, path: str | None = None) -> None:
        """Queue actions, each used for one request matching ``method``/``path`` (a substring
        of the request path); requests matching no queued action are forwarded."""
        with self._lock:
            self._rules.extend(_Rule(action, method, path) for action in actions)

    def fail_next(self, n: int, status: int = 503, **match: str) -> None:
        self.enqueue(*(Respond(status) for _ in range(n)), **match)

    def rate_limit_next(self, retry_after: str = "1", n: int = 1, **match: str) -> None:
        self.enqueue(*(Respond(429, {"Retry-After": retry_after}) for _ in range(n)), **match)

    def pending_rules(self) -> int:
        with self._lock:
            return len(self._rules)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if (method is None or r.method == method.upper()) and (path is None or path in r.path)
        )

    def reset(self) -> None:
        with self._lock:
            self._rules.clear()
            self._requests.clear()

    def _take_action(self, method: str, path: str) -> Action:
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.matches(method, path):
                    del self._rules[index]
                    return rule.action
        return Forward()

    # lifecycle ---------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("fault proxy did not start")
        if self._startup_error is not None:
            raise RuntimeError("fault proxy failed to start") from self._startup_error
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # surfaced by start()
            self._startup_error = exc
            self._started.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        tasks: set[asyncio.Task[None]] = set()
        writers: set[asyncio.StreamWriter] = set()
        async with httpx.AsyncClient(timeout=30.0, trust_env=False) as upstream:

            async def on_connect(
                reader: asyncio.StreamReader, writer: asyncio.StreamWriter
            ) -> None:
                task = asyncio.current_task()
                assert task is not None
                tasks.add(task)
                writers.add(writer)
                try:
                    await self._serve_connection(reader, writer, upstream)
                except (ConnectionError, asyncio.IncompleteReadError, _BadRequest):
                    pass
                except asyncio.CancelledError:
                    pass  # proxy shutting down
                finally:
                    writers.discard(writer)
                    tasks.discard(task)
                    writer.close()

            server = await asyncio.start_server(on_connect, self.host, 0, limit=_MAX_HEAD)
            self.port = server.sockets[0].getsockname()[1]
            self._started.set()
            try:
                await self._stop.wait()
            finally:
                server.close()
                for writer in list(writers):
                    writer.close()
                for task in list(tasks):
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await server.wait_closed()

    async def _serve_connection(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upstream: httpx.AsyncClient,
    ) -> None:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError:
                return  # client closed the keep-alive connection
            method, target, headers = _parse_head(head)
            body = await _read_body(reader, headers)
            action = self._take_action(method, target.split("?", 1)[0])
            record = RecordedRequest(method, target, headers, body, action.name)
            self._record(record)  # counted on arrival, whatever happens next
            keep_open = await self._apply(action, record, writer, upstream)
            if not keep_open or headers.get("connection", "").lower() == "close":
                return

    async def _apply(
        self,
        action: Action,
        record: RecordedRequest,
        writer: asyncio.StreamWriter,
        upstream: httpx.AsyncClient,
    ) -> bool:
        """Perform ``action``; ``False`` when the connection must be closed."""
        if isinstance(action, Delay):
            await asyncio.sleep(action.seconds)
            return await self._apply(action.then, record, writer, upstream)
        if isinstance(action, Drop):
            return False
        if isinstance(action, Respond):
            response_headers, payload = action.payload()
            await _write_response(writer, action.status, response_headers, payload)
            return True
        # Forward / ForwardThenDrop
        if self.upstream is None:
            await _write_response(writer, 502, {"Content-Type": "text/plain"}, b"no upstream")
            return True
        forwarded = {k: v for k, v in record.headers.items() if k not in _HOP_BY_HOP | {"host"}}
        forwarded.pop("content-length", None)
        try:
            response = await upstream.request(
                record.method, self.upstream + record.target, headers=forwarded, content=record.body
            )
        except httpx.HTTPError as exc:
            await _write_response(writer, 502, {"Content-Type": "text/plain"}, str(exc).encode())
            return True
        with self._lock:
            record.upstream_status = response.status_code
        if isinstance(action, ForwardThenDrop):
            return False
        response_headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in _HOP_BY_HOP | {"content-length", "content-encoding"}
        }
        await _write_response(writer, response.status_code, response_headers, response.content)
        return True

    def _record(self, record: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(record)


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        raise _BadRequest(lines[0]) from None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method.upper(), target, headers


async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                # trailers until an empty line
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = int(headers.get("content-length", "0") or "0")
    return await reader.readexactly(length) if length else b""


async def _write_response(
    writer: asyncio.StreamWriter, status: int, headers: Mapping[str, str], body: bytes
) -> None:
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    lines.append(f"Content-Length: {len(body)}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


# a stand-in backend ----------------------------------------------------------------------

StubHandler = Callable[[str, str, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


class StubUpstream:
    """A threaded HTTP server answering every request through ``handler`` (default: a JSON
    echo of method, path and body). Records ``(method, path, headers, body)`` of each request."""

    def __init__(self, handler: StubHandler | None = None) -> None:
        self.handler = handler or _echo
        self.calls: list[tuple[str, str, dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        stub = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                with stub._lock:
                    stub.calls.append((self.command, self.path, headers, body))
                status, out_headers, payload = stub.handler(self.command, self.path, headers, body)
                self.send_response(status)
                for name, value in out_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> StubUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(10)


def _echo(
    method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    document = {"method": method, "path": path, "body": body.decode() if body else None}
    return 200, {"Content-Type": "application/json"}, json.dumps(document).encode()
