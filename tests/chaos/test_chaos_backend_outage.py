"""Stop the backend while workers run: the breaker opens, workers idle, then resume.

The `payrec serve` process is stopped (SIGKILL: no goodbye; SIGTERM: a graceful stop) while two
workers are delivering a book of reminders. Meanwhile the workers must open their client
circuit breaker and back off without burning CPU (measured from /proc/<pid>/stat over the
outage); more cases fall due while the backend is away. A new backend on the same port and
database must then get every reminder, old and new, delivered and marked SENT exactly once.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable

import pytest

from tests.chaos.conftest import Workers, cpu_seconds, seed_book
from tests.support.backend import LiveBackend, wait_until
from tests.support.smtp_sink import SmtpSink

OUTAGE_SECONDS = 6.0
# Two idle workers (scheduler + reminders loops, lease keeper, breaker open) over the outage:
# a spinning loop would burn ~OUTAGE_SECONDS of CPU; a polite one a few hundredths.
CPU_BUDGET_SECONDS = 0.5


def _restart_on_same_port(old: LiveBackend) -> LiveBackend:
    again = LiveBackend(db_url=old.db_url, data_dir=old.data_dir, env=dict(old.env), port=old.port)
    again.admin_key, again.automation_key = old.admin_key, old.automation_key
    again.agent_key = old.agent_key
    return again.start()


@pytest.mark.parametrize(
    "how",
    [signal.SIGKILL, pytest.param(signal.SIGTERM, marks=pytest.mark.slow)],
    ids=["sigkill", "sigterm"],
)
def test_backend_outage_opens_breaker_idles_and_resumes(
    backend_factory: Callable[..., LiveBackend],
    smtp: SmtpSink,
    workers_for: Callable[..., Workers],
    how: signal.Signals,
) -> None:
    started = time.monotonic()
    backend = backend_factory("postgres")
    book = seed_book(backend, 60)
    pool = workers_for(backend, smtp.url)
    workers = [pool.start(f"out{i}", concurrency=4) for i in range(2)]
    wait_until(lambda: len(book.delivered(smtp)) >= 15, timeout=30, message="work under way")

    assert backend.process is not None
    backend.process.send_signal(how)
    backend.process.wait(timeout=15)
    backend.process = None
    stopped = time.monotonic()

    # The workers notice, open their breakers and back off.
    wait_until(
        lambda: all("CircuitOpenError" in w.logs() for w in workers),
        timeout=20,
        message="circuit breaker open in every worker",
    )
    late = seed_book(backend, 30)  # falls due while the backend is away (straight into the DB)
    before = [cpu_seconds(w.process.pid) for w in workers]
    window_end = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < window_end:  # measuring the idle cost, not waiting for an event
        assert all(w.process.poll() is None for w in workers), "a worker died in the outage"
        time.sleep(0.25)
    burnt = [cpu_seconds(w.process.pid) - b for w, b in zip(workers, before, strict=True)]
    assert max(burnt) <= CPU_BUDGET_SECONDS, f"workers burnt {burnt} s of CPU while idle"

    delivered_before = len(book.delivered(smtp)) + len(late.delivered(smtp))
    again = _restart_on_same_port(backend)
    back = time.monotonic()
    try:
        wait_until(
            lambda: len(book.delivered(smtp)) + len(late.delivered(smtp)) > delivered_before,
            timeout=45,
            interval=0.05,
            message="workers resume after the backend returns",
        )
        resumed_after = time.monotonic() - back
        wait_until(
            lambda: book.all_delivered(smtp) and late.all_delivered(smtp),
            timeout=60,
            interval=0.05,
            message="every reminder delivered after the outage",
        )
        all_in = time.monotonic() - back
        pool.stop()
        book.assert_once(again.db_url, smtp)
        late.assert_once(again.db_url, smtp)
    finally:
        again.stop()
    print(
        f"outage {back - stopped:.1f}s, CPU while idle {burnt}, "
        f"resumed {resumed_after:.1f}s after the backend returned, all in after {all_in:.1f}s, "
        f"test {time.monotonic() - started:.1f}s"
    )
