"""Issue 14.3 / 16.2: what collectors do to a case, through the management API, on SQLite and
PostgreSQL: promises to pay, disputes, pause and resume, edits with a reason, one open case
per invoice; with the scheduler and reminder worker where reminders must stop and resume."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.support.backend import LiveBackend, wait_until
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import WorkerProcess, start_worker, zone_where_hour_in
from tests.support.workspace import time_passes

TODAY = datetime.now(UTC).date()


def _case(backend: LiveBackend, days_overdue: int = 10, **fields: Any) -> dict[str, Any]:
    customer = backend.new_customer(
        name=f"Actions {secrets.token_hex(3)}",
        email=f"ap-{secrets.token_hex(4)}@example.com",
        timezone=fields.pop("timezone", "UTC"),
    )
    due = TODAY - timedelta(days=days_overdue)
    return backend.new_case(customer["id"], dueDate=due.isoformat(), **fields)


def _detail(backend: LiveBackend, case_id: str) -> dict[str, Any]:
    answer = backend.admin("GET", f"/recovery-cases/{case_id}")
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _actions(backend: LiveBackend, case_id: str) -> list[str]:
    return [e["action"] for e in _detail(backend, case_id)["timeline"]]


def _post(backend: LiveBackend, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return backend.admin("POST", path, json=body)


def _pay(backend: LiveBackend, case: dict[str, Any], amount: str) -> dict[str, Any]:
    answer = _post(
        backend,
        f"/recovery-cases/{case['id']}/payments",
        {"amount": amount, "currency": case["currency"]},
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _time_passes(backend: LiveBackend, case_id: str) -> None:
    time_passes(backend.db_url, case_id)


# --- promises -------------------------------------------------------------------------


def test_paying_the_promised_amount_keeps_the_promise_and_contact_resumes_for_the_rest(
    backend: LiveBackend,
) -> None:
    case = _case(backend, amount="5000.00")
    promised = TODAY + timedelta(days=5)
    answer = _post(
        backend,
        f"/recovery-cases/{case['id']}/promises",
        {"promisedDate": promised.isoformat(), "amount": "1000.00", "note": "CFO on the phone"},
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    promise = body["promise"]
    assert promise["status"] == "PENDING" and promise["graceDays"] == 3
    assert promise["deadline"] == (promised + timedelta(days=3)).isoformat()
    assert '"target":1000.00' in answer.text
    assert body["case"]["status"] == "PAUSED"
    assert body["case"]["promiseDue"] == promised.isoformat()
    assert body["case"]["brokenPromise"] is False

    assert _pay(backend, case, "400.00")["case"]["status"] == "PAUSED"  # not yet kept
    receipt = _pay(backend, case, "600.00")
    assert receipt["case"]["status"] == "OVERDUE" and receipt["case"]["promiseDue"] is None
    listed = backend.admin("GET", f"/recovery-cases/{case['id']}/promises").json()
    assert [p["status"] for p in listed["promises"]] == ["KEPT"]
    actions = _actions(backend, case["id"])
    assert {"promise.created", "promise.kept", "case.resumed"} <= set(actions)
    assert any(n["body"] == "CFO on the phone" for n in _detail(backend, case["id"])["notes"])


def test_a_promise_of_everything_owed_resolves_the_case_when_paid(backend: LiveBackend) -> None:
    case = _case(backend, amount="300.00")
    answer = _post(
        backend, f"/recovery-cases/{case['id']}/promises", {"promisedDate": TODAY.isoformat()}
    )
    assert answer.status_code == 201, answer.text
    assert '"target":300.00' in answer.text
    assert _pay(backend, case, "300.00")["case"]["status"] == "RESOLVED"
    listed = backend.admin("GET", f"/recovery-cases/{case['id']}/promises").json()
    assert listed["promises"][0]["status"] == "KEPT"


def test_refused_promises_write_nothing(backend: LiveBackend) -> None:
    case = _case(backend, amount="100.00")
    path = f"/recovery-cases/{case['id']}/promises"
    for body, status in (
        ({"promisedDate": (TODAY - timedelta(days=1)).isoformat()}, 422),
        ({"promisedDate": TODAY.isoformat(), "amount": "100.01"}, 422),
        ({"promisedDate": "someday"}, 422),
        ({}, 422),
    ):
        answer = _post(backend, path, body)
        assert answer.status_code == status, (body, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert (
        _post(
            backend, "/recovery-cases/case-nope/promises", {"promisedDate": str(TODAY)}
        ).status_code
        == 404
    )
    assert backend.admin("GET", path).json()["promises"] == []
    assert _detail(backend, case["id"])["status"] == "OVERDUE"


def test_a_broken_promise_resumes_the_case_and_ranks_it(backend: LiveBackend) -> None:
    case = _case(backend)
    answer = _post(
        backend,
        f"/recovery-cases/{case['id']}/promises",
        {"promisedDate": TODAY.isoformat(), "amount": "10.00"},
    )
    assert answer.status_code == 201, answer.text
    _time_passes(backend, case["id"])
    broken = wait_until(
        lambda: (d := _detail(backend, case["id"]))["brokenPromise"] and d,
        timeout=40,
        message="the periodic check breaks the promise",
    )
    assert broken["status"] == "OVERDUE" and broken["promiseDue"] is None
    assert [p["status"] for p in broken["promises"]] == ["BROKEN"]
    tasks = [t for t in broken["tasks"] if t["metadata"].get("templateId") == "promise-broken"]
    assert len(tasks) == 1 and tasks[0]["status"] in ("PENDING", "IN_PROGRESS", "COMPLETED")
    assert "promise.broken" in [e["action"] for e in broken["timeline"]]
    listed = backend.admin("GET", "/recovery-cases", params={"customerId": case["customerId"]})
    assert listed.json()["cases"][0]["brokenPromise"] is True


# --- pause and resume -----------------------------------------------------------------


def test_pause_until_a_date_and_resume(backend: LiveBackend) -> None:
    case = _case(backend)
    path = f"/recovery-cases/{case['id']}"
    for body in (
        {"until": TODAY.isoformat(), "reason": "x"},
        {"until": str(TODAY + timedelta(days=3))},
    ):
        assert _post(backend, f"{path}/pause", body).status_code == 422
    assert _post(backend, f"{path}/resume").status_code == 409  # not paused
    until = TODAY + timedelta(days=3)
    answer = _post(backend, f"{path}/pause", {"until": until.isoformat(), "reason": "on holiday"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "PAUSED"
    assert answer.json()["pausedUntil"].startswith(until.isoformat())
    answer = _post(backend, f"{path}/resume", {"reason": "back early"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "OVERDUE" and answer.json()["pausedUntil"] is None
    assert {"case.paused", "case.resumed"} <= set(_actions(backend, case["id"]))


def test_a_pause_ends_by_itself_when_its_date_passes(backend: LiveBackend) -> None:
    case = _case(backend)
    path = f"/recovery-cases/{case['id']}/pause"
    answer = _post(backend, path, {"until": str(TODAY + timedelta(days=2)), "reason": "travel"})
    assert answer.status_code == 200, answer.text
    _time_passes(backend, case["id"])
    wait_until(
        lambda: _detail(backend, case["id"])["status"] == "OVERDUE",
        timeout=40,
        message="auto resume",
    )
    resumed = [e for e in _detail(backend, case["id"])["timeline"] if e["action"] == "case.resumed"]
    assert resumed[0]["actor"] == "system" and resumed[0]["after"]["reason"] == "pause ended"


# --- disputes -------------------------------------------------------------------------


def test_dispute_stops_contact_until_resolved_by_credit_or_write_off(backend: LiveBackend) -> None:
    case = _case(backend, amount="500.00")
    path = f"/recovery-cases/{case['id']}/disputes"
    task = backend.new_reminder_task(case["id"])
    assert _post(backend, path, {"reason": "BAD_MOOD", "text": "x"}).status_code == 422
    answer = _post(backend, path, {"reason": "WRONG_AMOUNT", "text": "billed twice for March"})
    assert answer.status_code == 201, answer.text
    dispute = answer.json()["dispute"]
    assert answer.json()["case"]["status"] == "DISPUTED" and dispute["status"] == "OPEN"
    detail = _detail(backend, case["id"])
    assert [t["status"] for t in detail["tasks"] if t["id"] == task["id"]] == ["CANCELLED"]
    assert _post(backend, path, {"reason": "OTHER"}).status_code == 409
    promise = _post(backend, f"/recovery-cases/{case['id']}/promises", {"promisedDate": str(TODAY)})
    assert promise.status_code == 409

    resolve = f"{path}/{dispute['id']}/resolve"
    for body in (
        {"outcome": "CREDIT", "note": "x"},
        {"outcome": "CREDIT", "amount": "500.01", "note": "x"},
        {"outcome": "CREDIT", "amount": "10.00"},
        {"outcome": "MAYBE", "note": "x"},
    ):
        assert _post(backend, resolve, body).status_code == 422, body
    answer = _post(backend, resolve, {"outcome": "CREDIT", "amount": "120.00", "note": "March"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["case"]["status"] == "OVERDUE"
    assert '"amount":380.00' in answer.text and '"amountOutstanding":380.00' in answer.text
    assert _post(backend, resolve, {"outcome": "RESUME", "note": "again"}).status_code == 409

    second = _post(backend, path, {"reason": "QUALITY", "text": "broken parts"}).json()["dispute"]
    answer = _post(
        backend,
        f"{path}/{second['id']}/resolve",
        {"outcome": "WRITE_OFF", "note": "not worth pursuing"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["case"]["status"] == "WRITTEN_OFF"
    listed = backend.admin("GET", path).json()["disputes"]
    assert [(d["outcome"], d["status"]) for d in listed] == [
        ("CREDIT", "RESOLVED"),
        ("WRITE_OFF", "RESOLVED"),
    ]
    actions = _actions(backend, case["id"])
    assert actions.count("dispute.opened") == 2 and actions.count("dispute.resolved") == 2
    assert any("not worth pursuing" in n["body"] for n in _detail(backend, case["id"])["notes"])


def test_resolving_a_dispute_by_resume_reopens_the_case(backend: LiveBackend) -> None:
    case = _case(backend)
    path = f"/recovery-cases/{case['id']}/disputes"
    dispute = _post(backend, path, {"reason": "NOT_RECEIVED"}).json()["dispute"]
    answer = _post(
        backend, f"{path}/{dispute['id']}/resolve", {"outcome": "RESUME", "note": "proof sent"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["case"]["status"] == "OVERDUE"
    assert answer.json()["dispute"]["resolvedBy"]


# --- edits and duplicates --------------------------------------------------------------


def test_edits_need_a_reason_never_go_below_paid_and_re_plan_waiting_steps(
    backend: LiveBackend,
) -> None:
    case = _case(backend, amount="1000.00")
    path = f"/recovery-cases/{case['id']}"
    _pay(backend, case, "200.00")
    task = backend.auto(
        "POST",
        "/tasks",
        json={
            "type": "REMINDER",
            "scheduledAt": (datetime.now(UTC) + timedelta(hours=5)).isoformat(),
            "recoveryCaseId": case["id"],
            "dedupeKey": "policy-default#2:7:EMAIL",
            "metadata": {"reminderType": "EMAIL", "templateId": "reminder-2"},
        },
    ).json()
    assert backend.admin("PATCH", path, json={"amount": "900.00"}).status_code == 422
    below = backend.admin("PATCH", path, json={"amount": "199.99", "reason": "typo"})
    assert below.status_code == 422 and below.json()["type"].endswith("/amount-below-paid")
    bad_policy = backend.admin("PATCH", path, json={"policyId": "policy-nope", "reason": "x"})
    assert bad_policy.status_code == 422
    assert Decimal(str(_detail(backend, case["id"])["amount"])) == 1000  # nothing written

    answer = backend.admin("PATCH", path, json={"amount": "900.00", "reason": "discount agreed"})
    assert answer.status_code == 200, answer.text
    assert '"amount":900.00' in answer.text and '"amountOutstanding":700.00' in answer.text
    new_due = TODAY + timedelta(days=10)
    answer = backend.admin(
        "PATCH", path, json={"dueDate": new_due.isoformat(), "reason": "extended terms"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "PENDING" and answer.json()["dueDate"] == str(new_due)
    detail = _detail(backend, case["id"])
    replanned = next(t for t in detail["tasks"] if t["id"] == task["id"])
    assert replanned["status"] == "CANCELLED"
    assert replanned["dedupeKey"] != "policy-default#2:7:EMAIL"  # the step is planned anew
    edits = [e for e in detail["timeline"] if e["action"] == "case.edited"]
    assert [e["after"]["reason"] for e in edits] == ["discount agreed", "extended terms"]
    assert Decimal(str(edits[0]["before"]["amount"])) == Decimal("1000")
    assert Decimal(str(edits[0]["after"]["amount"])) == Decimal("900")

    settled = backend.admin("PATCH", path, json={"amount": "200.00", "reason": "settled"})
    assert settled.status_code == 200 and settled.json()["status"] == "RESOLVED"


def test_a_second_open_case_for_the_same_invoice_is_409_naming_the_first(
    backend: LiveBackend,
) -> None:
    first = _case(backend, invoiceNumber=f"INV-{secrets.token_hex(3)}")
    body = {
        "customerId": first["customerId"],
        "invoiceNumber": first["invoiceNumber"],
        "amount": "10.00",
        "currency": "USD",
        "dueDate": str(TODAY),
    }
    again = backend.admin("POST", "/recovery-cases", json=body)
    assert again.status_code == 409, again.text
    assert again.json()["existingCaseId"] == first["id"]
    other = backend.new_customer(name="Other Co")
    assert (
        backend.admin(
            "POST", "/recovery-cases", json={**body, "customerId": other["id"]}
        ).status_code
        == 201
    )
    _pay(backend, first, "5000.00")  # closed: the invoice may be opened again
    assert backend.admin("POST", "/recovery-cases", json=body).status_code == 201


# --- with the scheduler and the reminder worker ------------------------------------------


@pytest.fixture
def stack(own_backend: LiveBackend) -> Iterator[tuple[LiveBackend, SmtpSink, list[WorkerProcess]]]:
    """A backend of the test's own, a real SMTP server and room for worker processes."""
    smtp = SmtpSink().start()
    workers: list[WorkerProcess] = []
    try:
        yield own_backend, smtp, workers
    finally:
        for worker in workers:
            worker.terminate()
        smtp.stop()


def _tasks(backend: LiveBackend, case_id: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = _detail(backend, case_id)["tasks"]
    return result


def _quiet(backend: LiveBackend, case_id: str) -> bool:
    return all(t["status"] not in ("PENDING", "IN_PROGRESS") for t in _tasks(backend, case_id))


def test_a_promise_stops_reminders_and_a_broken_one_resumes_them(
    stack: tuple[LiveBackend, SmtpSink, list[WorkerProcess]],
) -> None:
    backend, smtp, workers = stack
    zone = zone_where_hour_in(9, 19)
    case = _case(backend, days_overdue=10, timezone=zone)
    email = backend.admin("GET", f"/customers/{case['customerId']}").json()["email"]
    workers.append(start_worker(backend, smtp_url=smtp.url, name="promise"))
    wait_until(lambda: smtp.to(email), timeout=60, message="the ladder's reminder")
    wait_until(lambda: _quiet(backend, case["id"]), timeout=30, message="the pass settled")

    answer = _post(
        backend,
        f"/recovery-cases/{case['id']}/promises",
        {"promisedDate": str(TODAY + timedelta(days=2)), "note": "pays on Friday"},
    )
    assert answer.status_code == 201, answer.text
    marker = _case(backend, days_overdue=3, timezone=zone)  # proves the worker kept planning
    marker_email = backend.admin("GET", f"/customers/{marker['customerId']}").json()["email"]
    wait_until(lambda: smtp.to(marker_email), timeout=60, message="the marker's reminder")
    assert len(smtp.to(email)) == 1  # the promise holds the ladder

    _time_passes(backend, case["id"])
    wait_until(lambda: len(smtp.to(email)) >= 2, timeout=60, message="promise-broken e-mail")
    message = smtp.to(email)[1].message
    assert "promised" in str(message["Subject"])
    assert case["invoiceNumber"] in message.as_string()
    wait_until(lambda: _quiet(backend, case["id"]), timeout=30, message="sent-mark done")
    detail = _detail(backend, case["id"])
    assert detail["brokenPromise"] is True and detail["status"] == "IN_PROGRESS"
    sent = [r["templateId"] for r in detail["reminders"] if r["status"] == "SENT"]
    # a backlog case starts at its first overdue step (issue 17.4), never "reminder-2" first
    assert sent == ["reminder-1", "promise-broken"]
    assert len(smtp.to(email)) == 2  # the broken promise's e-mail, not a step on top of it


def test_resuming_after_a_pause_re_plans_the_steps_it_cancelled(
    stack: tuple[LiveBackend, SmtpSink, list[WorkerProcess]],
) -> None:
    backend, smtp, workers = stack
    night = zone_where_hour_in(0, 5)  # steps wait for the morning: they stay PENDING
    case = _case(backend, days_overdue=10, timezone=night)
    key = "policy-default#1:1:EMAIL"  # catch-up starts at the first overdue step (17.4)
    workers.append(start_worker(backend, smtp_url=smtp.url, name="pause"))

    def waiting_step() -> dict[str, Any] | None:
        return next(
            (
                t
                for t in _tasks(backend, case["id"])
                if t["dedupeKey"] == key and t["status"] == "PENDING"
            ),
            None,
        )

    first = wait_until(waiting_step, timeout=60, message="the +1 step planned")
    path = f"/recovery-cases/{case['id']}"
    answer = _post(
        backend, f"{path}/pause", {"until": str(TODAY + timedelta(days=5)), "reason": "x"}
    )
    assert answer.status_code == 200, answer.text
    assert waiting_step() is None
    assert _post(backend, f"{path}/resume").status_code == 200
    second = wait_until(waiting_step, timeout=60, message="the step planned again")
    assert second["id"] != first["id"]

    assert (
        _post(
            backend, f"{path}/pause", {"until": str(TODAY + timedelta(days=5)), "reason": "y"}
        ).status_code
        == 200
    )
    _time_passes(backend, case["id"])  # the pause runs out: resumed by the backend itself
    third = wait_until(waiting_step, timeout=60, message="re-planned after the auto resume")
    assert third["id"] not in (first["id"], second["id"])
    assert _detail(backend, case["id"])["status"] == "OVERDUE"
    assert smtp.to(backend.admin("GET", f"/customers/{case['customerId']}").json()["email"]) == []


# --- concurrency -----------------------------------------------------------------------


def test_two_collectors_saving_the_same_case_lose_neither_change(pg_backend: LiveBackend) -> None:
    backend = pg_backend
    case = _case(backend, amount="1000.00")
    path = f"{backend.base_url}/api/v1/recovery-cases/{case['id']}"
    headers = {"Authorization": f"Bearer {backend.agent_key}"}
    bodies: list[dict[str, Any]] = []
    for i in range(6):
        bodies.append({"notes": f"called, note {i}"})
        bodies.append({"amount": f"{1000 + i}.00", "reason": f"correction {i}"})
    barrier = threading.Barrier(len(bodies))
    answers: list[int] = []

    def save(body: dict[str, Any]) -> None:
        with httpx.Client(timeout=60) as client:
            barrier.wait()
            answers.append(client.patch(path, json=body, headers=headers).status_code)

    threads = [threading.Thread(target=save, args=(b,)) for b in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * len(bodies)
    detail = _detail(backend, case["id"])
    assert sorted(n["body"] for n in detail["notes"]) == [f"called, note {i}" for i in range(6)]
    edits = [e for e in detail["timeline"] if e["action"] == "case.edited"]
    assert sorted(e["after"]["reason"] for e in edits) == [f"correction {i}" for i in range(6)]
    assert Decimal(str(detail["amount"])) == Decimal(str(edits[-1]["after"]["amount"]))


def test_a_shorter_pause_does_not_lift_a_promises_hold(backend: LiveBackend) -> None:
    case = _case(backend)
    path = f"/recovery-cases/{case['id']}"
    promised = _post(backend, f"{path}/promises", {"promisedDate": str(TODAY + timedelta(days=5))})
    assert promised.status_code == 201, promised.text
    breaks_at = promised.json()["promise"]["breaksAt"]
    answer = _post(
        backend, f"{path}/pause", {"until": str(TODAY + timedelta(days=1)), "reason": "x"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["pausedUntil"] == breaks_at


def test_an_agent_works_a_dispute_but_only_an_admin_writes_it_off(backend: LiveBackend) -> None:
    case = _case(backend)
    agent = {"Authorization": f"Bearer {backend.agent_key}"}
    path = f"{backend.base_url}/api/v1/recovery-cases/{case['id']}/disputes"
    opened = backend.http.post(path, json={"reason": "ALREADY_PAID"}, headers=agent)
    assert opened.status_code == 201, opened.text
    resolve = f"{path}/{opened.json()['dispute']['id']}/resolve"
    refused = backend.http.post(resolve, json={"outcome": "WRITE_OFF", "note": "x"}, headers=agent)
    assert refused.status_code == 403, refused.text
    assert _detail(backend, case["id"])["status"] == "DISPUTED"  # nothing half-written
    resumed = backend.http.post(
        resolve, json={"outcome": "RESUME", "note": "no proof"}, headers=agent
    )
    assert resumed.status_code == 200 and resumed.json()["case"]["status"] == "OVERDUE"
