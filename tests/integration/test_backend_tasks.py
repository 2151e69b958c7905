"""Tasks: the transition table of contract §5, leases and fencing, and race-free claiming."""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.support.backend import LiveBackend, wait_until

STATUSES = ["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"]
# Contract §5, plus IN_PROGRESS -> CANCELLED (a settled case cancels in-flight work).
LEGAL = {
    ("PENDING", "IN_PROGRESS"),
    ("PENDING", "COMPLETED"),
    ("PENDING", "FAILED"),
    ("PENDING", "CANCELLED"),
    ("IN_PROGRESS", "COMPLETED"),
    ("IN_PROGRESS", "FAILED"),
    ("IN_PROGRESS", "PENDING"),
    ("IN_PROGRESS", "CANCELLED"),
    ("FAILED", "PENDING"),
}
PAST = "2024-01-15T10:00:00Z"
FAR_FUTURE = "2100-01-01T00:00:00Z"


def _unique_type() -> str:
    return "T" + secrets.token_hex(6).upper()


def _new_task(backend: LiveBackend, **fields: Any) -> dict[str, Any]:
    body = {"type": "REMINDER", "scheduledAt": PAST, "metadata": {"templateId": "r1"}, **fields}
    response = backend.auto("POST", "/tasks", json=body)
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def _put_status(backend: LiveBackend, task_id: str, status: str, **extra: Any) -> httpx.Response:
    return backend.auto("PUT", f"/tasks/{task_id}/status", json={"status": status, **extra})


def _task_in(backend: LiveBackend, status: str) -> dict[str, Any]:
    task = _new_task(backend, type=_unique_type())
    if status != "PENDING":
        response = _put_status(backend, task["id"], status)
        assert response.status_code == 200, response.text
        task = response.json()
    assert task["status"] == status
    return task


def _claim(backend: LiveBackend, task_type: str, **fields: Any) -> list[dict[str, Any]]:
    body = {"workerId": "w-test", "types": [task_type], "limit": 10, "leaseSeconds": 60, **fields}
    response = backend.auto("POST", "/tasks/claim", json=body)
    assert response.status_code == 200, response.text
    tasks: list[dict[str, Any]] = response.json()["tasks"]
    return tasks


@pytest.mark.parametrize("source", STATUSES)
def test_transition_table(backend: LiveBackend, source: str) -> None:
    for target in STATUSES:
        task = _task_in(backend, source)
        response = _put_status(backend, task["id"], target, result={"by": "test"})
        if target == source:
            assert response.status_code == 200, (source, target, response.text)
            again = _put_status(backend, task["id"], target, result={"by": "test"})
            assert again.status_code == 200 and again.json() == response.json()
            assert response.json()["updatedAt"] == task["updatedAt"]  # nothing was written
        elif (source, target) in LEGAL:
            assert response.status_code == 200, (source, target, response.text)
            assert response.json()["status"] == target
            assert response.json()["result"] == {"by": "test"}
            again = _put_status(backend, task["id"], target, result={"by": "test"})
            assert again.status_code == 200 and again.json() == response.json()
        else:
            assert response.status_code == 409, (source, target, response.text)
            assert response.headers["content-type"].startswith("application/problem+json")
            problem = response.json()
            assert problem["status"] == 409 and source in problem["detail"]
            current = backend.auto("GET", f"/tasks/{task['id']}").json()
            assert current["status"] == source


def test_unknown_task_is_404(backend: LiveBackend) -> None:
    for method, path, body in (
        ("GET", "/tasks/task-nope", None),
        ("PUT", "/tasks/task-nope/status", {"status": "COMPLETED"}),
        ("POST", "/tasks/task-nope/heartbeat", {"leaseToken": "x"}),
    ):
        response = backend.auto(method, path, json=body)
        assert response.status_code == 404, response.text
        assert response.headers["content-type"].startswith("application/problem+json")


def test_claim_lease_fencing_and_heartbeat(backend: LiveBackend) -> None:
    kind = _unique_type()
    task = _new_task(backend, type=kind)
    claimed = _claim(backend, kind, leaseSeconds=30)
    assert [t["id"] for t in claimed] == [task["id"]]
    token = claimed[0]["leaseToken"]
    assert token and claimed[0]["status"] == "IN_PROGRESS" and claimed[0]["lockedBy"] == "w-test"
    assert _claim(backend, kind) == []  # nobody else receives it
    assert backend.auto("GET", f"/tasks/{task['id']}").json().get("leaseToken") is None

    missing = _put_status(backend, task["id"], "COMPLETED")
    assert missing.status_code == 409 and "leaseToken" in missing.json()["detail"]
    stale = _put_status(backend, task["id"], "COMPLETED", leaseToken="stale-token")
    assert stale.status_code == 409
    bad_beat = backend.auto(
        "POST", f"/tasks/{task['id']}/heartbeat", json={"leaseToken": "stale-token"}
    )
    assert bad_beat.status_code == 409

    beat = backend.auto(
        "POST", f"/tasks/{task['id']}/heartbeat", json={"leaseToken": token, "leaseSeconds": 600}
    )
    assert beat.status_code == 200, beat.text
    before = datetime.fromisoformat(claimed[0]["leaseExpiresAt"])
    after = datetime.fromisoformat(beat.json()["leaseExpiresAt"])
    assert (after - before).total_seconds() > 500

    done = _put_status(backend, task["id"], "COMPLETED", leaseToken=token, result={"ok": True})
    assert done.status_code == 200 and done.json()["status"] == "COMPLETED"
    repeat = _put_status(backend, task["id"], "COMPLETED", leaseToken=token, result={"ok": True})
    assert repeat.status_code == 200 and repeat.json() == done.json()
    late_beat = backend.auto("POST", f"/tasks/{task['id']}/heartbeat", json={"leaseToken": token})
    assert late_beat.status_code == 409


def test_heartbeat_round_renews_held_leases_and_names_lost_ones(backend: LiveBackend) -> None:
    kind = _unique_type()
    for _ in range(3):
        _new_task(backend, type=kind)
    held, stolen, done = _claim(backend, kind, limit=3, leaseSeconds=30)
    finished = _put_status(backend, done["id"], "COMPLETED", leaseToken=done["leaseToken"])
    assert finished.status_code == 200, finished.text

    beat = backend.auto(
        "POST",
        "/tasks/heartbeat",
        json={
            "leaseSeconds": 600,
            "leases": [
                {"id": held["id"], "leaseToken": held["leaseToken"]},
                {"id": stolen["id"], "leaseToken": "not-" + stolen["leaseToken"]},
                {"id": done["id"], "leaseToken": done["leaseToken"]},
                {"id": "task-nope", "leaseToken": "x"},
            ],
        },
    )
    assert beat.status_code == 200, beat.text
    assert "idempotent-replayed" not in beat.headers
    answer = beat.json()
    assert [item["id"] for item in answer["renewed"]] == [held["id"]]
    assert answer["lost"] == [
        {"id": stolen["id"], "reason": "stale-lease"},
        {"id": done["id"], "reason": "stale-lease"},
        {"id": "task-nope", "reason": "not-found"},
    ]
    renewed_until = datetime.fromisoformat(answer["renewed"][0]["leaseExpiresAt"])
    now_held = backend.auto("GET", f"/tasks/{held['id']}").json()
    assert datetime.fromisoformat(now_held["leaseExpiresAt"]) == renewed_until
    assert (renewed_until - datetime.fromisoformat(held["leaseExpiresAt"])).total_seconds() > 500
    # A wrong token renews nothing: the real holder's lease keeps its own expiry.
    untouched = backend.auto("GET", f"/tasks/{stolen['id']}").json()
    assert untouched["leaseExpiresAt"] == stolen["leaseExpiresAt"]
    assert backend.auto("GET", f"/tasks/{done['id']}").json()["status"] == "COMPLETED"


@pytest.mark.parametrize(
    "body",
    [
        {"leases": []},
        {"leases": [{"id": "t"}]},
        {"leases": [{"id": "t", "leaseToken": ""}]},
        {"leases": [{"id": "t", "leaseToken": "x"}], "leaseSeconds": 1},
        {"leases": [{"id": f"t{n}", "leaseToken": "x"} for n in range(501)]},
        {"leases": [{"id": "t", "leaseToken": "x", "extra": 1}]},
    ],
    ids=["empty", "no-token", "empty-token", "short-lease", "too-many", "unknown-field"],
)
def test_heartbeat_round_refuses_bad_input(backend: LiveBackend, body: dict[str, Any]) -> None:
    response = backend.auto("POST", "/tasks/heartbeat", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_expired_lease_returns_task_then_fails_it(backend: LiveBackend) -> None:
    kind = _unique_type()
    retried = _new_task(backend, type=kind, maxAttempts=3)
    last_try = _new_task(backend, type=kind, maxAttempts=1)
    claimed = {t["id"]: t for t in _claim(backend, kind, leaseSeconds=5)}
    assert claimed.keys() == {retried["id"], last_try["id"]}

    def returned() -> dict[str, Any] | None:
        _claim(backend, _unique_type())  # any claim sweeps expired leases first
        body: dict[str, Any] = backend.auto("GET", f"/tasks/{retried['id']}").json()
        return body if body["status"] == "PENDING" else None

    back = wait_until(returned, timeout=15, interval=0.1, message="lease expiry")
    assert back["attempts"] == 1 and back["leaseExpiresAt"] is None and back["lockedBy"] is None
    assert "lease" in back["lastError"]
    gave_up = backend.auto("GET", f"/tasks/{last_try['id']}").json()
    assert gave_up["status"] == "FAILED" and gave_up["attempts"] == 1

    old_token = claimed[retried["id"]]["leaseToken"]
    fenced = _put_status(backend, retried["id"], "COMPLETED", leaseToken=old_token)
    assert fenced.status_code == 409, fenced.text
    assert backend.auto("GET", f"/tasks/{retried['id']}").json()["status"] == "PENDING"
    again = _claim(backend, kind)
    assert [t["id"] for t in again] == [retried["id"]]
    assert again[0]["leaseToken"] != old_token


def _claim_race(backends: list[LiveBackend], total: int = 300, threads: int = 8) -> None:
    kind = _unique_type()
    first = backends[0]
    with ThreadPoolExecutor(8) as pool:
        created = list(pool.map(lambda _: _new_task(first, type=kind)["id"], range(total)))
    assert len(set(created)) == total
    received: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker(n: int) -> None:
        target = backends[n % len(backends)]
        empty = 0
        with httpx.Client(
            base_url=target.automation_url,
            headers={"Authorization": f"Bearer {target.automation_key}"},
            timeout=60,
        ) as client:
            start.wait()
            while empty < 2:
                response = client.post(
                    "/tasks/claim",
                    json={"workerId": f"w{n}", "types": [kind], "limit": 7, "leaseSeconds": 300},
                )
                assert response.status_code == 200, response.text
                ids = [t["id"] for t in response.json()["tasks"]]
                empty = 0 if ids else empty + 1
                with lock:
                    received.extend(ids)

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(worker, n) for n in range(threads)]:
            future.result()
    twice = [task_id for task_id, n in Counter(received).items() if n > 1]
    assert not twice, f"handed out more than once: {twice[:5]}"
    assert sorted(received) == sorted(created), "a task was lost"
    in_progress = first.auto(
        "GET",
        "/tasks/scheduled",
        params={"status": "IN_PROGRESS", "type": kind, "dueBefore": FAR_FUTURE, "size": 1},
    ).json()
    assert in_progress["total"] == total


def test_claim_race(backend: LiveBackend, backend_factory: Callable[..., LiveBackend]) -> None:
    if backend.kind == "postgres":
        # two backend processes sharing one PostgreSQL database
        second = backend_factory(db_url=backend.db_url)
        assert second.automation_key == backend.automation_key
        _claim_race([backend, second])
    else:
        _claim_race([backend])
