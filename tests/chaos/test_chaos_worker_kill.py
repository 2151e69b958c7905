"""SIGKILL workers mid-batch, again and again: nothing lost, nothing marked SENT twice.

Two worker processes share one PostgreSQL backend. Each time another slice of the book has
been delivered, the worker holding leased work is SIGKILLed (mid-batch: it has tasks
IN_PROGRESS) and a fresh one started in its place. Its leases must come back within lease +
sweep time (the backend's sweeper, or the next claim, returns expired leases to PENDING), and
the book must end with every reminder delivered and marked SENT exactly once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import pytest

from tests.chaos.conftest import Book, Workers, seed_book, sql, task_states
from tests.support.backend import LiveBackend, wait_until
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import WorkerProcess

LEASE_SECONDS = 6
SWEEP_SECONDS = 5.0  # PAYREC_SWEEP_SECONDS, the default


@pytest.fixture(scope="module")
def pg(backend_factory: Callable[..., LiveBackend]) -> LiveBackend:
    return backend_factory("postgres")


@dataclass
class Kill:
    worker: str
    at: datetime
    in_flight: list[str]


def _in_flight(db_url: str, worker: str) -> list[str]:
    rows = sql(
        db_url,
        "SELECT id FROM tasks WHERE status = 'IN_PROGRESS' AND locked_by = %s",
        worker,
    )
    return [str(r[0]) for r in rows]


def _sent_so_far(db_url: str, book: Book) -> int:
    rows = sql(
        db_url,
        "SELECT count(*) FROM audit_events WHERE action = 'reminder.sent' "
        "AND recovery_case_id = ANY(%s)",
        list(book.case_ids),
    )
    return int(rows[0][0])


def _kill_mid_batch(
    backend: LiveBackend, pool: Workers, slots: list[tuple[str, WorkerProcess]], serial: int
) -> Kill | None:
    """SIGKILL the slot holding the most leased tasks, restart it; None if none holds any."""
    loads = [(len(_in_flight(backend.db_url, name)), i) for i, (name, _) in enumerate(slots)]
    held, index = max(loads)
    if held == 0:
        return None
    name, process = slots[index]
    process.kill()  # SIGKILL: no cleanup, leases left behind
    at = datetime.now().astimezone()
    in_flight = _in_flight(backend.db_url, name)
    new_name = f"{name.split('#')[0]}#{serial}"
    slots[index] = (new_name, pool.start(new_name, concurrency=4))
    return Kill(name, at, in_flight)


def run_kill_chaos(
    backend: LiveBackend, smtp: SmtpSink, pool: Workers, *, count: int, kills: int, timeout: float
) -> tuple[Book, list[Kill]]:
    book = seed_book(backend, count)
    slots = [(f"k{i}#0", pool.start(f"k{i}#0", concurrency=4)) for i in range(2)]
    done: list[Kill] = []
    step = max(1, count // (kills + 2))
    deadline = time.monotonic() + timeout
    while len(done) < kills and time.monotonic() < deadline:
        target = step * (len(done) + 1)
        wait_until(
            lambda target=target: (
                _sent_so_far(backend.db_url, book) >= target or book.all_delivered(smtp)
            ),
            timeout=max(1.0, deadline - time.monotonic()),
            interval=0.05,
            message=f"{target} reminders sent",
        )
        if book.all_delivered(smtp):
            break
        kill = _kill_mid_batch(backend, pool, slots, len(done) + 1)
        if kill is not None:
            done.append(kill)
    wait_until(
        lambda: (
            book.all_delivered(smtp) and _sent_so_far(backend.db_url, book) >= len(book.case_ids)
        ),
        timeout=max(1.0, deadline - time.monotonic()),
        interval=0.1,
        message="every reminder delivered and marked sent after the kills",
    )
    wait_until(
        lambda: task_states(backend.db_url, book.case_ids).get("COMPLETED") == count,
        timeout=LEASE_SECONDS + SWEEP_SECONDS + 10,
        message="every task completed",
    )
    return book, done


def _assert_recovery(backend: LiveBackend, kills: list[Kill]) -> float:
    """Each killed worker's leases came back within lease + sweep time; returns the worst."""
    worst = 0.0
    for kill in kills:
        for task_id in kill.in_flight:
            rows = sql(
                backend.db_url,
                "SELECT min(at) FROM audit_events WHERE entity_id = %s "
                "AND action = 'task.lease_expired' AND at >= %s",
                task_id,
                kill.at,
            )
            returned = rows[0][0]
            if returned is None:  # finished by the victim itself just before the kill landed
                continue
            worst = max(worst, (returned - kill.at).total_seconds())
    assert worst <= LEASE_SECONDS + SWEEP_SECONDS + 1.0, f"lease came back after {worst:.1f}s"
    return worst


@pytest.fixture
def pool(pg: LiveBackend, smtp: SmtpSink, workers_for: Callable[..., Workers]) -> Iterator[Workers]:
    yield workers_for(pg, smtp.url)


def test_repeated_sigkill_mid_batch_loses_and_duplicates_nothing(
    pg: LiveBackend, smtp: SmtpSink, pool: Workers
) -> None:
    book, kills = run_kill_chaos(pg, smtp, pool, count=150, kills=5, timeout=90)
    assert len(kills) >= 5, f"only {len(kills)} kills landed mid-batch"
    # how many leases each kill strands depends on timing; at least some must be recovered
    assert sum(len(k.in_flight) for k in kills) >= 1
    book.assert_once(pg.db_url, smtp)
    _assert_recovery(pg, kills)


@pytest.mark.slow
def test_twenty_sigkills_over_a_thousand_reminders(
    pg: LiveBackend, smtp: SmtpSink, pool: Workers
) -> None:
    book, kills = run_kill_chaos(pg, smtp, pool, count=1000, kills=20, timeout=240)
    assert len(kills) >= 20, f"only {len(kills)} kills landed mid-batch"
    book.assert_once(pg.db_url, smtp)
    worst = _assert_recovery(pg, kills)
    print(
        f"{len(kills)} kills, {sum(len(k.in_flight) for k in kills)} leases recovered, "
        f"worst recovery {worst:.1f}s"
    )
