"""SMTP server down, slow, and refusing: retries with backoff, permanent failures recorded.

* down (nothing listening): each attempt is a transient failure; the task goes back to
  PENDING with a growing delay between attempts; once a server listens the reminder is
  delivered once. Down for good: after `maxAttempts` the task and the reminder are FAILED with
  the reason, visible on the case.
* slow (every reply delayed past the lease length): heartbeats keep the leases, so no other
  worker takes the task over and nothing is sent twice.
* 4xx then 250: delivered once after the retries; 5xx: the reminder FAILED with the SMTP
  reply, visible on the case's timeline, and nothing retried.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.chaos.conftest import Book, Workers, seed_book, sent_events, sql
from tests.support.backend import LiveBackend, wait_until
from tests.support.smtp_sink import SinkHandler, SmtpSink

RETRY_BASE = "0.5"  # worker backoff: 0.25-0.5 s, 0.5-1 s, 1-2 s, 2-4 s ... (x2 per attempt)


@pytest.fixture(scope="module")
def pg(backend_factory: Callable[..., LiveBackend]) -> LiveBackend:
    return backend_factory("postgres")


def _tasks(db_url: str, book: Book) -> list[dict[str, Any]]:
    rows = sql(
        db_url,
        "SELECT t.id, t.status, t.attempts, t.last_error, r.status, r.error, c.email "
        "FROM tasks t JOIN recovery_cases rc ON rc.id = t.recovery_case_id "
        "JOIN customers c ON c.id = rc.customer_id "
        "LEFT JOIN reminders r ON r.task_id = t.id WHERE t.recovery_case_id = ANY(%s) "
        "AND NOT (t.status = 'CANCELLED' AND r.id IS NULL)",  # steps decided against
        list(book.case_ids),
    )
    keys = ("id", "status", "attempts", "lastError", "reminderStatus", "reminderError", "email")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def _claim_times(db_url: str, task_id: str) -> list[datetime]:
    """When the task was claimed, in order (from the `tasks.claimed` audit events)."""
    rows = sql(
        db_url,
        "SELECT at, after FROM audit_events WHERE action = 'tasks.claimed' ORDER BY at",
    )
    times = []
    for at, after in rows:
        data = after if isinstance(after, dict) else json.loads(after)
        if task_id in data.get("taskIds", []):
            times.append(at)
    return times


def _gaps(times: list[datetime]) -> list[float]:
    return [(b - a).total_seconds() for a, b in itertools.pairwise(times)]


def _case_view(backend: LiveBackend, case_id: str) -> str:
    response = backend.admin("GET", f"/recovery-cases/{case_id}")
    assert response.status_code == 200, response.text
    return response.text


@pytest.fixture
def pool(pg: LiveBackend, workers_for: Callable[..., Workers]) -> Iterator[Callable[..., Workers]]:
    yield lambda smtp_url: workers_for(pg, smtp_url)


def test_smtp_down_then_up_retries_with_backoff_and_delivers_once(
    pg: LiveBackend, pool: Callable[..., Workers]
) -> None:
    sink = SmtpSink()  # a free port with nothing listening yet
    book = seed_book(pg, 3)
    workers = pool(sink.url)
    workers.start("down", concurrency=2, extra_env={"PAYREC_RETRY_BASE_SECONDS": RETRY_BASE})
    wait_until(
        lambda: [t["attempts"] >= 4 for t in _tasks(pg.db_url, book)] == [True] * 3,
        timeout=30,
        message="four refused attempts per task",
    )
    for task in _tasks(pg.db_url, book):
        assert task["status"] in ("PENDING", "IN_PROGRESS")
        assert "connection refused" in (task["lastError"] or ""), task
        assert task["reminderStatus"] == "SCHEDULED"  # recorded once, not sent, not failed
        gaps = _gaps(_claim_times(pg.db_url, task["id"]))
        # two doublings apart the jittered ranges no longer overlap: 0.25-0.5 s vs 1-2 s
        assert gaps[2] > gaps[0], f"no backoff between attempts: {gaps}"
    sink.start()
    try:
        wait_until(lambda: book.all_delivered(sink), timeout=20, message="delivered once up")
        workers.stop()
        book.assert_once(pg.db_url, sink)
        assert set(book.per_address(sink).values()) == {1}
    finally:
        sink.stop()


def test_smtp_down_for_good_fails_the_reminder_visibly(
    pg: LiveBackend, pool: Callable[..., Workers]
) -> None:
    sink = SmtpSink()  # never started
    book = seed_book(pg, 2)
    workers = pool(sink.url)
    workers.start("dead", concurrency=2, extra_env={"PAYREC_RETRY_BASE_SECONDS": RETRY_BASE})
    wait_until(
        lambda: [t["status"] for t in _tasks(pg.db_url, book)] == ["FAILED"] * 2,
        timeout=30,
        message="tasks give up after maxAttempts",
    )
    wait_until(
        lambda: all(t["reminderStatus"] == "FAILED" for t in _tasks(pg.db_url, book)),
        timeout=10,
        message="reminders marked FAILED",
    )
    for task in _tasks(pg.db_url, book):
        assert task["attempts"] == 4, task  # the fifth attempt failed the task, not released it
        assert "gave up after 5 attempts" in (task["reminderError"] or ""), task
        assert "connection refused" in (task["reminderError"] or ""), task
        gaps = _gaps(_claim_times(pg.db_url, task["id"]))
        # two doublings apart the jittered ranges no longer overlap (0.25-0.5 s vs 1-2 s,
        # 0.5-1 s vs 2-4 s); neighbours do, once a loaded machine adds its latency to both
        assert len(gaps) == 4 and gaps[2] > gaps[0] and gaps[3] > gaps[1], gaps
    for case_id in book.case_ids:
        assert "connection refused" in _case_view(pg, case_id)
    assert not sent_events(pg.db_url, book.case_ids)


class SlowHandler(SinkHandler):
    delay: float = 6.0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


def _heartbeat_requests(backend: LiveBackend) -> dict[str, float]:
    """Heartbeat requests answered so far, by route (`/metrics`)."""
    headers = {"Authorization": f"Bearer {backend.admin_key}"}
    text = backend.http.get(backend.base_url + "/metrics", headers=headers).text
    counts = {"round": 0.0, "single": 0.0}
    pattern = (
        r'payrec_http_requests_total\{method="POST",'
        r'route="/api/v1/automation/tasks(/\{task_id\})?/heartbeat",status="\d+"\} ([0-9.]+)'
    )
    for single, value in re.findall(pattern, text):
        counts["single" if single else "round"] += float(value)
    return counts


def test_slow_smtp_keeps_leases_alive_and_sends_once(
    pg: LiveBackend, pool: Callable[..., Workers]
) -> None:
    sink = SmtpSink()
    sink.handler = SlowHandler()
    sink.controller = Controller(sink.handler, hostname="127.0.0.1", port=sink.port)
    sink.start()
    try:
        book = seed_book(pg, 8)
        before = _heartbeat_requests(pg)
        started = time.monotonic()
        workers = pool(sink.url)
        # lease 5 s (the shortest allowed) < 6 s per reply: only the heartbeats keep them. A
        # worker claims twice its concurrency, so tasks also wait in its queue, leases held.
        for name in ("slow-a", "slow-b"):
            workers.start(name, concurrency=2, extra_env={"PAYREC_LEASE_SECONDS": "5"})
        wait_until(lambda: book.all_delivered(sink), timeout=45, message="slow deliveries")
        wait_until(
            lambda: sent_events(pg.db_url, book.case_ids).total() == 8,
            timeout=10,
            message="all marked sent",
        )
        elapsed = time.monotonic() - started
        logs = "".join(w.logs() for w in workers.started)
        workers.stop()
        book.assert_once(pg.db_url, sink)
        assert set(book.per_address(sink).values()) == {1}
        assert "was lost" not in logs
        expired = sql(
            pg.db_url,
            "SELECT count(*) FROM audit_events a JOIN tasks t ON t.id = a.entity_id "
            "WHERE a.action = 'task.lease_expired' AND t.recovery_case_id = ANY(%s)",
            list(book.case_ids),
        )
        assert expired[0][0] == 0
        # One request per worker per round (every 5/3 s), however many leases it holds, plus
        # at most one per send (a task that waited confirms its lease right before sending).
        beats = _heartbeat_requests(pg)
        assert beats["single"] == before["single"]
        rounds = beats["round"] - before["round"]
        assert 2 <= rounds <= 2 * (elapsed / (5 / 3) + 2) + 8, (rounds, elapsed)
    finally:
        sink.stop()


def test_smtp_4xx_retries_and_5xx_fails_with_the_reason(
    pg: LiveBackend, smtp: SmtpSink, pool: Callable[..., Workers]
) -> None:
    book = seed_book(pg, 4)
    addresses = sorted(book.emails)
    temp, full, refused, blocked = addresses
    smtp.script(temp, "451 4.3.0 try again later", "451 4.3.0 try again later")
    smtp.script(full, "452 4.2.2 mailbox full")
    smtp.script(refused, "550 5.1.1 no such user")
    smtp.script(blocked, "554 5.7.1 message rejected")
    workers = pool(smtp.url)
    workers.start("codes", concurrency=2, extra_env={"PAYREC_RETRY_BASE_SECONDS": RETRY_BASE})
    wait_until(
        lambda: (
            {t["email"]: t["status"] for t in _tasks(pg.db_url, book)}
            == {temp: "COMPLETED", full: "COMPLETED", refused: "FAILED", blocked: "FAILED"}
        ),
        timeout=30,
        message="4xx delivered after retries, 5xx failed",
    )
    workers.stop()
    by_email = {t["email"]: t for t in _tasks(pg.db_url, book)}
    assert len(smtp.to(temp)) == len(smtp.to(full)) == 1
    assert smtp.handler.refusals[temp] == 2 and smtp.handler.refusals[full] == 1
    assert by_email[temp]["attempts"] == 2 and by_email[full]["attempts"] == 1
    assert by_email[temp]["reminderStatus"] == by_email[full]["reminderStatus"] == "SENT"
    for address, code in ((refused, "550"), (blocked, "554")):
        task = by_email[address]
        assert smtp.to(address) == [] and smtp.handler.refusals[address] == 1  # never retried
        assert task["reminderStatus"] == "FAILED" and code in task["reminderError"], task
        assert task["attempts"] == 0
        case_id = next(c["id"] for c in book.cases if c["customer"]["email"] == address)
        assert code in _case_view(pg, case_id)
    sent = sent_events(pg.db_url, book.case_ids)
    assert sorted(sent.values()) == [1, 1]


def test_slow_smtp_never_sends_a_notification_twice(
    pg: LiveBackend, pool: Callable[..., Workers]
) -> None:
    """Notification leases are not renewed: a dispatcher must not start a send it may not
    finish within its lease, or another worker takes the notification and sends it again."""
    sink = SmtpSink()
    sink.handler = SlowHandler()
    sink.handler.delay = 2.0  # five-second leases: two sends fit, a third would not
    sink.controller = Controller(sink.handler, hostname="127.0.0.1", port=sink.port)
    sink.start()
    try:
        marker = secrets.token_hex(4)
        ids = []
        for n in range(6):
            made = pg.auto(
                "POST",
                "/notifications",
                json={
                    "type": "EMAIL",
                    "recipient": f"team-{marker}-{n}@example.com",
                    "subject": "Call the customer",
                    "body": "Step 5 of the ladder: a call.",
                },
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
        workers = pool(sink.url)
        for name in ("ntf-a", "ntf-b"):
            workers.start(name, services="notifications", extra_env={"PAYREC_LEASE_SECONDS": "5"})

        def statuses() -> list[str]:
            return [pg.auto("GET", f"/notifications/{i}").json()["status"] for i in ids]

        wait_until(lambda: statuses() == ["SENT"] * 6, timeout=60, message="all sent")
        workers.stop()
        received = Counter(
            address for message in sink.messages for address in message.to if marker in address
        )
        assert received == {f"team-{marker}-{n}@example.com": 1 for n in range(6)}
    finally:
        sink.stop()
