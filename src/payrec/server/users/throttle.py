"""Failed sign-ins throttled per account and per client address.

Behind a small interface (`SignInThrottle`) so that the counters can live where the other rate
limits live. `LimitsThrottle` counts with the `limits` library: in this process's memory, or in
Redis when `PAYREC_REDIS_URL` is set (then every backend shares the counts, under
`PAYREC_REDIS_PREFIX`). A Redis that does not answer is left alone for a few seconds and the
counts are kept in this process meanwhile (logged), like the request rate limits: a sign-in
is never refused with an error because Redis is down. The calls block, so the sign-in page
makes them off the event loop.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

logger = logging.getLogger("payrec.signin")
T = TypeVar("T")
_REDIS_TIMEOUT_SECONDS = 0.5
_REDIS_PAUSE_SECONDS = 5.0


class SignInThrottle(Protocol):
    def retry_after(self, account: str, address: str) -> int | None:
        """Seconds until a sign-in may be tried again, or None when it may be tried now."""

    def failed(self, account: str, address: str) -> None:
        """Count one failed sign-in against the account and the address."""

    def succeeded(self, account: str) -> None:
        """Forget the account's failures (its address keeps its count)."""


class LimitsThrottle:
    def __init__(
        self,
        per_account: str,
        per_address: str,
        storage_url: str = "memory://",
        *,
        prefix: str = "",
    ) -> None:
        self._local = MovingWindowRateLimiter(storage_from_string("memory://"))
        self._shared: MovingWindowRateLimiter | None = None
        if not storage_url.startswith("memory://"):
            self._shared = MovingWindowRateLimiter(_shared_storage(storage_url))
        self._shared_back_at = 0.0
        self._account: RateLimitItem = parse(per_account)
        self._address: RateLimitItem = parse(per_address)
        self._prefix = f"{prefix}:" if prefix else ""

    def _account_key(self, account: str) -> str:
        return f"{self._prefix}signin-account:{account.strip().lower()}"

    def _checks(self, account: str, address: str) -> tuple[tuple[RateLimitItem, str], ...]:
        return (
            (self._account, self._account_key(account)),
            (self._address, f"{self._prefix}signin-address:{address}"),
        )

    def _with_limiter(self, use: Callable[[MovingWindowRateLimiter], T]) -> T:
        if self._shared is not None and time.monotonic() >= self._shared_back_at:
            try:
                return use(self._shared)
            except StorageError as exc:
                self._shared_back_at = time.monotonic() + _REDIS_PAUSE_SECONDS
                logger.warning(
                    "Redis unreachable for sign-in counts (%s): kept per process meanwhile",
                    type(exc.storage_error).__name__,
                )
        return use(self._local)

    def retry_after(self, account: str, address: str) -> int | None:
        def wait(limiter: MovingWindowRateLimiter) -> int | None:
            waits = []
            for item, key in self._checks(account, address):
                if not limiter.test(item, key):
                    reset = limiter.get_window_stats(item, key).reset_time
                    waits.append(max(1, math.ceil(reset - time.time())))
            return max(waits) if waits else None

        return self._with_limiter(wait)

    def failed(self, account: str, address: str) -> None:
        def count(limiter: MovingWindowRateLimiter) -> None:
            for item, key in self._checks(account, address):
                limiter.hit(item, key)

        self._with_limiter(count)

    def succeeded(self, account: str) -> None:
        self._with_limiter(lambda limiter: limiter.clear(self._account, self._account_key(account)))


def _shared_storage(url: str) -> Storage:
    """Redis storage that answers a failure within half a second, as one `StorageError`."""
    storage = storage_from_string(
        url,
        wrap_exceptions=True,
        socket_timeout=_REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
    )
    assert isinstance(storage, Storage)  # a redis:// URL gives the synchronous storage
    return storage
