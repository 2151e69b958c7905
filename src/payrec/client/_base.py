"""What the sync and async clients share: settings, the environment, the endpoints."""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Callable
from typing import Any, Generic, Self, TypeVar

import httpx

from ._call import make_core
from ._defaults import DEFAULT_LIMITS, DEFAULT_TIMEOUT, load_env, to_timeout
from ._endpoints import Endpoints
from ._retry import DEFAULT_MAX_BACKOFF, DEFAULT_MAX_RETRY_AFTER
from .breaker import CircuitBreaker

__all__ = ["ClientBase"]

HttpT = TypeVar("HttpT")
TransportT = TypeVar("TransportT")
SleepT = TypeVar("SleepT", bound=Callable[[float], Any])


class ClientBase(Endpoints, Generic[HttpT, TransportT, SleepT]):
    """Settings, environment and endpoints of both clients; a subclass says how it opens
    its httpx client and sleeps between attempts (``sleep=None``: its own default)."""

    _http: HttpT
    _sleep: SleepT

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry_delay: float | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        service_name: str = "python-automation",
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        limits: httpx.Limits = DEFAULT_LIMITS,
        transport: TransportT | None = None,
        sleep: SleepT | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._core = make_core(
            base_url=base_url,
            api_key=api_key,
            service_name=service_name,
            max_retries=max_retries,
            retry_delay=retry_delay,
            max_backoff=max_backoff,
            max_retry_after=max_retry_after,
            circuit_breaker=circuit_breaker,
            rand=rand,
        )
        self._sleep = sleep if sleep is not None else self._default_sleep()
        self._http = self._open(
            timeout=to_timeout(timeout),
            limits=limits,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    @staticmethod
    @abstractmethod
    def _default_sleep() -> SleepT: ...

    @staticmethod
    @abstractmethod
    def _open(
        *,
        timeout: httpx.Timeout,
        limits: httpx.Limits,
        transport: TransportT | None,
        follow_redirects: bool,
        trust_env: bool,
    ) -> HttpT: ...

    @classmethod
    def from_env(
        cls,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        circuit_breaker: CircuitBreaker | None = None,
        service_name: str = "python-automation",
        transport: TransportT | None = None,
    ) -> Self:
        """Build a client from ``PAYREC_API_BASE_URL``, ``PAYREC_API_KEY`` (aliases
        ``JAVA_API_BASE_URL``/``JAVA_API_KEY``), ``MAX_RETRIES``, ``RETRY_DELAY``, ``LOG_LEVEL``."""
        env = load_env()
        return cls(
            env.base_url,
            env.api_key,
            timeout=timeout,
            max_retries=env.max_retries,
            retry_delay=env.retry_delay,
            circuit_breaker=circuit_breaker,
            service_name=service_name,
            transport=transport,
        )

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def circuit_breaker(self) -> CircuitBreaker:
        return self._core.breaker

    @property
    def max_retries(self) -> int:
        return self._core.policy.max_retries

    @property
    def retry_delay(self) -> float:
        return self._core.policy.retry_delay

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"service_name={self._core.service_name!r})"
        )
