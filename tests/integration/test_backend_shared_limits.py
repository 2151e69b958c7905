"""Rate limits shared through Redis, and failed authentication throttled (issue 17.9, 20.9).

Two real backends on one database behind the test's round-robin balancer, both with
`PAYREC_REDIS_URL`: a caller's limit, failed API keys, failed bearer tokens and failed
`/oauth/token` attempts count once across both. Each test has its own Redis key prefix, so
runs never share counters. Unauthenticated requests are refused before any database lookup
(the database is made unreachable and the refusals still come). Without Redis reachable the
limits stay per process and requests are still answered.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Iterator

import httpx
import psycopg
import pytest

from tests.chaos.balancer import RoundRobinBalancer
from tests.support.backend import PG_ADMIN_URL, LiveBackend, free_port
from tests.support.redis_store import REDIS_URL, drop_prefix, require_redis

FAILURES = 5


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    require_redis()
    prefix = f"payrec-test-{secrets.token_hex(6)}"
    yield prefix
    drop_prefix(prefix)


@pytest.fixture
def pair(
    backend_factory: Callable[..., LiveBackend], redis_prefix: str
) -> Iterator[tuple[LiveBackend, LiveBackend]]:
    env = {
        "PAYREC_REDIS_URL": REDIS_URL,
        "PAYREC_REDIS_PREFIX": redis_prefix,
        "PAYREC_RATE_LIMIT": "10/minute",
        "PAYREC_AUTH_FAILURE_LIMIT": f"{FAILURES}/minute",
        "PAYREC_ANONYMOUS_RATE_LIMIT": "1000/second",
    }
    a = backend_factory("sqlite", env=env)
    b = backend_factory(db_url=a.db_url, env=env)
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def _get(
    url: str, authorization: str, *, source: str = "127.0.0.1", path: str = "/api/v1/customers"
) -> httpx.Response:
    """One request on a connection of its own (the balancer routes per connection)."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=15) as client:
        return client.get(url + path, headers={"Authorization": authorization})


def _token(url: str, client_id: str, secret: str) -> httpx.Response:
    with httpx.Client(timeout=15) as client:
        return client.post(
            url + "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
            },
        )


def _assert_throttled(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 429
    assert int(response.headers["retry-after"]) >= 1


def _bad_key() -> str:
    return f"prk_{secrets.token_hex(8)}_{secrets.token_urlsafe(32)}"


def test_two_backends_behind_the_balancer_share_one_limit(
    pair: tuple[LiveBackend, LiveBackend],
) -> None:
    a, b = pair
    with RoundRobinBalancer([a.port, b.port]) as balancer:
        responses = [_get(balancer.url, f"Bearer {a.admin_key}") for _ in range(30)]
        spread = dict(balancer.connections)
    statuses = Counter(r.status_code for r in responses)
    assert spread.get(a.port, 0) >= 10 and spread.get(b.port, 0) >= 10, spread
    # per process each backend would allow 10: together they allow 10, not 20
    assert statuses == {200: 10, 429: 20}, statuses
    for response in responses:
        if response.status_code == 429:
            _assert_throttled(response)
    assert responses[0].headers["ratelimit-policy"] == '"default";q=10;w=60'


def test_twenty_bad_api_keys_are_throttled_across_backends(
    pair: tuple[LiveBackend, LiveBackend],
) -> None:
    a, b = pair
    with RoundRobinBalancer([a.port, b.port]) as balancer:
        responses = [_get(balancer.url, f"Bearer {_bad_key()}") for _ in range(20)]
        bearer = _get(balancer.url, "Bearer not-a-key-nor-a-jwt")
    statuses = [r.status_code for r in responses]
    assert statuses == [401] * FAILURES + [429] * (20 - FAILURES), statuses
    for response in responses[FAILURES:]:
        _assert_throttled(response)
    _assert_throttled(bearer)
    # another address is not held by this one's failures
    assert _get(a.base_url, f"Bearer {a.admin_key}", source="127.0.0.2").status_code == 200


def test_twenty_bad_bearer_tokens_are_throttled(pair: tuple[LiveBackend, LiveBackend]) -> None:
    a, b = pair
    with RoundRobinBalancer([a.port, b.port]) as balancer:
        statuses = [
            _get(balancer.url, f"Bearer eyJ{secrets.token_urlsafe(40)}").status_code
            for _ in range(20)
        ]
    assert statuses == [401] * FAILURES + [429] * (20 - FAILURES), statuses


def test_twenty_failed_token_requests_are_throttled(
    pair: tuple[LiveBackend, LiveBackend],
) -> None:
    a, b = pair
    with RoundRobinBalancer([a.port, b.port]) as balancer:
        responses = [
            _token(balancer.url, f"cli_{secrets.token_hex(10)}", "wrong") for _ in range(20)
        ]
    statuses = [r.status_code for r in responses]
    assert statuses == [401] * FAILURES + [429] * (20 - FAILURES), statuses
    assert responses[0].json()["error"] == "invalid_client"
    for response in responses[FAILURES:]:
        _assert_throttled(response)


def test_a_key_prefix_is_throttled_from_many_addresses_and_its_holder_still_passes(
    pair: tuple[LiveBackend, LiveBackend],
) -> None:
    a, b = pair
    prefix = a.admin_key[: len("prk_") + 16]  # prk_<lookup>, as the service-client list shows
    statuses = [
        _get(
            (a, b)[n % 2].base_url,
            f"Bearer {prefix}_{secrets.token_urlsafe(32)}",
            source=f"127.0.0.{n + 2}",
        ).status_code
        for n in range(20)
    ]
    # every attempt comes from a fresh address: the prefix's count, shared by A and B, holds
    assert statuses == [401] * FAILURES + [429] * (20 - FAILURES), statuses
    # the real key, from an address of its own, is not locked out by the guesses
    assert _get(b.base_url, f"Bearer {a.admin_key}", source="127.0.0.99").status_code == 200


def test_unauthenticated_requests_are_refused_before_any_database_lookup(
    backend_factory: Callable[..., LiveBackend],
) -> None:
    backend = backend_factory(
        "postgres",
        env={
            "PAYREC_ANONYMOUS_RATE_LIMIT": "10/hour",
            "PAYREC_AUTH_FAILURE_LIMIT": "1000/minute",
        },
    )
    name = backend.db_url.rsplit("/", 1)[1]
    try:
        first = [_get(backend.base_url, f"Bearer {_bad_key()}").status_code for _ in range(10)]
        assert first == [401] * 10, first
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        # any lookup would now fail (503): every refusal comes before one
        later = [_get(backend.base_url, f"Bearer {_bad_key()}") for _ in range(20)]
        later.append(_get(backend.base_url, ""))
        for response in later:
            _assert_throttled(response)
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        backend.stop()


def test_without_a_reachable_redis_limits_stay_per_process(
    backend_factory: Callable[..., LiveBackend],
) -> None:
    backend = backend_factory(
        "sqlite",
        env={
            "PAYREC_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
            # per hour: the in-memory bucket gains no token while the test runs
            "PAYREC_RATE_LIMIT": "10/hour",
        },
    )
    try:
        statuses = Counter(
            _get(backend.base_url, f"Bearer {backend.admin_key}").status_code for _ in range(15)
        )
        assert statuses == {200: 10, 429: 5}, statuses
        assert "limits kept per process" in backend.logs()
    finally:
        backend.stop()
