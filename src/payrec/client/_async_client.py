"""Asynchronous twin of :class:`AutomationApiClient` (same methods, as coroutines)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self, TypeVar

import httpx

from ._base import ClientBase
from ._call import Retry
from ._endpoints import AsyncSender
from ._request import RequestSpec

__all__ = ["AsyncAutomationApiClient"]

T = TypeVar("T")


class AsyncAutomationApiClient(
    ClientBase[httpx.AsyncClient, httpx.AsyncBaseTransport, Callable[[float], Awaitable[None]]],
    AsyncSender,
):
    """Async client for the automation API (``/api/v1/automation``).

    One pooled keep-alive :class:`httpx.AsyncClient` per instance; use it as an async context
    manager or await :meth:`aclose`. Retry, idempotency and breaker rules are those of
    :class:`AutomationApiClient` (the decision logic is shared).
    """

    @staticmethod
    def _default_sleep() -> Callable[[float], Awaitable[None]]:
        return asyncio.sleep

    _open = staticmethod(httpx.AsyncClient)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _send(self, spec: RequestSpec[T]) -> T:
        call = self._core.start(spec)
        try:
            while True:
                try:
                    response = await self._http.send(call.build_request())
                except httpx.TransportError as exc:
                    step = call.on_transport_error(exc)
                else:
                    step = call.on_response(response)
                if isinstance(step, Retry):
                    await self._sleep(step.delay)
                    continue
                return spec.check(call.finish(step))
        finally:
            call.abandon()
