"""Pure-ASGI edge: request ids, body size limits, rate-limit headers, `nosniff` on every
response, metrics, access log."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payrec.server.middleware.problems import problem_response

logger = logging.getLogger("payrec.access")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,100}$")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "payrec_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "payrec_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


class _TooLarge(HTTPException):
    """A body past its limit, found while reading it (a chunked body declares no length).

    An HTTPException, so that FastAPI's body parsing passes it on (any other exception there
    becomes "400 There was an error parsing the body") and the problem handler answers 413.
    """

    code = "payload-too-large"

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds {limit} bytes")


class RouteTemplates:
    """The full path template of the route that answered (`/api/v1/automation/tasks/{task_id}`).

    A route included through nested routers only knows its own path (`/tasks/{task_id}`),
    which is ambiguous between the automation and the management API; the full templates are
    the application's OpenAPI paths, matched once per route.
    """

    def __init__(self, paths: Callable[[], Iterable[str]]) -> None:
        self._paths = paths
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None
        self._by_route: dict[int, str] = {}

    def of(self, scope: Scope) -> str:
        route = scope.get("route")
        if route is None:
            return "unmatched"
        known = self._by_route.get(id(route))
        if known is not None:
            return known
        if self._compiled is None:
            self._compiled = sorted(
                ((compile_path(p)[0], p) for p in self._paths()), key=lambda c: c[1].count("{")
            )
        path = scope.get("path", "")
        own = str(getattr(route, "path", "") or "unmatched")
        template = next((t for rx, t in self._compiled if rx.match(path) and t.endswith(own)), own)
        self._by_route[id(route)] = template
        return template


class EdgeMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_json: int,
        max_upload: int,
        metrics: Metrics,
        routes: RouteTemplates | None = None,
    ) -> None:
        self.app = app
        self.max_json = max_json
        self.max_upload = max_upload
        self.metrics = metrics
        self.routes = routes or RouteTemplates(list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        content_type = headers.get("content-type", "")
        limit = self.max_upload if content_type.startswith("multipart/") else self.max_json
        status_holder = {"status": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = 1
                raw = list(message.get("headers", []))
                raw.append((b"x-request-id", request_id.encode()))
                if not any(k.lower() == b"x-content-type-options" for k, _ in raw):
                    raw.append((b"x-content-type-options", b"nosniff"))
                decision: Any = scope.get("state", {}).get("rate_limit")
                if decision is not None:
                    raw.append(
                        (
                            b"ratelimit-policy",
                            f'"default";q={decision.limit};w={_window(decision)}'.encode(),
                        )
                    )
                    raw.append(
                        (
                            b"ratelimit",
                            f'"default";r={decision.remaining};t={decision.reset_seconds}'.encode(),
                        )
                    )
                message["headers"] = raw
            await send(message)

        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            response = problem_response(
                400, "NUL characters are not allowed in URLs", code="bad-request"
            )
            await response(scope, receive, send_wrapper)
            self._observe(scope, status_holder["status"], started)
            return

        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            response = problem_response(
                413, f"request body exceeds {limit} bytes", code="payload-too-large"
            )
            await response(scope, receive, send_wrapper)
            self._observe(scope, status_holder["status"], started)
            return

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        try:
            await self.app(scope, receive_wrapper, send_wrapper)
        except _TooLarge as exc:  # read outside FastAPI's body parsing (and not answered)
            if status_holder["status"] == 500 and not status_holder.get("started"):
                response = problem_response(413, str(exc.detail), code=exc.code)
                await response(scope, receive, send_wrapper)
        self._observe(scope, status_holder["status"], started)

    def _observe(self, scope: Scope, status: int, started: float) -> None:
        elapsed = time.perf_counter() - started
        path = self.routes.of(scope)
        method = scope.get("method", "")
        self.metrics.requests.labels(method, path, str(status)).inc()
        self.metrics.latency.labels(method, path).observe(elapsed)
        if logger.isEnabledFor(logging.INFO):
            state = scope.get("state", {})
            principal = state.get("principal")
            logger.info(
                "%s %s %s %.1fms request_id=%s caller=%s service=%s",
                method,
                path,
                status,
                elapsed * 1000,
                state.get("request_id"),
                getattr(principal, "name", "-"),
                _service_name(scope),
            )


def _window(decision: Any) -> int:
    return int(getattr(decision, "window", 1) or 1)


def _service_name(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == b"x-service-name":
            name: str = value.decode("latin-1")[:100]
            return name
    return "-"
