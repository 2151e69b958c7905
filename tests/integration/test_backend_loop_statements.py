"""On PostgreSQL the fast lane's one-statement calls (a plain queue page, a plain claim) are
awaited on the event loop, on connections of their own (`server/loop_db.py`). They must be
the ones answering, and a connection lost under them must cost no request: the lane hands
the request to its route, and the pool replaces the connection."""

from __future__ import annotations

import secrets
from typing import Any

import psycopg

from tests.support.backend import LiveBackend, wait_until

LOOP = "payrec-loop"


def _loop_connections(backend: LiveBackend) -> dict[int, str]:
    """The loop's connections to the backend's database: pid → its last statement."""
    database = backend.db_url.rsplit("/", 1)[1]
    admin = backend.db_url.split("://", 1)[1].rsplit("/", 1)[0]
    with psycopg.connect(f"postgresql://{admin}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid, query FROM pg_stat_activity WHERE datname = %s AND application_name = %s",
            (database, LOOP),
        ).fetchall()
    return {row[0]: row[1] for row in rows}


def _terminate(backend: LiveBackend, pids: list[int]) -> None:
    admin = backend.db_url.split("://", 1)[1].rsplit("/", 1)[0]
    with psycopg.connect(f"postgresql://{admin}/postgres", autocommit=True) as conn:
        for pid in pids:
            conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


def _claim(backend: LiveBackend, task_type: str) -> list[dict[str, Any]]:
    body = {"workerId": "w-loop", "types": [task_type], "limit": 10}
    response = backend.auto("POST", "/tasks/claim", json=body)
    assert response.status_code == 200, response.text
    tasks: list[dict[str, Any]] = response.json()["tasks"]
    return tasks


def _new_tasks(backend: LiveBackend, task_type: str, count: int) -> list[str]:
    made = [
        backend.auto(
            "POST", "/tasks", json={"type": task_type, "scheduledAt": "2024-01-15T10:00:00Z"}
        ).json()["id"]
        for _ in range(count)
    ]
    return made


def test_plain_pages_and_claims_run_on_the_loop_connections(own_pg_backend: LiveBackend) -> None:
    backend = own_pg_backend
    backend.new_case()
    task_type = "L" + secrets.token_hex(6).upper()
    made = _new_tasks(backend, task_type, 3)
    backend.auto("GET", "/recovery-cases/pending")  # the route, which caches the credential
    page = backend.auto("GET", "/recovery-cases/pending", params={"limit": 5})
    assert page.status_code == 200 and page.json()["total"] >= 1
    last = _loop_connections(backend).values()
    assert any(query.startswith("SELECT page.id") for query in last), last
    assert sorted(task["id"] for task in _claim(backend, task_type)) == sorted(made)

    def claimed_on_the_loop() -> bool:
        # A claim looks for expired leases first at most twice a second, in a thread.
        assert _claim(backend, task_type) == []
        return any("WITH picked AS" in query for query in _loop_connections(backend).values())

    wait_until(claimed_on_the_loop, timeout=10, message="a claim on the loop's connections")


def test_a_lost_loop_connection_costs_no_request(own_pg_backend: LiveBackend) -> None:
    backend = own_pg_backend
    case = backend.new_case()
    task_type = "L" + secrets.token_hex(6).upper()
    backend.auto("GET", "/recovery-cases/pending")
    backend.auto("GET", "/recovery-cases/pending")
    wait_until(lambda: _loop_connections(backend), timeout=10, message="a loop connection")
    _terminate(backend, list(_loop_connections(backend)))
    made = _new_tasks(backend, task_type, 2)
    for _ in range(6):  # more requests than the pool holds connections
        page = backend.auto("GET", "/recovery-cases/pending", params={"limit": 1000})
        assert page.status_code == 200, page.text
        assert case["id"] in {c["id"] for c in page.json()["cases"]}
    claimed = _claim(backend, task_type)
    assert sorted(task["id"] for task in claimed) == sorted(made)
    assert all(task["leaseToken"] for task in claimed)


def test_numbers_in_task_metadata_stay_exact_through_the_loop(
    own_pg_backend: LiveBackend,
) -> None:
    """The loop's connections decode JSON as the engine's do: a claim answers the metadata's
    numbers digit for digit (a float would turn 0.1000 into 0.1)."""
    backend = own_pg_backend
    task_type = "L" + secrets.token_hex(6).upper()
    raw = '{"rate": 0.1000, "big": 12345678901234567890.123456789}'
    _claim(backend, task_type)  # the route, which caches the credential
    for _ in range(10):  # claims look for expired leases (in a thread) at most twice a second
        made = backend.auto(
            "POST",
            "/tasks",
            content=f'{{"type": "{task_type}", "scheduledAt": "2024-01-15T10:00:00Z", '
            f'"metadata": {raw}}}',
            headers={"Content-Type": "application/json"},
        )
        assert made.status_code == 201, made.text
        response = backend.auto(
            "POST", "/tasks/claim", json={"workerId": "w-loop", "types": [task_type], "limit": 1}
        )
        assert response.status_code == 200, response.text
        assert '"rate":0.1000' in response.text.replace(" ", ""), response.text
        assert "12345678901234567890.123456789" in response.text, response.text
    last = _loop_connections(backend).values()
    assert any("WITH picked AS" in query for query in last), last
