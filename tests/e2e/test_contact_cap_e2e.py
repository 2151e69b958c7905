"""The contact cap and consolidated e-mails under racing schedulers (issue 17 item 2).

Two worker processes, each running a scheduler and a reminder sender, over 200 customers with
1-5 overdue invoices each on PostgreSQL, under a policy of one contact per 7 days: every
customer gets exactly one e-mail at the SMTP sink, and a customer with several invoices gets one
statement listing every one of them. An invoice in a second currency (not listed on the
statement) is held back by the cap to a week after the statement.
"""

from __future__ import annotations

import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import Message
from typing import Any

import pytest
from sqlalchemy import select

from payrec.server.db import Database
from payrec.server.models import Customer, RecoveryCase, Task
from tests.support.backend import LiveBackend, wait_until
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import WorkerProcess, start_worker, zone_where_hour_in

CUSTOMERS = 200
ONE_A_WEEK = {
    "name": "One contact a week",
    "steps": [{"offsetDays": 1, "channel": "EMAIL", "templateId": "reminder-1"}],
    "maxContactsPer7Days": 1,
}


@pytest.fixture
def pg_stack(backend_factory: Callable[..., LiveBackend]) -> Iterator[tuple[LiveBackend, SmtpSink]]:
    smtp = SmtpSink().start()
    backend = backend_factory("postgres")
    try:
        yield backend, smtp
    finally:
        backend.stop()
        smtp.stop()


def _seed(backend: LiveBackend, policy_id: str, tag: str) -> dict[str, dict[str, Any]]:
    """Customers with 1-5 EUR invoices two days overdue; every tenth also owes one in USD.
    Straight into the database: 600 POSTs would dominate the test."""
    rng = random.Random(17)
    due = date.today() - timedelta(days=2)
    zone = zone_where_hour_in(9, 19)
    book: dict[str, dict[str, Any]] = {}
    db = Database(backend.db_url, pool_size=1)
    try:
        with db.write() as session:
            for i in range(CUSTOMERS):
                email = f"cap-{tag}-{i}@example.com"
                customer = Customer(
                    name=f"Cap {tag} {i}", email=email, timezone=zone, policy_id=policy_id
                )
                session.add(customer)
                session.flush()
                invoices = [(f"C-{tag}-{i}-{n}", "EUR") for n in range(rng.randint(1, 5))]
                if i % 10 == 0:
                    invoices.append((f"C-{tag}-{i}-usd", "USD"))
                for number, currency in invoices:
                    session.add(
                        RecoveryCase(
                            customer_id=customer.id,
                            invoice_number=number,
                            amount=Decimal("120.00"),
                            amount_paid=Decimal(0),
                            currency=currency,
                            due_date=due,
                            status="OVERDUE",
                            priority="MEDIUM",
                            priority_rank=1,
                            created_at=datetime.now(UTC),
                        )
                    )
                book[email] = {"id": customer.id, "invoices": invoices}
    finally:
        db.dispose()
    return book


def _text(message: Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                return payload.decode(part.get_content_charset() or "utf-8")
    return ""


def _reminder_tasks(backend: LiveBackend, customer_ids: set[str]) -> list[Any]:
    """(status, scheduledAt, customer id, currency) of the customers' reminder tasks."""
    db = Database(backend.db_url, pool_size=1)
    try:
        with db.read() as session:
            return list(
                session.execute(
                    select(
                        Task.status,
                        Task.scheduled_at,
                        RecoveryCase.customer_id,
                        RecoveryCase.currency,
                    )
                    .join(RecoveryCase, RecoveryCase.id == Task.recovery_case_id)
                    .where(Task.type == "REMINDER", RecoveryCase.customer_id.in_(customer_ids))
                ).all()
            )
    finally:
        db.dispose()


def test_cap_and_consolidation_hold_with_two_schedulers_and_two_senders(
    pg_stack: tuple[LiveBackend, SmtpSink],
) -> None:
    backend, smtp = pg_stack
    policy = backend.admin("POST", "/policies", json=ONE_A_WEEK)
    assert policy.status_code == 201, policy.text
    tag = secrets.token_hex(3)
    book = _seed(backend, policy.json()["id"], tag)
    workers: list[WorkerProcess] = [
        start_worker(
            backend,
            smtp_url=smtp.url,
            name=f"cap-{tag}-{n}",
            services="scheduler,reminders",
            concurrency=4,
            extra_env={"PAYREC_LEASE_SECONDS": "30"},
        )
        for n in range(2)
    ]
    try:
        wait_until(
            lambda: {a for m in smtp.messages for a in m.to if a in book} == set(book),
            timeout=90,
            interval=0.05,
            message="every customer e-mailed",
        )

        def settled() -> bool:
            due = backend.auto("GET", "/tasks/scheduled", params={"size": 1}).json()["total"]
            running = backend.auto(
                "GET", "/tasks/scheduled", params={"status": "IN_PROGRESS", "size": 1}
            ).json()["total"]
            return due == 0 and running == 0

        wait_until(settled, timeout=60, interval=0.1, message="no due or running task left")
    finally:
        for worker in workers:
            worker.terminate()
    per_customer = Counter(a for m in smtp.messages for a in m.to if a in book)
    assert set(per_customer.values()) == {1}, per_customer.most_common(3)  # cap: 1 per 7 days

    texts = {a: _text(m.message) for m in smtp.messages for a in m.to if a in book}
    held: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for status, scheduled_at, customer_id, currency in _reminder_tasks(
        backend, {c["id"] for c in book.values()}
    ):
        if status == "PENDING":
            held[(customer_id, currency)].append(scheduled_at)
    soonest = datetime.now(UTC) + timedelta(days=6)
    unlisted = {}
    for email, customer in book.items():
        by_currency: dict[str, list[str]] = defaultdict(list)
        for number, currency in customer["invoices"]:
            by_currency[currency].append(number)
        listed = [
            c for c, numbers in by_currency.items() if all(n in texts[email] for n in numbers)
        ]
        if len(listed) != 1:
            unlisted[email] = (by_currency, texts[email][:400])
            continue
        # the one e-mail lists every invoice of its currency; the other currency's invoice
        # (a statement lists one currency) waits for the cap: a week after the e-mail
        for currency in set(by_currency) - set(listed):
            waiting = held[(customer["id"], currency)]
            assert waiting and min(waiting) > soonest, (email, currency, waiting)
        assert not held[(customer["id"], listed[0])], (email, "a listed invoice still waits")
    assert not unlisted, (len(unlisted), list(unlisted.items())[:3])
    mixed = sum(1 for c in book.values() if len({cur for _, cur in c["invoices"]}) > 1)
    assert mixed == CUSTOMERS // 10
