"""Issue 15, item 4 end to end: a reminder prints the case's RF reference, a camt.053 that
quotes it settles the case, and no further reminder goes out (real backend and worker on
PostgreSQL, real SMTP)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from tests.e2e.conftest import Stack
from tests.support.backend import LiveBackend, wait_until
from tests.support.camt import Credit, camt053
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import zone_where_hour_in

IBAN = "DE89 3704 0044 0532 0130 00"


@pytest.fixture(scope="module")
def bank_stack(backend_factory: Callable[..., LiveBackend]) -> Iterator[Stack]:
    smtp = SmtpSink().start()
    backend = backend_factory(
        "postgres", env={"PAYREC_CREDITOR_IBAN": IBAN, "PAYREC_CREDITOR_NAME": "Bank Test AG"}
    )
    stack = Stack(backend, smtp)
    yield stack
    stack.stop_workers()
    smtp.stop()


def _overdue_case(stack: Stack, zone: str) -> tuple[dict[str, Any], dict[str, Any]]:
    customer = stack.backend.new_customer(
        email=f"ap-{secrets.token_hex(4)}@example.com", timezone=zone
    )
    due = date.today() - timedelta(days=10)
    case = stack.backend.new_case(customer["id"], dueDate=due.isoformat(), currency="EUR")
    return customer, case


def test_a_statement_quoting_the_rf_reference_stops_the_reminders(bank_stack: Stack) -> None:
    stack = bank_stack
    zone = zone_where_hour_in(9, 19)
    reminded, reminded_case = _overdue_case(stack, zone)
    payer, case = _overdue_case(stack, zone)
    statement = camt053([
        Credit("5000.00", "EUR", reference=case["creditorReference"], debtor="Payer GmbH",
               entry_ref="E2E-" + secrets.token_hex(6)),
    ])
    imported = stack.backend.admin("POST", "/bank-statements",
                                   files={"file": ("camt053.xml", statement)})
    assert imported.status_code == 201, imported.text
    assert imported.json()["matched"] == 1
    again = stack.backend.admin("POST", "/bank-statements",
                                files={"file": ("camt053.xml", statement)})
    assert again.json()["duplicates"] == 1
    stack.start_worker("bank-1")
    stack.start_worker("bank-2")
    try:
        wait_until(lambda: stack.smtp.to(reminded["email"]), timeout=60,
                   message="the unpaid case's reminder")
    finally:
        stack.stop_workers()
    message = stack.smtp.to(reminded["email"])[0].message
    body = "".join(
        part.get_payload(decode=True).decode() for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    rf = reminded_case["creditorReference"]
    printed = " ".join(rf[i:i + 4] for i in range(0, len(rf), 4))
    assert printed in body and "DE89 3704" in body
    assert stack.smtp.to(payer["email"]) == []
    detail = stack.backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    assert detail["status"] == "RESOLVED" and detail["reminders"] == []
    payments = stack.backend.admin("GET", f"/recovery-cases/{case['id']}/payments").json()
    assert payments["total"] == 1
