"""Restart PostgreSQL while workers run: 503 + Retry-After meanwhile, back off, resume.

On a private, throwaway PostgreSQL cluster (never the machine's shared one), a backend, two
workers and a writer (a client POSTing tasks with Idempotency-Keys) run while the database is
stopped for a few seconds and started again. Meanwhile every API answer that needs the
database is a 503 problem with `Retry-After` (never a 500), `/healthz` stays up and `/readyz`
reports the database unreachable. Afterwards every reminder is delivered and marked SENT once,
and every write the backend acknowledged (a 2xx) is in the database.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from payrec.client import AutomationApiClient
from tests.chaos.conftest import Workers, seed_book, sql
from tests.chaos.private_pg import PrivatePostgres, unavailable_reason
from tests.support.backend import LiveBackend, start_backend, wait_until
from tests.support.smtp_sink import SmtpSink

DOWN_SECONDS = 4.0


@pytest.fixture
def private_pg() -> Iterator[PrivatePostgres]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(f"no private PostgreSQL cluster possible: {reason}")
    cluster = PrivatePostgres().init()
    cluster.start()
    yield cluster
    cluster.destroy()


@pytest.fixture
def backend_on_private(private_pg: PrivatePostgres, tmp_path: Path) -> Iterator[LiveBackend]:
    url = private_pg.create_database(f"payrec_{secrets.token_hex(3)}")
    backend = start_backend(url, tmp_path / "data")
    yield backend
    backend.stop()


class Writer(threading.Thread):
    """POSTs tasks with Idempotency-Keys in a loop; remembers what was acknowledged."""

    def __init__(self, backend: LiveBackend, case_id: str) -> None:
        super().__init__(daemon=True)
        self.client = AutomationApiClient(
            backend.automation_url, backend.automation_key, max_retries=2, retry_delay=0.1
        )
        self.case_id = case_id
        self.acknowledged: dict[str, str] = {}
        self.failures: Counter[str] = Counter()
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.is_set():
            n += 1
            key = f"writer-{n}"
            try:
                task = self.client.create_scheduled_task(
                    {
                        "type": "CALL",
                        "scheduledAt": "2035-01-01T00:00:00Z",
                        "recoveryCaseId": self.case_id,
                        "metadata": {"writer": key},
                    },
                    idempotency_key=key,
                )
            except Exception as exc:  # not acknowledged: may or may not exist, never twice
                self.failures[type(exc).__name__] += 1
                self.stop.wait(0.2)
                continue
            self.acknowledged[key] = str(task["id"])
            self.stop.wait(0.02)
        self.client.close()


def _probe(backend: LiveBackend, seen: Counter[int], retry_after: set[str]) -> None:
    response = backend.auto("GET", "/tasks/scheduled", params={"size": 1}, timeout=10)
    seen[response.status_code] += 1
    if response.status_code == 503:
        retry_after.add(response.headers.get("retry-after", ""))
        assert response.headers["content-type"].startswith("application/problem+json")


def test_postgres_restart_503_meanwhile_workers_resume_nothing_lost(
    private_pg: PrivatePostgres,
    backend_on_private: LiveBackend,
    smtp: SmtpSink,
) -> None:
    backend = backend_on_private
    book = seed_book(backend, 80)
    writer = Writer(backend, next(iter(book.case_ids)))
    pool = Workers(backend, smtp.url)
    try:
        workers = [pool.start(f"pg{i}", concurrency=4) for i in range(2)]
        writer.start()
        wait_until(lambda: len(book.delivered(smtp)) >= 10, timeout=30, message="under way")

        private_pg.stop("fast")
        down_at = time.monotonic()
        seen: Counter[int] = Counter()
        retry_after: set[str] = set()
        while time.monotonic() - down_at < DOWN_SECONDS:  # probing the outage as it lasts
            _probe(backend, seen, retry_after)
            assert httpx.get(backend.base_url + "/healthz", timeout=5).status_code == 200
            time.sleep(0.2)
        ready = httpx.get(
            backend.base_url + "/readyz",
            headers={"Authorization": f"Bearer {backend.automation_key}"},
            timeout=10,
        )
        private_pg.start()
        assert 500 not in seen, seen
        assert seen[503] >= 3, seen
        assert retry_after and all(v.isdigit() and int(v) > 0 for v in retry_after)

        wait_until(lambda: book.all_delivered(smtp), timeout=60, interval=0.05, message="resumed")
        acked_before = len(writer.acknowledged)
        wait_until(
            lambda: len(writer.acknowledged) > acked_before + 5, timeout=20, message="writes again"
        )
        writer.stop.set()
        writer.join(timeout=30)
        pool.stop()
        book.assert_once(backend.db_url, smtp)
        logs = "".join(w.logs() for w in workers)
        assert "(HTTP 503); retry" in logs  # the workers waited as told, then went on
    finally:
        writer.stop.set()
        pool.stop()
    assert ready.status_code == 503 and ready.headers.get("retry-after"), ready.text
    stored = dict(
        sql(
            backend.db_url,
            "SELECT metadata->>'writer', id FROM tasks WHERE metadata ? 'writer'",
        )
    )
    missing = {k for k in writer.acknowledged if k not in stored}
    assert not missing, f"acknowledged writes lost: {sorted(missing)[:5]}"
    assert all(stored[k] == v for k, v in writer.acknowledged.items())
    rows: Any = sql(
        backend.db_url,
        "SELECT metadata->>'writer', count(*) FROM tasks WHERE metadata ? 'writer' "
        "GROUP BY 1 HAVING count(*) > 1",
    )
    assert rows == [], f"a write stored twice: {rows[:3]}"
    print(
        f"outage answers {dict(seen)}, writer {len(writer.acknowledged)} acknowledged, "
        f"unacknowledged attempts {dict(writer.failures)}"
    )
