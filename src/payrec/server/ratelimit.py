"""Per-caller request rate limiting (token bucket, per process)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after: int
    window: int = 1


class RateLimiter:
    """A token bucket per caller: `limit` requests per `window` seconds, bursting to `limit`."""

    def __init__(
        self, limit: int, window: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._rate = limit / window
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def policy(self) -> str:
        return f'"default";q={self.limit};w={self.window}'

    def hit(self, caller: str) -> Decision:
        now = self._clock()
        with self._lock:
            tokens, stamp = self._buckets.get(caller, (float(self.limit), now))
            tokens = min(float(self.limit), tokens + (now - stamp) * self._rate)
            if tokens >= 1.0:
                tokens -= 1.0
                self._buckets[caller] = (tokens, now)
                if len(self._buckets) > 100_000:
                    self._buckets.clear()
                reset = math.ceil((self.limit - tokens) / self._rate)
                return Decision(True, self.limit, int(tokens), reset, 0, self.window)
            self._buckets[caller] = (tokens, now)
            wait = math.ceil((1.0 - tokens) / self._rate)
            return Decision(False, self.limit, 0, wait, max(1, wait), self.window)
