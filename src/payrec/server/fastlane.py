"""A lean path for the automation API's hottest calls, in front of FastAPI's routing.

Workers poll the queue (`GET /recovery-cases/pending`), claim tasks (`POST /tasks/claim`)
and mark reminders sent (`PUT /reminders/{id}/sent`) all day long. FastAPI's per-request
machinery (nested router matching, dependency solving, parameter introspection) costs more
than the work of those requests, so this middleware answers them directly when, and only
when, the request is plain:

- the caller's credential was verified in the last seconds (a cache hit, no I/O) and holds
  the lane's role;
- the lane accepts the query string and body (every parameter known, every value valid);
- no `Idempotency-Key` is sent.

Anything else (a missing, new or wrong credential, an unknown parameter, a bad value, an
idempotent retry, an error while running) goes on to the FastAPI route, which answers with its
full validation and problem details: the two paths share the same service code and the route
stays the documented (OpenAPI) definition of the operation.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qs

import anyio.to_thread
from anyio import CapacityLimiter
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from payrec.server.actor import Actor
from payrec.server.auth.dependencies import cached_principal
from payrec.server.errors import RateLimited
from payrec.server.jsonio import dumps
from payrec.server.loop_db import LoopStatements
from payrec.server.middleware.problems import problem_response
from payrec.server.state import AppState

logger = logging.getLogger("payrec.server")

M = TypeVar("M", bound=BaseModel)

Work = Callable[[AppState, Actor], Any]
"""What a lane runs in the thread pool: it returns the JSON-ready answer (status 200)."""

LoopWork = Callable[[LoopStatements, AppState, Actor], Awaitable[Any]]
"""What a lane awaits on the event loop instead, its one statement on `AppState.loop_db`."""


@dataclass(frozen=True)
class EitherWork:
    """Work that, on PostgreSQL, is one statement: `on_loop` is awaited on the event loop
    with `AppState.loop_db` (no thread hops); elsewhere `work` runs as any lane's would."""

    work: Work
    on_loop: LoopWork


Prepare = Callable[[Mapping[str, list[str]], bytes, Mapping[str, str]], Work | EitherWork | None]
"""Parse the query, body and path parameters; None hands the request to the FastAPI route."""


def plain_body(model: type[M], query: Mapping[str, list[str]], body: bytes) -> M | None:
    """A lane's JSON body, if the request has no query string and the body is valid; None
    hands the request to the route, which answers the problem field by field."""
    if query:
        return None
    try:
        return model.model_validate_json(body)
    except ValueError:  # pydantic's ValidationError
        return None


@dataclass(frozen=True)
class Lane:
    method: str
    path: str  # the route's path; a `{name}` segment matches one non-empty segment
    role: str
    prepare: Prepare
    reads_only: bool = False

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(self.path.split("/"))


def _match(lane: Lane, segments: list[str]) -> dict[str, str] | None:
    """The path parameters if `segments` (a request path split at `/`) is the lane's path."""
    if len(segments) != len(lane.segments):
        return None
    params: dict[str, str] = {}
    for pattern, segment in zip(lane.segments, segments, strict=True):
        if pattern.startswith("{") and pattern.endswith("}"):
            if not segment:
                return None
            params[pattern[1:-1]] = segment
        elif pattern != segment:
            return None
    return params


@dataclass(frozen=True)
class _LaneRoute:
    """What `scope["route"]` holds for a lane's request (metrics and logs read its path)."""

    path: str


class FastLaneMiddleware:
    def __init__(self, app: ASGIApp, *, lanes: list[Lane], state: Callable[[], AppState]) -> None:
        self.app = app
        self._state = state
        self._lanes = {(lane.method, lane.path): lane for lane in lanes if "{" not in lane.path}
        self._templated = [lane for lane in lanes if "{" in lane.path]
        self._routes = {(lane.method, lane.path): _LaneRoute(lane.path) for lane in lanes}
        self._limiter: CapacityLimiter | None = None

    def _lane_for(self, method: str, path: str) -> tuple[Lane, dict[str, str]] | None:
        lane = self._lanes.get((method, path))
        if lane is not None:
            return lane, {}
        segments = path.split("/")
        for candidate in self._templated:
            params = _match(candidate, segments) if candidate.method == method else None
            if params is not None:
                return candidate, params
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._lane_for(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if found is None:
            await self.app(scope, receive, send)
            return
        lane, params = found
        headers = _headers(scope)
        principal = cached_principal(headers.get(b"authorization", b"").decode("latin-1"))
        if principal is None or lane.role not in principal.roles or b"idempotency-key" in headers:
            await self.app(scope, receive, send)
            return
        body, receive = await _buffer(receive)
        work = lane.prepare(_query(scope), body, params) if body is not None else None
        if work is None:
            await self.app(scope, receive, send)
            return
        state = self._state()
        decision = state.limiter.hit(principal.subject)
        lane_state = scope.setdefault("state", {})
        lane_state["rate_limit"] = decision
        lane_state["principal"] = principal
        scope["route"] = self._routes[(lane.method, lane.path)]
        if not decision.allowed:
            limited = RateLimited("rate limit exceeded; retry later")
            response = problem_response(
                limited.status,
                limited.detail,
                code=limited.code,
                headers={"Retry-After": str(decision.retry_after)},
            )
            await response(scope, receive, send)
            return
        service_name = headers.get(b"x-service-name")
        actor = Actor(
            name=principal.name,
            subject=principal.subject,
            service_name=service_name.decode("latin-1") if service_name else None,
            request_id=lane_state.get("request_id"),
        )
        try:
            if isinstance(work, EitherWork):
                if state.loop_db is not None:
                    answer = await work.on_loop(state.loop_db, state, actor)
                else:
                    answer = await self._run(lane, work.work, state, actor)
            else:
                answer = await self._run(lane, work, state, actor)
        except Exception as exc:  # the route answers it with the proper problem details
            logger.debug("fast lane handed over after %s", type(exc).__name__)
            scope.pop("route", None)
            await self.app(scope, receive, send)
            return
        payload = dumps(answer)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    async def _run(self, lane: Lane, work: Work, state: AppState, actor: Actor) -> Any:
        if lane.reads_only and state.db.is_sqlite:
            # An embedded WAL read never waits for a lock and takes about a millisecond:
            # cheaper on the event loop than handing it to a thread and back.
            return work(state, actor)
        return await anyio.to_thread.run_sync(work, state, actor, limiter=self._threads(state))

    def _threads(self, state: AppState) -> CapacityLimiter:
        """How many lane calls run at once: one on SQLite (its writers queue anyway, and more
        threads only add GIL switches), a few on PostgreSQL (to overlap its round trips and
        group its commits; measured best at 2-4 with 4 clients on 2 cores)."""
        if self._limiter is None:
            self._limiter = CapacityLimiter(1 if state.db.is_sqlite else 4)
        return self._limiter


def _headers(scope: Scope) -> dict[bytes, bytes]:
    return {key.lower(): value for key, value in scope["headers"]}


def _query(scope: Scope) -> dict[str, list[str]]:
    raw = scope.get("query_string", b"").decode("latin-1")
    return parse_qs(raw, keep_blank_values=True, strict_parsing=False) if raw else {}


async def _buffer(receive: Receive) -> tuple[bytes | None, Receive]:
    """Read the whole body, and a `receive` that replays it for the route if we hand over."""
    chunks: list[bytes] = []
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":  # the client went away
            return None, _replay(messages, receive)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), _replay(messages, receive)


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay
