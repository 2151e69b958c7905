"""LeaseKeeper: one heartbeat request per round, lost leases forgotten, no send on a short lease."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import pytest

from payrec.automation.leases import MAX_PER_REQUEST, LeaseKeeper
from payrec.client import ApiConnectionError, ApiStatusError, ConflictError


class FakeHeartbeats:
    """Answers `heartbeat_tasks` like the backend: renews the tokens it knows."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = tokens
        self.calls: list[dict[str, str]] = []
        self.fail = False

    def heartbeat_tasks(
        self, leases: Mapping[str, str], *, lease_seconds: int | None = None
    ) -> dict[str, Any]:
        self.calls.append(dict(leases))
        if self.fail:
            raise ApiConnectionError("backend down")
        renewed = [
            {"id": i, "leaseExpiresAt": "later"}
            for i, t in leases.items()
            if self.tokens.get(i) == t
        ]
        lost = [
            {"id": i, "reason": "stale-lease"} for i, t in leases.items() if self.tokens.get(i) != t
        ]
        return {"renewed": renewed, "lost": lost}


def _keeper(api: FakeHeartbeats, lease_seconds: int = 60) -> LeaseKeeper:
    return LeaseKeeper(api, lease_seconds, start=False)


def test_one_request_renews_every_held_lease() -> None:
    tokens = {f"t{n}": f"k{n}" for n in range(40)}
    api = FakeHeartbeats(tokens)
    keeper = _keeper(api)
    for task_id, token in tokens.items():
        keeper.hold(task_id, token)
    keeper.renew_now()
    assert api.calls == [tokens]
    assert all(keeper.remaining(task_id) > 59 for task_id in tokens)


def test_a_round_past_the_request_limit_is_split() -> None:
    tokens = {f"t{n}": "k" for n in range(MAX_PER_REQUEST + 1)}
    api = FakeHeartbeats(tokens)
    keeper = _keeper(api)
    for task_id, token in tokens.items():
        keeper.hold(task_id, token)
    keeper.renew_now()
    assert [len(call) for call in api.calls] == [MAX_PER_REQUEST, 1]


def _holding_mine_and_taken(api: FakeHeartbeats) -> LeaseKeeper:
    """A keeper holding `mine` (the backend's token) and `taken` (lost to another worker),
    after one renewal round."""
    keeper = _keeper(api)
    keeper.hold("mine", "k1")
    keeper.hold("taken", "k2")
    keeper.renew_now()
    return keeper


def test_a_lost_lease_is_dropped_and_reported() -> None:
    api = FakeHeartbeats({"mine": "k1", "taken": "someone-else"})
    keeper = _holding_mine_and_taken(api)
    assert keeper.remaining("taken") == 0 and keeper.remaining("mine") > 59
    keeper.renew_now()
    assert api.calls[-1] == {"mine": "k1"}  # not beaten for again
    assert not keeper.ensure("taken", 1)
    keeper.hold("taken", "k3")  # claimed again later: a new lease
    assert keeper.remaining("taken") > 59


def test_a_lease_claimed_long_ago_is_renewed_before_sending() -> None:
    api = FakeHeartbeats({"t": "k"})
    keeper = _keeper(api, lease_seconds=10)
    keeper.hold("t", "k", since=time.monotonic() - 8)  # the claim was 8 s ago
    assert keeper.remaining("t") < 3
    assert keeper.ensure("t", 5)
    assert api.calls == [{"t": "k"}]
    assert keeper.remaining("t") > 9
    assert keeper.ensure("t", 5)  # long enough now: no request
    assert len(api.calls) == 1


def test_an_unconfirmed_lease_is_not_long_enough() -> None:
    api = FakeHeartbeats({"t": "k"})
    keeper = _keeper(api, lease_seconds=10)
    keeper.hold("t", "k", since=time.monotonic() - 8)
    api.fail = True
    assert not keeper.ensure("t", 5)  # the backend did not answer: do not send
    assert 0 < keeper.remaining("t") < 3  # still held, not lost: the next round may renew
    api.fail = False
    assert keeper.ensure("t", 5)


def test_a_lease_confirmed_too_long_ago_is_confirmed_again() -> None:
    """Long enough is not enough before contacting a customer: a lease confirmed more than
    `confirmed_within` ago is confirmed again, and a cancelled task (lost) is not acted on."""
    api = FakeHeartbeats({"t": "k", "u": "k"})
    keeper = _keeper(api, lease_seconds=60)
    keeper.hold("t", "k")  # just claimed
    keeper.hold("u", "k", since=time.monotonic() - 3)  # claimed 3 s ago, 57 s left
    assert keeper.ensure("t", 30, confirmed_within=1)
    assert keeper.ensure("u", 30)  # long enough, nobody asked how recent
    assert api.calls == []
    assert keeper.ensure("u", 30, confirmed_within=1)
    assert api.calls == [{"u": "k"}]
    api.tokens["u"] = "cancelled"  # a payment cancelled the task meanwhile
    keeper.hold("u", "k", since=time.monotonic() - 3)
    keeper.release("u")
    keeper.hold("u", "k", since=time.monotonic() - 3)
    assert not keeper.ensure("u", 30, confirmed_within=1)
    assert keeper.remaining("u") == 0


def test_holding_again_keeps_the_earlier_deadline() -> None:
    keeper = _keeper(FakeHeartbeats({}), lease_seconds=10)
    keeper.hold("t", "k", since=time.monotonic() - 8)
    keeper.hold("t", "k")
    assert keeper.remaining("t") < 3


def test_an_answer_for_a_replaced_token_changes_nothing() -> None:
    class Racing(FakeHeartbeats):
        def heartbeat_tasks(
            self, leases: Mapping[str, str], *, lease_seconds: int | None = None
        ) -> dict[str, Any]:
            keeper.release("t")
            keeper.hold("t", "new")  # released and claimed again while the round was in flight
            return super().heartbeat_tasks(leases, lease_seconds=lease_seconds)

    keeper = _keeper(Racing({"t": "new"}))
    keeper.hold("t", "old")
    keeper.renew_now()
    assert keeper.remaining("t") > 59


def test_a_lease_being_completed_is_not_reported_lost(caplog: pytest.LogCaptureFixture) -> None:
    api = FakeHeartbeats({"done": "elsewhere", "gone": "elsewhere"})
    keeper = _keeper(api)
    keeper.hold("done", "k")
    keeper.hold("gone", "k")
    keeper.ending("done")  # its holder completed it while the round was on its way
    with caplog.at_level(logging.WARNING, logger="payrec.worker"):
        keeper.renew_now()
    assert [r.getMessage() for r in caplog.records] == ["lease of gone was lost"]


class OlderBackend(FakeHeartbeats):
    """A backend from before `POST /tasks/heartbeat`: only the per-task heartbeat."""

    def heartbeat_tasks(
        self, leases: Mapping[str, str], *, lease_seconds: int | None = None
    ) -> dict[str, Any]:
        self.calls.append({"batch": "refused"})
        raise ApiStatusError(405, {"status": 405}, None, "method not allowed")

    def heartbeat(
        self, task_id: str, lease_token: str, *, lease_seconds: int | None = None
    ) -> dict[str, Any]:
        self.calls.append({task_id: lease_token})
        if self.tokens.get(task_id) != lease_token:
            raise ConflictError(409, {"status": 409, "code": "stale-lease"}, None, "stale")
        return {"id": task_id}


def test_a_backend_without_the_batch_call_gets_one_heartbeat_per_lease() -> None:
    api = OlderBackend({"mine": "k1", "taken": "other"})
    keeper = _holding_mine_and_taken(api)
    assert api.calls == [{"batch": "refused"}, {"mine": "k1"}, {"taken": "k2"}]
    assert keeper.remaining("taken") == 0 and keeper.remaining("mine") > 59
    keeper.renew_now()  # known now: straight to the per-task call
    assert api.calls[3:] == [{"mine": "k1"}]
