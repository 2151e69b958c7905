"""Retry timing for tasks that failed transiently (pure)."""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta

BASE_SECONDS = 30.0
CAP_SECONDS = 3600.0


def retry_delay(
    attempts: int, *, hint: float | None = None, rand: random.Random | None = None
) -> float:
    """Exponential backoff with jitter: 30 s, 60 s, 120 s … capped at an hour.

    A provider's Retry-After hint wins when it asks for longer.
    """
    rng = rand or random.Random()
    base = float(os.environ.get("PAYREC_RETRY_BASE_SECONDS", BASE_SECONDS))
    exponential = min(CAP_SECONDS, base * (2 ** max(0, attempts)))
    delay: float = exponential / 2 + rng.uniform(0, exponential / 2)
    if hint is not None:
        delay = max(delay, min(hint, CAP_SECONDS))
    return delay


def retry_at(
    now: datetime, attempts: int, *, hint: float | None = None, rand: random.Random | None = None
) -> datetime:
    return now + timedelta(seconds=retry_delay(attempts, hint=hint, rand=rand))
