"""Where the reminder pipeline's backend time goes, per route.

    python -m bench.reminders.routes [--count 300] [--concurrency 8] [--py-spy FILE]

Starts `payrec serve` on a fresh PostgreSQL database and a real SMTP sink, plans `--count`
overdue reminders, runs one `payrec worker --services reminders`, and prints reminders/s, the
backend's CPU per reminder (from /proc) and, per route, how many calls and how much time the
backend's own /metrics recorded. For an A/B against another commit, check it out in a worktree
and put its sources first: `PYTHONPATH=/tmp/old/src python -m bench.reminders.routes`.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from tests.support.backend import LiveBackend, create_pg_database, drop_pg_database
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import start_worker

from bench.reminders.__main__ import plan, seed, start_bench_backend, wait_for

_SERIES = re.compile(
    r'payrec_http_request_duration_seconds_(sum|count)\{method="(\w+)",route="([^"]+)"\} (\S+)'
)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process now running (its server is this machine's)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(proc.name))
        except OSError:  # gone meanwhile
            continue
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def route_times(backend: LiveBackend) -> tuple[Counter[tuple[str, str]], Counter[tuple[str, str]]]:
    headers = {"Authorization": f"Bearer {backend.admin_key}"}
    text = backend.http.get(backend.base_url + "/metrics", headers=headers).text
    sums: Counter[tuple[str, str]] = Counter()
    counts: Counter[tuple[str, str]] = Counter()
    for kind, method, route, value in _SERIES.findall(text):
        (sums if kind == "sum" else counts)[(method, route)] += float(value)
    return sums, counts


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders.routes")
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--py-spy",
        metavar="FILE",
        help="record the backend's stacks during delivery with py-spy (collapsed format)",
    )
    args = parser.parse_args()
    url = create_pg_database("payrec_routes")
    smtp = SmtpSink().start()
    backend = start_bench_backend(url, Path(tempfile.mkdtemp(prefix="payrec-routes-")), 1)
    try:
        seed(backend, args.count)
        plan(backend, args.count)
        sums0, counts0 = route_times(backend)
        cpu0 = cpu_seconds(backend.process.pid)
        pg0 = postgres_cpu()
        busy0, all0 = machine_busy()
        spy = None
        if args.py_spy:
            spy = subprocess.Popen(
                [
                    *("py-spy", "record", "--format", "raw", "--rate", "250"),
                    *("--nonblocking", "--gil", "-o", args.py_spy),
                    *("-p", str(backend.process.pid)),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        before = len(smtp.messages)
        started = time.monotonic()
        worker = start_worker(
            backend,
            smtp_url=smtp.url,
            services="reminders",
            name="routes",
            concurrency=args.concurrency,
            extra_env={"LOG_LEVEL": "WARNING"},
        )
        wait_for(lambda: len(smtp.messages) - before >= args.count, 1800, "deliveries")
        seconds = time.monotonic() - started
        backend_cpu = cpu_seconds(backend.process.pid) - cpu0
        worker_cpu = cpu_seconds(worker.process.pid)
        pg_cpu = postgres_cpu() - pg0
        busy1, all1 = machine_busy()
        worker.terminate()
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=30)
        sums1, counts1 = route_times(backend)
        print(
            f"{args.count} reminders in {seconds:.1f} s = {args.count / seconds:.1f}/s; "
            f"backend CPU {backend_cpu / args.count * 1000:.1f} ms per reminder, "
            f"worker CPU {worker_cpu / args.count * 1000:.1f} ms, PostgreSQL "
            f"{pg_cpu / args.count * 1000:.1f} ms; machine "
            f"{(busy1 - busy0) / args.count * 1000:.1f} ms CPU per reminder, "
            f"{100 * (busy1 - busy0) / (all1 - all0):.0f}% busy"
        )
        for key in sorted(sums1, key=lambda k: sums0[k] - sums1[k]):
            calls = counts1[key] - counts0[key]
            if calls and key[1] != "/metrics":
                spent = sums1[key] - sums0[key]
                print(
                    f"  {key[0]:5} {key[1]:58} {calls:6.0f} calls  "
                    f"{spent / calls * 1000:7.1f} ms each (wall, queueing included)"
                )
    finally:
        backend.stop()
        smtp.stop()
        drop_pg_database(url)


if __name__ == "__main__":
    main()
