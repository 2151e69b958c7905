"""Fakes for the client's unit tests: a scripted httpx transport (no network)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx

API_KEY = "prk_live_Sup3rS3cretKeyValue_0123456789abcdef"

Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class Script:
    """Answers requests from a queue of replies (a response, an exception to raise, or a
    callable); once the queue is empty it answers ``default``."""

    def __init__(self, *replies: Reply, default: Reply | None = None) -> None:
        self.replies = list(replies)
        self.default = default or httpx.Response(200, json={})
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        reply = self.replies.pop(0) if self.replies else self.default
        if isinstance(reply, Exception):
            raise reply
        if isinstance(reply, httpx.Response):
            return reply
        return reply(request)

    async def handle_async(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        return self(request)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def async_transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle_async)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]


def problem(
    status: int,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    document = {"type": type_, "title": "Problem", "status": status, **extra}
    all_headers = {"Content-Type": "application/problem+json", **(headers or {})}
    return httpx.Response(status, content=json.dumps(document).encode(), headers=all_headers)


class Sleeps:
    """Records requested sleeps instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)

    async def async_sleep(self, seconds: float) -> None:
        self.calls.append(seconds)
