"""The Redis the shared rate-limit tests use (127.0.0.1:6379, started by .ci/run)."""

from __future__ import annotations

import os

import pytest
import redis

REDIS_URL = os.environ.get("PAYREC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_redis() -> None:
    """Skip without Redis; with CI=true a missing Redis fails the test instead."""
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3) as client:
            client.ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis is required in CI (CI=true) but {REDIS_URL} is unreachable: {exc}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: shared rate-limit tests skipped")


def drop_prefix(prefix: str) -> None:
    """Remove every key a test's backends wrote under their PAYREC_REDIS_PREFIX."""
    with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3) as client:
        keys = list(client.scan_iter(match=f"{prefix}*", count=500))
        if keys:
            client.delete(*keys)
