"""Per-caller rate limiting with `PAYREC_RATE_LIMIT` (contract §4)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest

from tests.support.backend import LiveBackend, wait_until

LIMIT = 5


@pytest.fixture(scope="module")
def limited(backend_factory: Callable[..., LiveBackend]) -> LiveBackend:
    return backend_factory("sqlite", env={"PAYREC_RATE_LIMIT": f"{LIMIT}/second"})


def _burst(
    backend: LiveBackend, key: str, count: int, path: str = "/api/v1/automation/tasks/scheduled"
) -> list[httpx.Response]:
    with httpx.Client(
        base_url=backend.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=10
    ) as client:
        return [client.get(path) for _ in range(count)]


def test_burst_gets_429_with_retry_after(limited: LiveBackend) -> None:
    responses = _burst(limited, limited.automation_key, 4 * LIMIT)
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) >= LIMIT, statuses
    refused = [r for r in responses if r.status_code == 429]
    assert refused, statuses
    for response in refused:
        assert int(response.headers["retry-after"]) >= 1
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["status"] == 429
        assert "x-request-id" in response.headers
    # the bucket refills: within a couple of seconds the same caller passes again
    wait_until(
        lambda: _burst(limited, limited.automation_key, 1)[0].status_code == 200,
        timeout=5,
        interval=0.05,
        message="bucket refilled",
    )


def test_normal_responses_carry_ratelimit_headers(limited: LiveBackend) -> None:
    response = wait_until(
        lambda: (
            (r := _burst(limited, limited.agent_key, 1, "/api/v1/customers")[0]).status_code == 200
            and r
        ),
        timeout=5,
        message="a normal response",
    )
    policy = response.headers["ratelimit-policy"]
    assert re.fullmatch(rf'"default";q={LIMIT};w=1', policy), policy
    state = re.fullmatch(r'"default";r=(\d+);t=(\d+)', response.headers["ratelimit"])
    assert state, response.headers["ratelimit"]
    assert 0 <= int(state.group(1)) < LIMIT


def test_limit_is_per_caller(limited: LiveBackend) -> None:
    exhausted = _burst(limited, limited.automation_key, 4 * LIMIT)
    # on a loaded box the bucket may refill a token before the burst ends: any refusal shows it
    assert any(r.status_code == 429 for r in exhausted), [r.status_code for r in exhausted]
    other = limited.http.get(
        limited.base_url + "/api/v1/customers",
        headers={"Authorization": f"Bearer {limited.admin_key}"},
        timeout=10,
    )
    assert other.status_code == 200, other.text
    assert "ratelimit" in other.headers
