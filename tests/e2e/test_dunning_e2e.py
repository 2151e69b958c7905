"""Whole flows: cases → scheduler → reminder sender → SMTP → bookkeeping, with real processes."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.conftest import Stack
from tests.support.backend import wait_until
from tests.support.workers import zone_where_hour_in


def _customer(stack: Stack, **fields: Any) -> dict[str, Any]:
    email = f"ap-{secrets.token_hex(4)}@example.com"
    return stack.backend.new_customer(email=email, **fields)


def _case(
    stack: Stack, customer: dict[str, Any], days_overdue: int, **fields: Any
) -> dict[str, Any]:
    due = date.today() - timedelta(days=days_overdue)
    return stack.backend.new_case(customer["id"], dueDate=due.isoformat(), **fields)


def _detail(stack: Stack, case_id: str) -> dict[str, Any]:
    response = stack.backend.admin("GET", f"/recovery-cases/{case_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _settled(stack: Stack, case_id: str, steps: int) -> bool:
    """All `steps` due steps of the case have their task, and none is waiting or running."""
    tasks = _detail(stack, case_id)["tasks"]
    return len(tasks) == steps and all(
        t["status"] in ("COMPLETED", "CANCELLED", "FAILED") for t in tasks
    )


def _quiet_for(stack: Stack, seconds: float) -> int:
    """Watch the SMTP server for a while; returns how many messages arrived meanwhile."""
    before = len(stack.smtp.messages)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.1)
    return len(stack.smtp.messages) - before


def test_each_due_step_sends_exactly_one_email(running: Stack) -> None:
    zone = zone_where_hour_in(9, 19)
    fresh = _customer(running, timezone=zone)
    late = _customer(running, timezone=zone)
    upcoming = _customer(running, timezone=zone)
    fresh_case = _case(running, fresh, 2)  # -3 superseded by +1
    late_case = _case(running, late, 10)  # -3 superseded; +1 first, +7 six days after it
    upcoming_case = _case(running, upcoming, -2)  # friendly notice 3 days before due

    wait_until(
        lambda: all(running.smtp.to(c["email"]) for c in (fresh, late, upcoming)),
        timeout=30,
        message="one email per customer",
    )
    for case, steps in ((fresh_case, 2), (late_case, 2), (upcoming_case, 1)):
        wait_until(
            lambda c=case, n=steps: _settled(running, c["id"], n), timeout=20, message="settled"
        )
    assert _quiet_for(running, 1.5) == 0
    for customer in (fresh, late, upcoming):
        assert len(running.smtp.to(customer["email"])) == 1

    late_detail = _detail(running, late_case["id"])
    sent = [r for r in late_detail["reminders"] if r["status"] == "SENT"]
    assert len(sent) == 1 and sent[0]["templateId"] == "reminder-1"  # never "second reminder"
    superseded = [t for t in late_detail["tasks"] if t["status"] == "CANCELLED"]
    assert len(superseded) == 1 and all("superseded" in t["result"]["skipped"] for t in superseded)
    message = running.smtp.to(late["email"])[0]
    assert sent[0]["id"] in message.message_id
    assert message.message.get("List-Unsubscribe")
    assert late_case["invoiceNumber"] in message.message.as_string()
    assert late_detail["status"] == "IN_PROGRESS" and late_detail["lastReminderSentAt"]
    assert any("sent to" in n["body"] for n in late_detail["notes"])
    completed = [t for t in late_detail["tasks"] if t["status"] == "COMPLETED"]
    assert completed[0]["result"]["reminderId"] == sent[0]["id"]
    assert completed[0]["result"]["recipient"] == late["email"]


def test_paid_case_gets_nothing_further(stack: Stack) -> None:
    zone = zone_where_hour_in(9, 19)
    payer = _customer(stack, timezone=zone)
    case = _case(stack, payer, 10)
    paid = stack.backend.admin(
        "POST",
        f"/recovery-cases/{case['id']}/payments",
        json={"amount": "5000.00", "currency": "USD", "reference": "wire-1"},
    )
    assert paid.status_code == 201, paid.text
    assert paid.json()["case"]["status"] == "RESOLVED"
    stack.start_worker("paid")
    try:
        marker = _customer(stack, timezone=zone)
        _case(stack, marker, 3)  # proves the worker ran a full pass meanwhile
        wait_until(lambda: stack.smtp.to(marker["email"]), timeout=30, message="marker email")
    finally:
        stack.stop_workers()
    assert stack.smtp.to(payer["email"]) == []
    assert _detail(stack, case["id"])["reminders"] == []


def test_payment_during_the_run_cancels_what_is_pending(stack: Stack) -> None:
    night = zone_where_hour_in(0, 5)
    customer = _customer(stack, timezone=night)
    case = _case(stack, customer, 10)
    stack.start_worker("pay-during")
    try:
        wait_until(
            lambda: any(t["status"] == "PENDING" for t in _detail(stack, case["id"])["tasks"]),
            timeout=30,
            message="a task waiting for the send window",
        )
        stack.backend.admin(
            "POST",
            f"/recovery-cases/{case['id']}/payments",
            json={"amount": "5000.00", "currency": "USD"},
        )
        detail = _detail(stack, case["id"])
        assert detail["status"] == "RESOLVED"
        assert all(t["status"] != "PENDING" for t in detail["tasks"])
    finally:
        stack.stop_workers()
    assert stack.smtp.to(customer["email"]) == []


def test_night_customer_is_contacted_only_inside_the_window(running: Stack) -> None:
    zone = zone_where_hour_in(0, 5)
    customer = _customer(running, timezone=zone)
    case = _case(running, customer, 10)
    tasks = wait_until(
        lambda: [t for t in _detail(running, case["id"])["tasks"] if t["status"] == "PENDING"],
        timeout=30,
        message="a scheduled reminder",
    )
    local = datetime.fromisoformat(tasks[0]["scheduledAt"].replace("Z", "+00:00")).astimezone(
        ZoneInfo(zone)
    )
    assert local.hour == 8 and local.minute == 0, local  # the window opens at 08:00 local time
    assert local > datetime.now(UTC)
    assert running.smtp.to(customer["email"]) == []


def test_opted_out_customer_gets_no_email(running: Stack) -> None:
    zone = zone_where_hour_in(9, 19)
    customer = _customer(running, timezone=zone, optOutEmail=True)
    case = _case(running, customer, 3)
    wait_until(lambda: _settled(running, case["id"], 2), timeout=30, message="steps recorded")
    tasks = _detail(running, case["id"])["tasks"]
    assert all(t["status"] == "CANCELLED" for t in tasks)
    assert any("opted out" in (t["result"] or {}).get("skipped", "") for t in tasks)
    assert running.smtp.to(customer["email"]) == []


def test_smtp_451_then_250_delivers_once(running: Stack) -> None:
    zone = zone_where_hour_in(9, 19)
    customer = _customer(running, timezone=zone)
    running.smtp.script(customer["email"], "451 4.3.0 Mailbox busy, try later")
    case = _case(running, customer, 3)
    wait_until(lambda: running.smtp.to(customer["email"]), timeout=30, message="delivery after 451")
    wait_until(lambda: _settled(running, case["id"], 2), timeout=20, message="task completed")
    assert len(running.smtp.to(customer["email"])) == 1
    assert running.smtp.handler.refusals[customer["email"]] == 1
    detail = _detail(running, case["id"])
    assert [r["status"] for r in detail["reminders"]] == ["SENT"]


def test_smtp_550_fails_the_reminder_with_the_reason(running: Stack) -> None:
    zone = zone_where_hour_in(9, 19)
    customer = _customer(running, timezone=zone)
    running.smtp.script(customer["email"], "550 5.1.1 No such user here")
    case = _case(running, customer, 3)
    wait_until(lambda: _settled(running, case["id"], 2), timeout=30, message="task failed")
    detail = _detail(running, case["id"])
    failed = [r for r in detail["reminders"] if r["status"] == "FAILED"]
    assert failed and "550" in failed[0]["error"]
    assert any(
        t["status"] == "FAILED" and "550" in (t["lastError"] or str(t["result"]))
        for t in detail["tasks"]
    )
    assert any("failed" in n["body"] and "550" in n["body"] for n in detail["notes"])
    assert running.smtp.to(customer["email"]) == []
