"""Chaos tests: real processes (backend, workers, SMTP, PostgreSQL) broken on purpose.

Everything runs on loopback and is bounded by deadlines; every test asserts that nothing was
lost (each due reminder delivered / each acknowledged write present) and nothing duplicated
(each reminder marked SENT once: one `reminder.sent` audit event per case).
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.backend import LiveBackend, seed_overdue_book
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import WorkerProcess, start_worker, zone_where_hour_in

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as handle:
        stat = handle.read()
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLOCK_TICKS


def sql(db_url: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    """Run one query on the test database (psycopg, autocommit) and return its rows."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True, connect_timeout=5) as conn:
        cursor = conn.execute(query, params)  # type: ignore[arg-type]
        return list(cursor.fetchall()) if cursor.description else []


def sent_events(db_url: str, case_ids: set[str]) -> Counter[str]:
    """`reminder.sent` audit events per case (exactly one per case means sent once)."""
    rows = sql(
        db_url,
        "SELECT recovery_case_id, count(*) FROM audit_events WHERE action = 'reminder.sent' "
        "AND recovery_case_id = ANY(%s) GROUP BY recovery_case_id",
        list(case_ids),
    )
    return Counter({str(case): int(n) for case, n in rows})


def task_states(db_url: str, case_ids: set[str]) -> Counter[str]:
    rows = sql(
        db_url,
        "SELECT status, count(*) FROM tasks WHERE recovery_case_id = ANY(%s) GROUP BY status",
        list(case_ids),
    )
    return Counter({str(status): int(n) for status, n in rows})


@dataclass
class Book:
    """Seeded overdue cases (one due reminder each) and what to expect of them."""

    cases: list[dict[str, Any]]
    case_ids: set[str] = field(init=False)
    emails: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.case_ids = {c["id"] for c in self.cases}
        self.emails = {c["customer"]["email"] for c in self.cases}

    def delivered(self, smtp: SmtpSink) -> set[str]:
        return {a for m in smtp.messages for a in m.to if a in self.emails}

    def all_delivered(self, smtp: SmtpSink) -> bool:
        return len(self.delivered(smtp)) == len(self.emails)

    def per_address(self, smtp: SmtpSink) -> Counter[str]:
        return Counter(a for m in smtp.messages for a in m.to if a in self.emails)

    def assert_once(self, db_url: str, smtp: SmtpSink) -> None:
        """Every reminder delivered; each marked SENT exactly once; repeats share a Message-ID."""
        assert self.delivered(smtp) == self.emails, "some reminders were never delivered"
        sent = sent_events(db_url, self.case_ids)
        assert set(sent) == self.case_ids, f"{len(self.case_ids) - len(sent)} never marked sent"
        assert set(sent.values()) == {1}, f"marked SENT twice: {sent.most_common(3)}"
        ids_per_address: dict[str, set[str]] = {}
        for message in self.delivered_messages(smtp):
            for address in message.to:
                ids_per_address.setdefault(address, set()).add(message.message_id)
        # at-least-once delivery: a repeat (in flight at a crash) carries the same Message-ID
        assert all(len(ids) == 1 for ids in ids_per_address.values())

    def delivered_messages(self, smtp: SmtpSink) -> list[Any]:
        return [m for m in smtp.messages if set(m.to) & self.emails]


def seed_book(backend: LiveBackend, count: int) -> Book:
    """`count` customers inside their send window now, each with one overdue case (step +1)."""
    return Book(
        seed_overdue_book(
            backend.db_url,
            count,
            timezone=zone_where_hour_in(9, 19),
            days_overdue=2,
            tag=secrets.token_hex(3),
        )
    )


@dataclass
class Workers:
    backend: LiveBackend
    smtp_url: str | None
    started: list[WorkerProcess] = field(default_factory=list)

    def start(self, name: str, **kw: Any) -> WorkerProcess:
        kw.setdefault("services", "scheduler,reminders")
        worker = start_worker(self.backend, smtp_url=self.smtp_url, name=name, **kw)
        self.started.append(worker)
        return worker

    def stop(self) -> None:
        for worker in self.started:
            worker.terminate(timeout=15)


@pytest.fixture
def workers_for() -> Iterator[Callable[[LiveBackend, str | None], Workers]]:
    """`workers_for(backend, smtp_url)`: a worker pool stopped at the end of the test."""
    pools: list[Workers] = []

    def factory(backend: LiveBackend, smtp_url: str | None) -> Workers:
        pool = Workers(backend, smtp_url)
        pools.append(pool)
        return pool

    yield factory
    for pool in pools:
        pool.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()
