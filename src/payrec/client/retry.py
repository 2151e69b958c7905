"""The guide's ``retry_with_backoff`` decorator.

As in the guide, ``max_retries`` is the total number of attempts (``range(max_retries)``), the
first wait is ``initial_delay`` and each following wait is multiplied by ``backoff_factor``;
after the last failed attempt the last exception is re-raised. Also works on ``async def``
functions (waiting with ``asyncio.sleep``).

One deliberate difference: an :class:`~payrec.client.errors.ApiError` that can never succeed
on a retry (a 4xx such as 404/422, or an illegal-transition 409) is re-raised at once instead
of being retried; pass ``retry_if`` to decide differently.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, cast

from ._retry import is_retryable
from .errors import ApiError, CircuitOpenError

__all__ = ["retry_with_backoff"]

logger = logging.getLogger("payrec.client")

P = ParamSpec("P")
T = TypeVar("T")


def _worth_retrying(exc: BaseException) -> bool:
    if isinstance(exc, CircuitOpenError):
        return True  # the circuit may close again by the next attempt
    if isinstance(exc, ApiError):
        return is_retryable(exc)
    return True


def retry_with_backoff(
    max_retries: int = 3,
    initial_delay: float = 1.0,
    backoff_factor: float = 2.0,
    exceptions: tuple[type[BaseException], ...] = (Exception,),
    *,
    retry_if: Callable[[BaseException], bool] = _worth_retrying,
    sleep: Callable[[float], None] = time.sleep,
    async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Retry decorator with exponential backoff (see the module docstring)."""
    attempts = max(1, max_retries)
    if initial_delay < 0 or backoff_factor < 0:
        raise ValueError("initial_delay and backoff_factor must be >= 0")

    def _retrying(name: str, attempt: int, exc: BaseException, delay: float) -> bool:
        """Whether to try again after ``exc`` (logged either way), waiting ``delay``."""
        if attempt >= attempts - 1 or not retry_if(exc):
            if attempt == attempts - 1:
                logger.error("%s: all %d attempts failed", name, attempts)
            return False
        logger.warning(
            "%s: attempt %d/%d failed: %s. Retrying in %.3fs...",
            name,
            attempt + 1,
            attempts,
            exc,
            delay,
        )
        return True

    def decorator(func: Callable[P, T]) -> Callable[P, T]:
        name = getattr(func, "__qualname__", repr(func))

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                delay = initial_delay
                for attempt in range(attempts):
                    try:
                        return await func(*args, **kwargs)
                    except exceptions as exc:
                        if not _retrying(name, attempt, exc, delay):
                            raise
                    await async_sleep(delay)
                    delay *= backoff_factor
                raise AssertionError("unreachable")  # pragma: no cover

            return cast(Callable[P, T], async_wrapper)

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            delay = initial_delay
            for attempt in range(attempts):
                try:
                    return func(*args, **kwargs)
                except exceptions as exc:
                    if not _retrying(name, attempt, exc, delay):
                        raise
                sleep(delay)
                delay *= backoff_factor
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper

    return decorator
