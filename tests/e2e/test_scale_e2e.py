"""Several worker processes on one PostgreSQL: no duplicate emails, nothing lost on SIGKILL."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.backend import LiveBackend, seed_overdue_book, wait_until
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import WorkerProcess, start_worker, zone_where_hour_in


@pytest.fixture(scope="module")
def pg_stack(backend_factory: Callable[..., LiveBackend]) -> Iterator[tuple[LiveBackend, SmtpSink]]:
    smtp = SmtpSink().start()
    yield backend_factory("postgres"), smtp
    smtp.stop()


def _book(backend: LiveBackend, count: int) -> list[dict[str, Any]]:
    """`count` customers, each with one case whose single due step is +1 (2 days overdue)."""
    return seed_overdue_book(
        backend.db_url,
        count,
        timezone=zone_where_hour_in(9, 19),
        days_overdue=2,
        tag=secrets.token_hex(3),
    )


def _sent_reminders(backend: LiveBackend, case_ids: set[str]) -> Counter[str]:
    counts: Counter[str] = Counter()
    cursor = None
    while True:
        params: dict[str, Any] = {"action": "reminder.sent", "limit": 1000}
        if cursor:
            params["cursor"] = cursor
        page = backend.admin("GET", "/audit-events", params=params).json()
        for event in page["events"]:
            if event["recoveryCaseId"] in case_ids:
                counts[event["recoveryCaseId"]] += 1
        cursor = page.get("nextCursor")
        if not cursor:
            return counts


def _workers(backend: LiveBackend, smtp: SmtpSink, n: int, tag: str) -> list[WorkerProcess]:
    return [
        start_worker(
            backend,
            smtp_url=smtp.url,
            name=f"{tag}-{i}",
            concurrency=4,
            services="scheduler,reminders",
            # No worker dies here: a production-like lease, so that a heartbeat delayed on
            # a saturated 2-core box (the suite runs three pytest workers) cannot expire one.
            extra_env={} if tag.startswith("kill") else {"PAYREC_LEASE_SECONDS": "30"},
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("worker_count", [4])  # two workers: test_sigkill_mid_batch_loses_nothing
def test_many_workers_send_each_reminder_once(
    pg_stack: tuple[LiveBackend, SmtpSink], worker_count: int
) -> None:
    backend, smtp = pg_stack
    cases = _book(backend, 500)
    emails = {c["customer"]["email"] for c in cases}
    workers = _workers(backend, smtp, worker_count, f"scale{worker_count}")
    try:
        wait_until(
            lambda: len({a for m in smtp.messages for a in m.to if a in emails}) == len(emails),
            timeout=150,
            interval=0.05,
            message="every customer emailed",
        )
    finally:
        for worker in workers:
            worker.terminate()
    per_address = Counter(a for m in smtp.messages for a in m.to if a in emails)
    assert set(per_address.values()) == {1}, per_address.most_common(3)
    ids = [m.message_id for m in smtp.messages if set(m.to) & emails]
    assert len(ids) == len(set(ids)) == 500
    sent = _sent_reminders(backend, {c["id"] for c in cases})
    assert len(sent) == 500 and set(sent.values()) == {1}


def test_sigkill_mid_batch_loses_nothing(pg_stack: tuple[LiveBackend, SmtpSink]) -> None:
    backend, smtp = pg_stack
    cases = _book(backend, 200)
    emails = {c["customer"]["email"] for c in cases}
    victim, survivor = _workers(backend, smtp, 2, "kill")
    try:
        wait_until(
            lambda: len([m for m in smtp.messages if set(m.to) & emails]) >= 20,
            timeout=60,
            message="work under way",
        )
        victim.kill()
        wait_until(
            lambda: len({a for m in smtp.messages for a in m.to if a in emails}) == len(emails),
            timeout=120,
            interval=0.05,
            message="every customer emailed after the kill",
        )
    finally:
        victim.kill()
        survivor.terminate()
    sent = _sent_reminders(backend, {c["id"] for c in cases})
    assert len(sent) == 200 and set(sent.values()) == {1}
    per_address = Counter(a for m in smtp.messages for a in m.to if a in emails)
    # At-least-once delivery: only messages in flight at the kill (sent, not yet marked) may repeat,
    # and a repeat carries the same Message-ID so mail systems drop it.
    repeats = [a for a, n in per_address.items() if n > 1]
    assert len(repeats) <= 8
