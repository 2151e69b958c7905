"""Synchronous client of the automation API (the guide's ``AutomationApiClient``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Self, TypeVar

import httpx

from ._base import ClientBase
from ._call import Retry
from ._endpoints import SyncSender
from ._request import RequestSpec

__all__ = ["AutomationApiClient"]

T = TypeVar("T")


class AutomationApiClient(
    ClientBase[httpx.Client, httpx.BaseTransport, Callable[[float], None]], SyncSender
):
    """Client for the automation API (``/api/v1/automation``).

    One pooled keep-alive :class:`httpx.Client` per instance; use it as a context manager or
    call :meth:`close`. Calls are retried on connection errors, timeouts, 408, 429, 5xx and an
    in-flight idempotency key (409), with full-jitter exponential backoff and ``Retry-After``
    honoured; every POST carries an ``Idempotency-Key`` reused by its retries; a
    :class:`CircuitBreaker` shared by all calls rejects calls while the backend is down.

    ``max_retries``/``retry_delay`` of ``None`` are read from ``MAX_RETRIES``/``RETRY_DELAY``.
    ``transport``, ``sleep`` and ``rand`` are seams for tests.
    """

    @staticmethod
    def _default_sleep() -> Callable[[float], None]:
        return time.sleep

    _open = staticmethod(httpx.Client)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _send(self, spec: RequestSpec[T]) -> T:
        call = self._core.start(spec)
        try:
            while True:
                try:
                    response = self._http.send(call.build_request())
                except httpx.TransportError as exc:
                    step = call.on_transport_error(exc)
                else:
                    step = call.on_response(response)
                if isinstance(step, Retry):
                    self._sleep(step.delay)
                    continue
                return spec.check(call.finish(step))
        finally:
            call.abandon()
