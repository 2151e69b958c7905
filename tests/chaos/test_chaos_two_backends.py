"""Two backends behind one PostgreSQL, one killed mid-request: retries create no duplicates.

A round-robin balancer fronts backends A and B on one database. The client sends every POST
with an Idempotency-Key and retries connection failures with the same key, so a retry after
A dies lands on B:

* deterministic: A has taken the key and is inside the write (blocked on a row lock the
  test holds) when it is SIGKILLed. Its transaction dies with it; B must then run the request
  once (no stale "in flight" lock holding the key for a minute), and one task exists;
* under load: eight clients POST through the balancer while A is SIGKILLed; every key ends
  with exactly one record, and every acknowledged answer names a record that exists.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest

from payrec.client import AutomationApiClient
from tests.chaos.balancer import RoundRobinBalancer
from tests.chaos.conftest import seed_book, sql
from tests.support.backend import LiveBackend, wait_until

FUTURE = "2035-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def backends(backend_factory: Callable[..., LiveBackend]) -> tuple[LiveBackend, LiveBackend]:
    a = backend_factory("postgres")
    return a, backend_factory(db_url=a.db_url)


@pytest.fixture
def pair(backends: tuple[LiveBackend, LiveBackend]) -> tuple[LiveBackend, LiveBackend]:
    """Both backends running (one killed by an earlier test comes back on its port)."""
    for backend in backends:
        if backend.process is None:
            backend.start()
    return backends


def _client(url: str, key: str) -> AutomationApiClient:
    return AutomationApiClient(url, key, max_retries=6, retry_delay=0.2, timeout=10)


def _tasks_with(db_url: str, probe: str) -> list[str]:
    rows = sql(db_url, "SELECT id FROM tasks WHERE metadata->>'probe' = %s", probe)
    return [str(r[0]) for r in rows]


def test_killed_mid_request_retry_through_the_other_backend_creates_one_record(
    pair: tuple[LiveBackend, LiveBackend],
) -> None:
    a, b = pair
    case_id = next(iter(seed_book(a, 1).case_ids))
    probe = secrets.token_hex(6)
    outcome: dict[str, Any] = {}
    with RoundRobinBalancer([a.port, b.port]) as balancer, psycopg.connect(a.db_url) as blocker:
        # Hold the case row: A's insert of a task for it (FK check) waits, mid-request.
        blocker.execute("SELECT 1 FROM recovery_cases WHERE id = %s FOR UPDATE", (case_id,))
        client = _client(balancer.url, a.automation_key)

        def post() -> None:
            try:
                outcome["task"] = client.create_scheduled_task(
                    {
                        "type": "CALL",
                        "scheduledAt": FUTURE,
                        "recoveryCaseId": case_id,
                        "metadata": {"probe": probe},
                    },
                    idempotency_key=f"chaos:{probe}",
                )
            except Exception as exc:
                outcome["error"] = exc

        caller = threading.Thread(target=post)
        caller.start()
        wait_until(
            lambda: sql(
                a.db_url,
                "SELECT 1 FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'",
            ),
            timeout=10,
            message="A has taken the key and waits inside the write",
        )
        assert balancer.connections[a.port] == 1 and balancer.connections[b.port] == 0
        a.kill()  # SIGKILL mid-request
        blocker.rollback()  # let the dead request's transaction run into its closed socket
        caller.join(timeout=30)
        client.close()
    assert "error" not in outcome, repr(outcome.get("error"))
    assert balancer.connections[b.port] >= 1  # the retry went to B
    tasks = _tasks_with(a.db_url, probe)
    assert tasks == [outcome["task"]["id"]]


def test_many_clients_while_a_backend_dies_no_duplicates_nothing_lost(
    pair: tuple[LiveBackend, LiveBackend],
) -> None:
    a, b = pair
    case_id = next(iter(seed_book(a, 1).case_ids))
    run = secrets.token_hex(4)
    acknowledged: dict[str, str] = {}  # probe -> task id answered
    errors: list[BaseException] = []
    lock = threading.Lock()
    per_client = 20
    with RoundRobinBalancer([a.port, b.port]) as balancer:

        def client_loop(n: int) -> None:
            # a fresh connection per request, so the balancer spreads them over A and B
            for i in range(per_client):
                probe = f"{run}-{n}-{i}"
                with _client(balancer.url, a.automation_key) as client:
                    try:
                        task = client.create_scheduled_task(
                            {
                                "type": "CALL",
                                "scheduledAt": FUTURE,
                                "recoveryCaseId": case_id,
                                "metadata": {"probe": probe},
                            },
                            idempotency_key=f"chaos:{probe}",
                        )
                    except Exception as exc:
                        with lock:
                            errors.append(exc)
                        continue
                with lock:
                    acknowledged[probe] = str(task["id"])

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(client_loop, n) for n in range(8)]
            wait_until(lambda: len(acknowledged) >= 40, timeout=30, message="traffic flowing")
            a.kill()
            for future in futures:
                future.result(timeout=120)
    assert not errors, [repr(e) for e in errors[:3]]
    assert balancer.connections[a.port] > 0 and balancer.connections[b.port] > 0
    rows = sql(
        a.db_url,
        "SELECT metadata->>'probe', array_agg(id) FROM tasks "
        "WHERE metadata->>'probe' LIKE %s GROUP BY 1",
        f"{run}-%",
    )
    stored = {str(p): list(ids) for p, ids in rows}
    assert len(acknowledged) == 8 * per_client
    duplicated = {p: ids for p, ids in stored.items() if len(ids) > 1}
    assert not duplicated, list(duplicated.items())[:3]
    assert {p: ids[0] for p, ids in stored.items()} == acknowledged
