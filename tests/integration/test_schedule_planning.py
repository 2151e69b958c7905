"""Issue 17, items 3 and 4: a paused or disputed case that resumes gets its cancelled step
again; a backlog invoice's first message is its first overdue step, never a later one.

A real `payrec worker` runs the scheduler (every second) against a backend of the module's own,
on SQLite and on PostgreSQL; no reminder sender runs, so a planned step stays PENDING.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from payrec.domain.policy import DEFAULT_POLICY, policy_to_dict
from tests.support.backend import LiveBackend, wait_until
from tests.support.workers import WorkerProcess, start_worker, zone_where_hour_in

# One e-mail step a day after the due date; the window is open all day, every day, so the
# step is planned for "now" and never waits for a window.
ONE_STEP: dict[str, Any] = {
    "name": "One reminder",
    "steps": [
        {"offsetDays": 1, "channel": "EMAIL", "templateId": "reminder-1"},
        {"offsetDays": 90, "channel": "EMAIL", "templateId": "reminder-3"},
    ],
    "sendWindow": {"start": "00:00", "end": "23:59", "weekends": True},
    "businessDaysOnly": False,
    "maxContactsPer7Days": None,
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def planning(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[tuple[LiveBackend, WorkerProcess, str]]:
    backend = backend_factory(request.param)
    created = backend.admin("POST", "/policies", json=ONE_STEP)
    assert created.status_code == 201, created.text
    worker = start_worker(backend, smtp_url=None, services="scheduler", name="resume")
    yield backend, worker, created.json()["id"]
    worker.terminate()
    backend.stop()


def _tasks(backend: LiveBackend, case_id: str) -> list[dict[str, Any]]:
    answer = backend.admin("GET", f"/recovery-cases/{case_id}")
    assert answer.status_code == 200, answer.text
    tasks: list[dict[str, Any]] = answer.json()["tasks"]
    return tasks


def _pending(backend: LiveBackend, case_id: str) -> list[dict[str, Any]]:
    return [t for t in _tasks(backend, case_id) if t["status"] == "PENDING"]


def _move(backend: LiveBackend, case_id: str, status: str) -> None:
    answer = backend.admin("PATCH", f"/recovery-cases/{case_id}", json={"status": status})
    assert answer.status_code == 200, answer.text


def _planned_case(planning: tuple[LiveBackend, WorkerProcess, str]) -> tuple[str, dict[str, Any]]:
    """A case two days overdue whose +1 day step the scheduler has planned."""
    backend, worker, policy_id = planning
    customer = backend.new_customer(
        email=f"ap-{secrets.token_hex(4)}@example.com", timezone="UTC", policyId=policy_id
    )
    due = (datetime.now(UTC).date() - timedelta(days=2)).isoformat()
    case = backend.new_case(customer["id"], dueDate=due)
    first = wait_until(
        lambda: _pending(backend, case["id"]), timeout=60,
        message=f"the +1 day step planned; worker log:\n{worker.logs()[-3000:]}",
    )
    assert len(first) == 1 and first[0]["metadata"]["offsetDays"] == 1
    return case["id"], first[0]


@pytest.mark.parametrize("hold", ["PAUSED", "DISPUTED"])
def test_resuming_a_held_case_plans_its_cancelled_step_again(
    planning: tuple[LiveBackend, WorkerProcess, str], hold: str
) -> None:
    backend, worker, _ = planning
    case_id, first = _planned_case(planning)
    _move(backend, case_id, hold)
    cancelled = next(t for t in _tasks(backend, case_id) if t["id"] == first["id"])
    assert cancelled["status"] == "CANCELLED" and cancelled["dedupeKey"] == first["dedupeKey"]
    _move(backend, case_id, "OVERDUE")
    released = next(t for t in _tasks(backend, case_id) if t["id"] == first["id"])
    assert released["dedupeKey"] == f"{first['dedupeKey']}~{first['id']}"
    again = wait_until(
        lambda: _pending(backend, case_id), timeout=60,
        message=f"the step planned again after {hold}; worker log:\n{worker.logs()[-3000:]}",
    )
    assert len(again) == 1
    assert again[0]["id"] != first["id"]
    assert again[0]["dedupeKey"] == first["dedupeKey"]
    assert again[0]["metadata"]["templateId"] == "reminder-1"
    assert datetime.fromisoformat(again[0]["scheduledAt"]) > datetime.fromisoformat(
        first["scheduledAt"]
    )


def test_a_held_case_is_not_planned_while_held(
    planning: tuple[LiveBackend, WorkerProcess, str],
) -> None:
    backend, _worker, _ = planning
    case_id, _first = _planned_case(planning)
    _move(backend, case_id, "PAUSED")
    # a fresh case planned after the pause proves the scheduler passed over the paused one
    _planned_case(planning)
    assert _pending(backend, case_id) == []


def _case_of(
    planning: tuple[LiveBackend, WorkerProcess, str], days_overdue: int, **customer: Any
) -> str:
    backend = planning[0]
    fields = {"email": f"ap-{secrets.token_hex(4)}@example.com", **customer}
    owner = backend.new_customer(timezone=zone_where_hour_in(9, 19), **fields)
    due = (datetime.now(UTC).date() - timedelta(days=days_overdue)).isoformat()
    case_id: str = backend.new_case(owner["id"], dueDate=due)["id"]
    return case_id


def _planned_templates(
    planning: tuple[LiveBackend, WorkerProcess, str], case_id: str, count: int
) -> dict[str, str]:
    backend, worker, _ = planning
    tasks = wait_until(
        lambda: (found := _tasks(backend, case_id)) and len(found) >= count and found,
        timeout=60, message=f"{count} tasks planned; worker log:\n{worker.logs()[-3000:]}",
    )
    # one more case planned after these proves a later pass added nothing to this one
    _planned_case(planning)
    assert len(_tasks(backend, case_id)) == len(tasks)
    return {t["metadata"]["templateId"]: t["status"] for t in tasks}


def test_a_backlog_invoice_gets_its_first_overdue_step_first(
    planning: tuple[LiveBackend, WorkerProcess, str],
) -> None:
    """40 days overdue under the default policy: the pre-due notice is superseded, the first
    reminder and the call are planned, the second reminder waits its six days."""
    case_id = _case_of(planning, 40)
    planned = _planned_templates(planning, case_id, 3)
    assert planned == {
        "reminder-friendly": "CANCELLED",
        "reminder-1": "PENDING",
        "call-collector": "PENDING",
    }


def test_a_latest_step_policy_keeps_the_old_catch_up(
    planning: tuple[LiveBackend, WorkerProcess, str],
) -> None:
    backend = planning[0]
    body = {**policy_to_dict(DEFAULT_POLICY), "name": "Latest step", "catchUp": "LATEST_STEP"}
    del body["id"]
    created = backend.admin("POST", "/policies", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["catchUp"] == "LATEST_STEP"
    case_id = _case_of(planning, 10, policyId=created.json()["id"])
    planned = _planned_templates(planning, case_id, 3)
    assert planned == {
        "reminder-friendly": "CANCELLED",
        "reminder-1": "CANCELLED",
        "reminder-2": "PENDING",
    }
