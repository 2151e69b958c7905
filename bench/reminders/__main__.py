"""Reminder pipeline benchmark: payrec end to end beside a bare smtplib loop and the guide's
sample ReminderService, plus claiming throughput.

    python -m bench.reminders [--quick] [--count N] [--workers 1,2] [--json FILE]

On a fresh PostgreSQL database (127.0.0.1:5432, or PAYREC_BENCH_PG_URL): `payrec serve`, a real
aiosmtpd SMTP sink, N overdue cases bulk-inserted (5,000; 500 with --quick), their reminder
tasks planned by one scheduler pass, then

* payrec: 1 and 2 `payrec worker --services reminders` processes deliver them; reminders/s
  from the workers' start to the last message accepted by the sink;
* bare: one smtplib connection sends the same messages (same payrec MIME builder) to the same
  sink in a plain loop: the ceiling of the SMTP side; ratio = payrec / bare (aim >= 0.5);
* sample: the guide's sample ReminderService (`process_pending_reminders()` in a loop, one
  smtplib connection added for the actual send, which the guide leaves out) on the same kind
  of data, timed on a slice (it re-reads the pending case list per reminder);
* claims: `POST /tasks/claim` (limit 10) from 1, 2 and 4 client threads over due tasks:
  tasks claimed per second, and no task handed out twice.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import smtplib
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.backend import (  # noqa: E402
    LiveBackend,
    create_pg_database,
    drop_pg_database,
    free_port,
    seed_overdue_book,
)
from tests.support.smtp_sink import SmtpSink  # noqa: E402
from tests.support.workers import start_worker, zone_where_hour_in  # noqa: E402


@dataclass
class BenchBackend(LiveBackend):
    """`payrec serve --workers N` (N uvicorn processes sharing the port) on the bench database."""

    processes: int = 1

    def start(self) -> LiveBackend:
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "PAYREC_DATABASE_URL": self.db_url,
            "PAYREC_DATA_DIR": str(self.data_dir),
            "PAYREC_PORT": str(self.port),
            "PAYREC_RATE_LIMIT": "100000/second",
            "LOG_LEVEL": "WARNING",
        }
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / f"backend-{self.port}.log"
        command = [sys.executable, "-m", "payrec", "serve", "--no-migrate"]
        if self.processes > 1:
            command += ["--workers", str(self.processes)]
        self.process = subprocess.Popen(
            command, env=env, stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT
        )
        wait_for(self._healthy, 60, "backend")
        return self


def start_bench_backend(url: str, data_dir: Path, processes: int) -> BenchBackend:
    backend = BenchBackend(db_url=url, data_dir=data_dir, processes=processes)
    backend.provision()
    backend.start()
    return backend


def progress(message: str) -> None:
    print(f"  [reminders {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


def seed(backend: LiveBackend, count: int) -> list[dict[str, Any]]:
    return seed_overdue_book(
        backend.db_url,
        count,
        timezone=zone_where_hour_in(9, 19),
        days_overdue=2,
        tag=secrets.token_hex(3),
    )


def due_reminder_tasks(backend: LiveBackend) -> int:
    import psycopg

    with psycopg.connect(backend.db_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM tasks WHERE type = 'REMINDER' AND status = 'PENDING' "
            "AND scheduled_at <= now()"
        ).fetchone()
    return int(row[0]) if row else 0


def plan(backend: LiveBackend, expected: int) -> float:
    """One scheduler-only worker plans the reminder tasks; returns its planning seconds."""
    started = time.monotonic()
    worker = start_worker(
        backend, smtp_url=None, services="scheduler", name="planner", scheduler_interval="3600"
    )
    try:
        wait_for(lambda: due_reminder_tasks(backend) >= expected, 900, "planned tasks")
    finally:
        worker.terminate()
    return time.monotonic() - started


def run_payrec(backend: LiveBackend, smtp: SmtpSink, count: int, workers: int) -> dict[str, Any]:
    cases = seed(backend, count)
    emails = {c["customer"]["email"] for c in cases}
    planning = plan(backend, count)
    progress(f"{workers} worker(s): {count} tasks planned in {planning:.1f}s; delivering")
    before = len(smtp.messages)
    started = time.monotonic()
    procs = [
        start_worker(
            backend,
            smtp_url=smtp.url,
            services="reminders",
            name=f"bench{workers}-{i}",
            concurrency=8,
            extra_env={"LOG_LEVEL": "WARNING"},
        )
        for i in range(workers)
    ]
    try:
        wait_for(lambda: len(smtp.messages) - before >= count, 1800, "deliveries")
        seconds = time.monotonic() - started
    finally:
        for proc in procs:
            proc.terminate()
    got = Counter(a for m in smtp.messages[before:] for a in m.to if a in emails)
    return {
        "workers": workers,
        "reminders": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
        "duplicates": sum(n - 1 for n in got.values()),
        "missing": len(emails - set(got)),
        "planning_seconds": round(planning, 2),
    }


def run_bare(smtp: SmtpSink, count: int) -> dict[str, Any]:
    """The same MIME messages, built and sent in a plain loop over one smtplib connection."""
    from payrec.channels import OutgoingEmail
    from payrec.channels._mime import build_message

    before = len(smtp.messages)
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=30) as conn:
        for i in range(count):
            built = build_message(
                OutgoingEmail(
                    to=f"bare-{i}@example.com",
                    subject="Payment reminder: invoice B-1 is overdue",
                    text="Dear customer,\n\n100.00 USD is overdue since ...\n" * 6,
                    html="<p>Dear customer,</p><p>100.00 USD is overdue.</p>" * 6,
                    message_id_seed=f"rem-bare-{i}",
                    list_unsubscribe="mailto:collections@localhost?subject=unsubscribe",
                ),
                sender="payments@localhost",
            )
            conn.sendmail("payments@localhost", [f"bare-{i}@example.com"], built.message.as_bytes())
    seconds = time.monotonic() - started
    assert len(smtp.messages) - before == count
    return {
        "reminders": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
    }


def run_sample(backend: LiveBackend, smtp: SmtpSink, count: int) -> dict[str, Any]:
    """The guide's ReminderService loop, with an actual send added where the guide elides it."""
    from payrec.client import AutomationApiClient
    from payrec.client.sample_reminder_service import ReminderService

    class SendingReminderService(ReminderService):
        def __init__(self, client: AutomationApiClient, conn: smtplib.SMTP) -> None:
            super().__init__(client)
            self.conn = conn

        def _send_reminder(self, task: dict[str, Any]) -> None:
            super()._send_reminder(task)
            to = f"sample-{task['id']}@example.com"
            body = f"Subject: Payment Reminder\r\nTo: {to}\r\n\r\nPlease pay.\r\n"
            self.conn.sendmail("payments@localhost", [to], body.encode())

    seed(backend, count)
    plan(backend, count)
    client = AutomationApiClient(backend.automation_url, backend.automation_key)
    before = len(smtp.messages)
    started = time.monotonic()
    with smtplib.SMTP("127.0.0.1", smtp.port, timeout=30) as conn:
        service = SendingReminderService(client, conn)
        while len(smtp.messages) - before < count:
            service.process_pending_reminders()
    seconds = time.monotonic() - started
    client.close()
    return {
        "reminders": count,
        "seconds": round(seconds, 2),
        "per_second": round(count / seconds, 1),
    }


def insert_claimable(backend: LiveBackend, count: int, kind: str) -> None:
    import psycopg

    with psycopg.connect(backend.db_url) as conn:
        conn.execute(
            "INSERT INTO tasks (id, type, status, scheduled_at, metadata, attempts, max_attempts,"
            " created_at, updated_at) SELECT 'task-' || md5(random()::text || g), %s, 'PENDING',"
            " now() - interval '1 minute', '{}'::jsonb, 0, 5, now(), now()"
            " FROM generate_series(1, %s) g",
            (kind, count),
        )


def run_claims(backend: LiveBackend, threads: int, count: int) -> dict[str, Any]:
    kind = f"BENCH{threads}"
    insert_claimable(backend, count, kind)
    claimed: list[str] = []
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {backend.automation_key}"}
    url = backend.automation_url + "/tasks/claim"

    def loop(n: int) -> None:
        with httpx.Client(timeout=30, headers=headers) as http:
            while True:
                body = {"workerId": f"c{n}", "types": [kind], "limit": 10, "leaseSeconds": 600}
                response = http.post(url, json=body)
                response.raise_for_status()
                data = response.json()
                ids = [t["id"] for t in (data["tasks"] if isinstance(data, dict) else data)]
                if not ids:
                    return
                with lock:
                    claimed.extend(ids)

    started = time.monotonic()
    pool = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    seconds = time.monotonic() - started
    twice = sum(n - 1 for n in Counter(claimed).values())
    return {
        "threads": threads,
        "tasks": len(claimed),
        "seconds": round(seconds, 2),
        "per_second": round(len(claimed) / seconds, 1),
        "claimed_twice": twice,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="500 reminders, smaller slices")
    parser.add_argument("--count", type=int, default=None, help="due reminders per run")
    parser.add_argument("--workers", default="1,2", help="worker process counts to measure")
    parser.add_argument("--sample-count", type=int, default=None)
    parser.add_argument("--claims", type=int, default=None, help="tasks per claim run")
    parser.add_argument(
        "--backend-processes", type=int, default=1, help="`payrec serve --workers N`"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    count = args.count or (500 if args.quick else 5000)
    sample_count = args.sample_count or (100 if args.quick else 300)
    claim_count = args.claims or (1000 if args.quick else 4000)
    report: dict[str, Any] = {
        "reminders": count,
        "cpus": os.cpu_count(),
        "backend_processes": args.backend_processes,
        "load_average": os.getloadavg()[0],
    }
    url = create_pg_database("payrec_bench")
    tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"payrec-bench-{secrets.token_hex(3)}"
    smtp = SmtpSink().start()
    backend: LiveBackend | None = None
    try:
        progress(f"backend on PostgreSQL, SMTP sink on {smtp.port}")
        backend = start_bench_backend(url, tmp, args.backend_processes)
        report["bare"] = run_bare(smtp, count)
        progress(f"bare smtplib: {report['bare']['per_second']}/s")
        report["payrec"] = []
        for n in [int(x) for x in args.workers.split(",") if x.strip()]:
            result = run_payrec(backend, smtp, count, n)
            result["ratio_to_bare"] = round(result["per_second"] / report["bare"]["per_second"], 3)
            report["payrec"].append(result)
            progress(f"payrec, {n} worker(s): {result['per_second']}/s")
        report["sample"] = run_sample(backend, smtp, sample_count)
        best = max(r["per_second"] for r in report["payrec"])
        report["sample"]["payrec_speedup"] = round(best / report["sample"]["per_second"], 1)
        progress(f"guide's sample service: {report['sample']['per_second']}/s")
        report["claims"] = [run_claims(backend, n, claim_count) for n in (1, 2, 4)]
        progress("claims: " + ", ".join(f"{c['per_second']}/s" for c in report["claims"]))
    finally:
        if backend is not None:
            backend.stop()
        smtp.stop()
        with suppress(Exception):
            drop_pg_database(url)
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


def print_table(report: dict[str, Any]) -> None:
    bare = report["bare"]["per_second"]
    print(f"\nReminder pipeline, {report['reminders']} due reminders, PostgreSQL, real SMTP sink\n")
    print("| run | reminders/s | vs bare smtplib |")
    print("|---|---:|---:|")
    print(f"| bare smtplib loop | {bare} | 1.00 |")
    for r in report["payrec"]:
        print(
            f"| payrec, {r['workers']} worker(s) | {r['per_second']} | {r['ratio_to_bare']:.2f} |"
        )
    s = report["sample"]
    print(
        f"| guide's sample ReminderService ({s['reminders']}) | {s['per_second']} | "
        f"{s['per_second'] / bare:.2f} (payrec {s['payrec_speedup']}x faster) |"
    )
    print("\n| claim threads | tasks/s | claimed twice |")
    print("|---:|---:|---:|")
    for c in report["claims"]:
        print(f"| {c['threads']} | {c['per_second']} | {c['claimed_twice']} |")


if __name__ == "__main__":
    raise SystemExit(main())
