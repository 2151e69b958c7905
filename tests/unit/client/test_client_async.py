"""AsyncAutomationApiClient: same decisions as the sync client, awaited."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest

from payrec.client import (
    AsyncAutomationApiClient,
    AutomationApiClient,
    CircuitBreaker,
    CircuitOpenError,
    CircuitState,
    ServerError,
    UnprocessableEntityError,
)
from tests.unit.client.client_fakes import API_KEY, Script, Sleeps, problem


def state_of(breaker: CircuitBreaker) -> CircuitState:
    """The state, read through a call (keeps mypy from narrowing the property)."""
    return breaker.state


def make(script: Script, sleeps: Sleeps, **kwargs: object) -> AsyncAutomationApiClient:
    options: dict[str, object] = {"max_retries": 3, "retry_delay": 1.0, "rand": lambda: 0.5}
    options.update(kwargs)
    return AsyncAutomationApiClient(
        "http://backend.test",
        API_KEY,
        transport=script.async_transport(),
        sleep=sleeps.async_sleep,
        **options,  # type: ignore[arg-type]
    )


def test_same_public_methods_as_sync() -> None:
    def public(cls: type) -> set[str]:
        return {n for n in dir(cls) if not n.startswith("_")}

    assert public(AutomationApiClient) - {"close"} == public(AsyncAutomationApiClient) - {"aclose"}
    for name in public(AsyncAutomationApiClient) - {"aclose", "from_env"}:
        attr = getattr(AsyncAutomationApiClient, name)
        if callable(attr):
            assert asyncio.iscoroutinefunction(attr), name


def test_retries_with_one_key_and_decimal(sleeps: Sleeps) -> None:
    script = Script(
        problem(503),
        httpx.ConnectError("refused"),
        httpx.Response(
            201,
            content=b'{"id": "task-1", "amount": 5000.00}',
            headers={"Content-Type": "application/json"},
        ),
    )

    async def run() -> dict[str, object]:
        async with make(script, sleeps) as client:
            return await client.create_scheduled_task({"amount": Decimal("5000.00")})

    answer = asyncio.run(run())
    assert answer == {"id": "task-1", "amount": Decimal("5000.00")}
    assert len({r.headers["idempotency-key"] for r in script.requests}) == 1
    assert len(script.requests) == 3
    assert sleeps.calls == [0.5, 1.0]
    assert b'"amount":5000.00' in script.requests[0].content


def test_4xx_at_once_and_lists_unwrapped(sleeps: Sleeps) -> None:
    script = Script(
        problem(422),
        httpx.Response(200, json={"tasks": [{"id": "t", "leaseToken": "l"}]}),
    )

    async def run() -> list[dict[str, object]]:
        async with make(script, sleeps) as client:
            with pytest.raises(UnprocessableEntityError):
                await client.create_scheduled_task({})
            return await client.claim_tasks("w-1", types=["REMINDER"])

    assert asyncio.run(run()) == [{"id": "t", "leaseToken": "l"}]
    assert len(script.requests) == 2
    assert script.bodies()[1] == {
        "workerId": "w-1",
        "types": ["REMINDER"],
        "limit": 10,
        "leaseSeconds": 60,
    }


def test_breaker_and_cancellation(sleeps: Sleeps) -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_timeout=0.0)
    script = Script(default=problem(500))

    async def run() -> None:
        async with make(script, sleeps, max_retries=0, circuit_breaker=breaker) as client:
            with pytest.raises(ServerError):
                await client.get_task("t")
            # reset_timeout 0: the next call is the half-open trial; cancel it mid-flight
            gate, entered = asyncio.Event(), asyncio.Event()

            async def slow(request: httpx.Request) -> httpx.Response:
                entered.set()
                await gate.wait()
                return httpx.Response(200, json={})

            client._http._transport = httpx.MockTransport(slow)
            task = asyncio.create_task(client.get_task("t"))
            await asyncio.wait_for(entered.wait(), 5)
            assert state_of(breaker) is CircuitState.HALF_OPEN
            with pytest.raises(CircuitOpenError):
                await client.get_task("t")  # trial in flight: others rejected
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            gate.set()
            assert await client.get_task("t") == {}  # the slot was released, new trial closes
        assert state_of(breaker) is CircuitState.CLOSED

    asyncio.run(run())
