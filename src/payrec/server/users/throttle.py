"""Failed sign-ins throttled per account and per client address.

Behind a small interface (`SignInThrottle`) so that the counters can live where the other rate
limits live. `LimitsThrottle` counts with the `limits` library: in this process's memory, or in
Redis when `PAYREC_REDIS_URL` is set (then every backend shares the counts).
"""

from __future__ import annotations

import math
import time
from typing import Protocol

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


class SignInThrottle(Protocol):
    def retry_after(self, account: str, address: str) -> int | None:
        """Seconds until a sign-in may be tried again, or None when it may be tried now."""

    def failed(self, account: str, address: str) -> None:
        """Count one failed sign-in against the account and the address."""

    def succeeded(self, account: str) -> None:
        """Forget the account's failures (its address keeps its count)."""


class LimitsThrottle:
    def __init__(self, per_account: str, per_address: str, storage_url: str = "memory://") -> None:
        self._storage = storage_from_string(storage_url)
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._account: RateLimitItem = parse(per_account)
        self._address: RateLimitItem = parse(per_address)

    def _checks(self, account: str, address: str) -> tuple[tuple[RateLimitItem, str], ...]:
        return (
            (self._account, f"signin-account:{account.strip().lower()}"),
            (self._address, f"signin-address:{address}"),
        )

    def retry_after(self, account: str, address: str) -> int | None:
        waits = []
        for item, key in self._checks(account, address):
            if not self._limiter.test(item, key):
                reset = self._limiter.get_window_stats(item, key).reset_time
                waits.append(max(1, math.ceil(reset - time.time())))
        return max(waits) if waits else None

    def failed(self, account: str, address: str) -> None:
        for item, key in self._checks(account, address):
            self._limiter.hit(item, key)

    def succeeded(self, account: str) -> None:
        self._limiter.clear(self._account, f"signin-account:{account.strip().lower()}")
