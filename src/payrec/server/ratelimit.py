"""Request rate limits, shared by every backend through Redis or kept per process.

Three limits (sliding-window counters of the `limits` library in Redis, token buckets in
memory):

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
this process's memory. A Redis that does not answer degrades to the in-memory counters for a
few seconds at a time (logged) rather than failing or slowing requests.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from limits import RateLimitItem, RateLimitItemPerSecond, WindowStats
from limits.aio.storage import RedisStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter as SharedLimiter
from limits.errors import StorageError

from payrec.config import Settings, parse_rate_limit
from payrec.server.errors import RateLimited, Unauthenticated

logger = logging.getLogger("payrec.ratelimit")
T = TypeVar("T")
_WARN_EVERY_SECONDS = 60.0
_REDIS_TIMEOUT_SECONDS = 0.5
_REDIS_PAUSE_SECONDS = 5.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after: int
    window: int = 1


class TokenBucket:
    """`limit` requests per `window` seconds per key, bursting to `limit`, in this process."""

    def __init__(self, limit: int, window: int) -> None:
        self.limit = limit
        self.window = window
        self._rate = limit / window
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def count(self, key: str, *, hit: bool = True) -> Decision:
        """Take a token (`hit`) or only look whether one is there."""
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.get(key, (float(self.limit), now))
            tokens = min(float(self.limit), tokens + (now - stamp) * self._rate)
            if tokens >= 1.0:
                if hit:
                    tokens -= 1.0
                    self._buckets[key] = (tokens, now)
                    if len(self._buckets) > 100_000:
                        self._buckets.clear()
                reset = math.ceil((self.limit - tokens) / self._rate)
                return Decision(True, self.limit, int(tokens), reset, 0, self.window)
            self._buckets[key] = (tokens, now)
            wait = math.ceil((1.0 - tokens) / self._rate)
            return Decision(False, self.limit, 0, wait, max(1, wait), self.window)


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
        # In memory a token bucket (a few microseconds, on the event loop) per limit; Redis is
        # awaited (asyncio client) so a slow Redis never blocks other requests.
        self._local = {
            item.namespace: TokenBucket(item.amount, item.get_expiry())
            for item in (self.caller, self.anonymous, self.failures)
        }
        self._redis: SharedLimiter | None = None
        if redis_url is not None:
            storage = RedisStorage(
                _redis_uri(redis_url),
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix=f"{redis_prefix}:ratelimit",
                socket_timeout=_REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
            )
            self._redis = SharedLimiter(storage)
        self._warned_at = -math.inf
        self._redis_back_at = 0.0  # after a Redis failure, memory only until then

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimits:
        return cls(
            caller=settings.rate_limit,
            anonymous=settings.anonymous_rate_limit,
            failures=settings.auth_failure_limit,
            redis_url=settings.redis_url,
            redis_prefix=settings.redis_prefix,
        )

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
        return await self._count(item, identity, hit=True)

    async def _test(self, item: RateLimitItem, identity: str) -> Decision | None:
        decision = await self._count(item, identity, hit=False)
        return None if decision.allowed else decision

    async def _count(self, item: RateLimitItem, identity: str, *, hit: bool) -> Decision:
        if self._redis is not None and time.monotonic() >= self._redis_back_at:
            try:
                allowed = await (self._redis.hit if hit else self._redis.test)(item, identity)
                return _decision(item, allowed, await self._redis.get_window_stats(item, identity))
            except StorageError as exc:
                # an unreachable Redis costs one timeout per pause, not one per request
                self._redis_back_at = time.monotonic() + _REDIS_PAUSE_SECONDS
                self._warn(exc)
        return self._local[item.namespace].count(identity, hit=hit)

    def _warn(self, exc: StorageError) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _WARN_EVERY_SECONDS:
            self._warned_at = now
            logger.warning(
                "Redis rate-limit storage unreachable (%s): limits kept per process meanwhile",
                type(exc.storage_error).__name__,
            )


def _decision(item: RateLimitItem, allowed: bool, stats: WindowStats) -> Decision:
    reset = max(0, math.ceil(stats.reset_time - time.time()))
    retry_after = 0 if allowed else max(1, reset)
    return Decision(allowed, item.amount, stats.remaining, reset, retry_after, item.get_expiry())


def refuse_if(decision: Decision | None, detail: str = "rate limit exceeded; retry later") -> None:
    """Raise the 429 problem (with Retry-After) for a refusal."""
    if decision is not None and not decision.allowed:
        raise RateLimited(detail, headers={"Retry-After": str(decision.retry_after)})
