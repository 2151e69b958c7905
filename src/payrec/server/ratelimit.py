"""Request rate limits, shared by every backend through Redis or kept per process.

Three limits, all sliding-window counters of the `limits` library:

* per caller (``PAYREC_RATE_LIMIT``): every authenticated request, by the caller's subject;
* per client address before a credential is checked (``PAYREC_ANONYMOUS_RATE_LIMIT``): a
  request without credentials, or with one this process has not verified in the last seconds,
  counts here before any database lookup;
* failed authentication (``PAYREC_AUTH_FAILURE_LIMIT``), per client address and per key
  prefix (API key lookup or OAuth client id). An address over it is refused before any
  lookup; a prefix over it refuses every wrong secret presented for it (the key's holder,
  presenting the right one, still passes: nobody locks a client out by guessing its prefix).

With ``PAYREC_REDIS_URL`` set the counters live in Redis under ``PAYREC_REDIS_PREFIX``, so
N backends (and N uvicorn workers) allow the rate once, not N times; without it they live in
this process's memory. A Redis that does not answer degrades to the in-memory counters (logged)
rather than failing requests.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from payrec.config import Settings, parse_rate_limit
from payrec.server.errors import RateLimited, Unauthenticated

logger = logging.getLogger("payrec.ratelimit")
T = TypeVar("T")
_WARN_EVERY_SECONDS = 60.0
_REDIS_TIMEOUT_SECONDS = 0.5


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after: int
    window: int = 1


def _item(text: str, namespace: str) -> RateLimitItem:
    count, window = parse_rate_limit(text)
    return RateLimitItemPerSecond(count, window, namespace=namespace)


def _redis_uri(url: str) -> str:
    """`redis://…` (as operators write it) in the scheme of the asyncio Redis storage."""
    return url if url.startswith("async+") else f"async+{url}"


class RateLimits:
    """The backend's limits on one storage (Redis when configured, else memory)."""

    def __init__(
        self,
        *,
        caller: str,
        anonymous: str,
        failures: str,
        redis_url: str | None = None,
        redis_prefix: str = "payrec",
    ) -> None:
        self.caller = _item(caller, "caller")
        self.anonymous = _item(anonymous, "anonymous")
        self.failures = _item(failures, "auth-failure")
        self.shared = redis_url is not None
        self._local = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._strategy = self._local
        if redis_url is not None:
            storage: Storage = RedisStorage(
                _redis_uri(redis_url),
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix=f"{redis_prefix}:ratelimit",
                socket_timeout=_REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
            )
            self._strategy = SlidingWindowCounterRateLimiter(storage)
        self._warned_at = -math.inf

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        return cls(
            caller=settings.rate_limit,
            anonymous=settings.anonymous_rate_limit,
            failures=settings.auth_failure_limit,
            redis_url=settings.redis_url,
            redis_prefix=settings.redis_prefix,
        )

    @property
    def policy(self) -> str:
        return f'"default";q={self.caller.amount};w={self.caller.get_expiry()}'

    async def hit(self, caller: str) -> Decision:
        """Count one request of an authenticated caller."""
        return await self._hit(self.caller, f"subject:{caller}")

    async def before_verifying(self, address: str) -> Decision | None:
        """The refusal for a request whose credential must be checked, or None to go on.

        An address over the failed-authentication limit is refused without counting; any other
        request counts towards the address's anonymous rate.
        """
        held = await self._test(self.failures, f"address:{address}")
        if held is not None:
            return held
        decision = await self._hit(self.anonymous, f"address:{address}")
        return None if decision.allowed else decision

    async def failed(self, address: str, prefix: str | None) -> Decision | None:
        """Count one failed authentication; the refusal when the address or prefix is over."""
        refusal: Decision | None = None
        for identity in (f"address:{address}", f"prefix:{prefix}" if prefix else None):
            if identity is None:
                continue
            decision = await self._hit(self.failures, identity)
            if not decision.allowed and refusal is None:
                refusal = decision
        return refusal

    async def verify(
        self, address: str, prefix: str | None, check: Callable[[], Awaitable[T]]
    ) -> T:
        """Run `check` (which raises Unauthenticated on a bad credential) under the limits."""
        refuse_if(await self.before_verifying(address))
        try:
            return await check()
        except Unauthenticated:
            refuse_if(await self.failed(address, prefix), "too many failed authentications")
            raise

    async def _hit(self, item: RateLimitItem, identity: str) -> Decision:
        try:
            return await self._decide(self._strategy, item, identity, hit=True)
        except StorageError as exc:
            self._warn(exc)
            return await self._decide(self._local, item, identity, hit=True)

    async def _test(self, item: RateLimitItem, identity: str) -> Decision | None:
        try:
            decision = await self._decide(self._strategy, item, identity, hit=False)
        except StorageError as exc:
            self._warn(exc)
            decision = await self._decide(self._local, item, identity, hit=False)
        return None if decision.allowed else decision

    @staticmethod
    async def _decide(
        strategy: SlidingWindowCounterRateLimiter, item: RateLimitItem, identity: str, *, hit: bool
    ) -> Decision:
        allowed = await (strategy.hit if hit else strategy.test)(item, identity)
        stats = await strategy.get_window_stats(item, identity)
        reset = max(0, math.ceil(stats.reset_time - time.time()))
        window = item.get_expiry()
        return Decision(
            allowed, item.amount, stats.remaining, reset, 0 if allowed else max(1, reset), window
        )

    def _warn(self, exc: StorageError) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning(
                "Redis rate-limit storage unreachable (%s): limits kept per process meanwhile",
                type(exc.storage_error).__name__,
            )


def refuse_if(decision: Decision | None, detail: str = "rate limit exceeded; retry later") -> None:
    """Raise the 429 problem (with Retry-After) for a refusal."""
    if decision is not None and not decision.allowed:
        raise RateLimited(detail, headers={"Retry-After": str(decision.retry_after)})
