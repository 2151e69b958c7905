"""Issue 17, item 5: retries and sends caught up after an outage stay inside the customer's
send window; a public holiday in the customer's country moves the send to the next business
day in their zone. Real backend processes on SQLite and PostgreSQL; the holiday test runs a
real `payrec worker` scheduler.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from babel.localedata import locale_identifiers

from payrec.domain.calendar import holiday_calendar
from tests.support.backend import LiveBackend, wait_until
from tests.support.workers import WorkerProcess, start_worker


def _placement(start: time, end: time) -> dict[str, Any]:
    return {
        "timezone": "UTC", "start": start.isoformat("minutes"), "end": end.isoformat("minutes"),
        "weekends": True, "businessDaysOnly": False, "skipHolidays": False,
        "country": None, "subdivision": None,
    }


def _task(backend: LiveBackend, kind: str, placement: dict[str, Any]) -> dict[str, Any]:
    body = {
        "type": kind,
        "scheduledAt": (datetime.now(UTC) - timedelta(hours=3)).isoformat(),
        "metadata": {"reminderType": "EMAIL", "templateId": "reminder-1", "placement": placement},
    }
    answer = backend.auto("POST", "/tasks", json=body)
    assert answer.status_code == 201, answer.text
    task: dict[str, Any] = answer.json()
    return task


def _claim(backend: LiveBackend, kind: str) -> list[dict[str, Any]]:
    body = {"workerId": "w-window", "types": [kind], "limit": 10, "leaseSeconds": 60}
    answer = backend.auto("POST", "/tasks/claim", json=body)
    assert answer.status_code == 200, answer.text
    tasks: list[dict[str, Any]] = answer.json()["tasks"]
    return tasks


def _get(backend: LiveBackend, task_id: str) -> dict[str, Any]:
    answer = backend.auto("GET", f"/tasks/{task_id}")
    assert answer.status_code == 200, answer.text
    task: dict[str, Any] = answer.json()
    return task


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_send_caught_up_after_an_outage_waits_for_the_window(backend: LiveBackend) -> None:
    """Due three hours ago, claimed while the window is closed: handed back, no attempt
    counted, for the window's next opening."""
    now = datetime.now(UTC)
    start = (now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    end = time(23, 59) if start.hour == 23 else time(start.hour + 1)
    kind = "T" + secrets.token_hex(6).upper()
    task = _task(backend, kind, _placement(start.time(), end))
    assert _claim(backend, kind) == []
    deferred = _get(backend, task["id"])
    assert deferred["status"] == "PENDING" and deferred["attempts"] == 0
    assert deferred["leaseToken"] is None and deferred["lockedBy"] is None
    assert _at(deferred["scheduledAt"]) == start
    assert _claim(backend, kind) == []  # not due again before the window opens


def test_a_retry_after_a_transient_failure_is_placed_back_in_the_window(
    backend: LiveBackend,
) -> None:
    now = datetime.now(UTC)
    start = time(now.hour)
    end = time(23, 59) if now.hour == 23 else time(now.hour + 1)
    kind = "T" + secrets.token_hex(6).upper()
    task = _task(backend, kind, _placement(start, end))
    claimed = _claim(backend, kind)
    assert [t["id"] for t in claimed] == [task["id"]]
    retry = now + timedelta(minutes=90)  # after the window closes
    answer = backend.auto(
        "PUT",
        f"/tasks/{task['id']}/status",
        json={
            "status": "PENDING",
            "leaseToken": claimed[0]["leaseToken"],
            "retryAt": retry.isoformat(),
            "error": "451 try again later",
        },
    )
    assert answer.status_code == 200, answer.text
    placed = _get(backend, task["id"])
    assert placed["status"] == "PENDING" and placed["attempts"] == 1
    assert _at(placed["scheduledAt"]) == datetime.combine(
        now.date() + timedelta(days=1), start, tzinfo=UTC
    )


# --- a holiday in the customer's country, with the real scheduler ---------------------------

BUSINESS_DAYS: dict[str, Any] = {
    "name": "Business days",
    "steps": [{"offsetDays": 1, "channel": "EMAIL", "templateId": "reminder-1"}],
    "sendWindow": {"start": "00:00", "end": "23:59", "weekends": False},
    "businessDaysOnly": True,
    "maxContactsPer7Days": None,
}


def _locale_with_a_holiday_on(day: date) -> str:
    """A locale (language_TERRITORY) whose country has a public holiday on `day`."""
    for name in sorted(locale_identifiers()):
        parts = name.split("_")
        if len(parts) == 2 and len(parts[1]) == 2 and day in holiday_calendar(parts[1]):
            return name
    pytest.fail(f"no country with a public holiday on {day}")


def _next_business_day(day: date, country: str) -> date:
    calendar = holiday_calendar(country)
    while day.weekday() >= 5 or day in calendar:
        day += timedelta(days=1)
    return day


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def planning(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[tuple[LiveBackend, WorkerProcess, str]]:
    backend = backend_factory(request.param)
    created = backend.admin("POST", "/policies", json=BUSINESS_DAYS)
    assert created.status_code == 201, created.text
    worker = start_worker(backend, smtp_url=None, services="scheduler", name="holiday")
    yield backend, worker, created.json()["id"]
    worker.terminate()
    backend.stop()


def test_a_holiday_in_the_customers_country_moves_the_send_to_the_next_business_day(
    planning: tuple[LiveBackend, WorkerProcess, str],
) -> None:
    backend, worker, policy_id = planning
    today = datetime.now(UTC).date()
    locale = _locale_with_a_holiday_on(today)
    country = locale.split("_")[1]
    customer = backend.new_customer(
        email=f"ap-{secrets.token_hex(4)}@example.com", timezone="UTC", locale=locale,
        policyId=policy_id,
    )
    case = backend.new_case(customer["id"], dueDate=(today - timedelta(days=2)).isoformat())

    def planned() -> list[dict[str, Any]]:
        answer = backend.admin("GET", f"/recovery-cases/{case['id']}")
        assert answer.status_code == 200, answer.text
        tasks: list[dict[str, Any]] = answer.json()["tasks"]
        return tasks

    tasks = wait_until(
        planned, timeout=60, message=f"the step planned; worker log:\n{worker.logs()[-3000:]}"
    )
    assert len(tasks) == 1
    when = _at(tasks[0]["scheduledAt"])
    expected = _next_business_day(today, country)
    assert expected > today
    assert when == datetime.combine(expected, time(0), tzinfo=UTC), (locale, when)
    assert tasks[0]["metadata"]["placement"]["country"] == country
