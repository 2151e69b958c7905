"""API benchmark: the real backend beside a bare FastAPI endpoint, on SQLite and PostgreSQL.

    python -m bench.api [--quick] [--cases N] [--duration S] [--clients C] [--db sqlite,postgres]

For each database: migrate a fresh one, bulk-insert N open cases (100k; 10k with --quick) and
due tasks, start `payrec serve` on it, and measure requests/s and p50/p99 latency of
`GET /api/v1/automation/recovery-cases/pending?limit=100` and `POST /api/v1/automation/tasks/claim`
with C concurrent clients; then the same two requests against a bare FastAPI app on uvicorn
that answers the very same JSON from memory. The ratio real/bare is the figure of merit
(aim: >= 0.5). Load comes from `wrk` when installed, else from httpx client threads.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from bench.api.floor import claim_floor

PG_ADMIN_URL = os.environ.get(
    "PAYREC_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PENDING_PATH = "/api/v1/automation/recovery-cases/pending?limit=100"
CLAIM_PATH = "/api/v1/automation/tasks/claim"
CLAIM_BODY = {"workerId": "bench", "types": ["BENCH"], "limit": 10, "leaseSeconds": 3600}


@dataclass
class Result:
    target: str
    endpoint: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# --- databases and seeding --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_database(kind: str, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    import psycopg

    name = f"payrec_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(url: str, *, cases: int, tasks: int) -> str:
    """Migrate, bulk-insert customers, open cases and due tasks; return an automation key."""
    from sqlalchemy import insert

    from payrec.server.actor import Actor
    from payrec.server.auth.service import create_client
    from payrec.server.db import Database
    from payrec.server.migrate import upgrade
    from payrec.server.models import Customer, RecoveryCase, Task

    upgrade(url)
    db = Database(url, pool_size=1)
    now = datetime.now(UTC)
    today = now.date()
    customers = max(1, cases // 10)
    chunk = 5_000
    try:
        with db.write() as session:
            _client, creds = create_client(
                session, name="bench", roles=["AUTOMATION_SERVICE"], actor=Actor(name="bench")
            )
        customer_ids = [f"cust-{secrets.token_hex(10)}" for _ in range(customers)]
        for start in range(0, customers, chunk):
            with db.write() as session:
                session.execute(
                    insert(Customer),
                    [
                        {
                            "id": cid,
                            "name": f"Customer {start + i}",
                            "email": f"billing{start + i}@example.com",
                            "phone": "+1-202-555-0123",
                            "timezone": "America/New_York",
                            "locale": "en_US",
                            "opt_out_email": False,
                            "opt_out_sms": False,
                            "version": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for i, cid in enumerate(customer_ids[start : start + chunk])
                    ],
                )
        priorities = [("HIGH", 0), ("MEDIUM", 1), ("LOW", 2)]
        statuses = ["OVERDUE", "PENDING", "IN_PROGRESS"]
        for start in range(0, cases, chunk):
            rows = []
            for n in range(start, min(cases, start + chunk)):
                priority, rank = priorities[n % 3]
                due: date = today + timedelta(days=(n % 120) - 90)
                rows.append(
                    {
                        "id": f"case-{secrets.token_hex(10)}",
                        "customer_id": customer_ids[n % customers],
                        "invoice_number": f"INV-{n:07d}",
                        "amount": Decimal("5000.00") + Decimal(n % 1000),
                        "amount_paid": Decimal(0),
                        "currency": "USD",
                        "due_date": due,
                        "status": statuses[n % 3],
                        "priority": priority,
                        "priority_rank": rank,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            with db.write() as session:
                session.execute(insert(RecoveryCase), rows)
        for start in range(0, tasks, chunk):
            with db.write() as session:
                session.execute(
                    insert(Task),
                    [
                        {
                            "id": f"task-{secrets.token_hex(10)}",
                            "type": "BENCH",
                            "status": "PENDING",
                            "scheduled_at": now - timedelta(minutes=1 + (n % 500)),
                            "meta": {"reminderType": "EMAIL", "templateId": "reminder-1"},
                            "attempts": 0,
                            "max_attempts": 5,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for n in range(start, min(tasks, start + chunk))
                    ],
                )
        with db.engine.connect() as conn:  # fresh statistics, as the backend keeps them
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        return creds.api_key
    finally:
        db.dispose()


# --- servers ----------------------------------------------------------------------------------


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"server at {url} did not become healthy")


def start(cmd: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    process = subprocess.Popen(cmd, env=env, stdout=handle, stderr=subprocess.STDOUT)
    _wait_healthy(f"http://127.0.0.1:{port}", process, log)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- load -------------------------------------------------------------------------------------

_WRK_SCRIPT = """
wrk.method = "{method}"
wrk.headers["Authorization"] = "Bearer {key}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Service-Name"] = "bench"
{body}
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %f %f %f %d\\n", summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


def load_wrk(
    url: str, method: str, body: str | None, key: str, clients: int, seconds: float, tmp: Path
) -> tuple[int, float, float, float, int]:
    script = tmp / f"wrk-{secrets.token_hex(4)}.lua"
    body_line = f"wrk.body = {json.dumps(body)}" if body else ""
    script.write_text(_WRK_SCRIPT.format(method=method, key=key, body=body_line))
    out = subprocess.run(
        ["wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"RESULT (\d+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", out)
    if not match:
        raise SystemExit(f"could not read wrk output:\n{out}")
    n, secs, p50, p99, errors = match.groups()
    return int(n), float(secs), float(p50), float(p99), int(errors)


def load_threads(
    url: str, method: str, body: str | None, key: str, clients: int, seconds: float, _tmp: Path
) -> tuple[int, float, float, float, int]:
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client() -> None:
        mine: list[float] = []
        bad = 0
        with httpx.Client(headers=headers, timeout=30) as http:
            while time.monotonic() < stop_at:
                t0 = time.perf_counter()
                response = http.request(method, url, content=body)
                mine.append(time.perf_counter() - t0)
                bad += response.status_code >= 400
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    p50 = statistics.median(latencies) * 1000 if latencies else 0.0
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else 0.0
    return len(latencies), elapsed, p50, p99, errors[0]


def measure(
    target: str,
    base: str,
    endpoint: str,
    key: str,
    clients: int,
    seconds: float,
    tmp: Path,
) -> Result:
    runner = load_wrk if shutil.which("wrk") else load_threads
    if endpoint == "pending":
        method, path, body = "GET", PENDING_PATH, None
    else:
        method, path, body = "POST", CLAIM_PATH, json.dumps(CLAIM_BODY)
    runner(base + path, method, body, key, clients, min(1.0, seconds), tmp)  # warm-up
    n, secs, p50, p99, errors = runner(base + path, method, body, key, clients, seconds, tmp)
    return Result(target, endpoint, n, secs, p50, p99, errors)


# --- one database -----------------------------------------------------------------------------


def run_database(kind: str, args: argparse.Namespace, tmp: Path) -> list[Result]:
    workdir = Path(tempfile.mkdtemp(prefix=f"payrec-bench-{kind}-", dir=tmp))
    url = make_database(kind, workdir)
    results: list[Result] = []
    processes: list[subprocess.Popen[bytes]] = []
    try:
        t0 = time.monotonic()
        key = seed(url, cases=args.cases, tasks=args.tasks)
        print(
            f"[{kind}] seeded {args.cases} cases, {args.tasks} tasks in "
            f"{time.monotonic() - t0:.1f}s",
            file=sys.stderr,
        )
        port = _free_port()
        env = {
            **os.environ,
            "PAYREC_DATABASE_URL": url,
            "PAYREC_DATA_DIR": str(workdir),
            "PAYREC_PORT": str(port),
            "PAYREC_RATE_LIMIT": "1000000/second",
            "LOG_LEVEL": "WARNING",
        }
        real = start(
            [sys.executable, "-m", "payrec", "serve", "--no-migrate"],
            env,
            port,
            workdir / "real.log",
        )
        processes.append(real)
        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": f"Bearer {key}"}
        pending_body = httpx.get(base + PENDING_PATH, headers=auth, timeout=30)
        claim_body = httpx.post(base + CLAIM_PATH, json=CLAIM_BODY, headers=auth, timeout=30)
        assert pending_body.status_code == 200 and len(pending_body.json()["cases"]) == 100
        assert claim_body.status_code == 200 and len(claim_body.json()["tasks"]) == 10
        (workdir / "pending.json").write_bytes(pending_body.content)
        (workdir / "claim.json").write_bytes(claim_body.content)

        bare_port = _free_port()
        bare = start(
            [
                sys.executable,
                "-m",
                "bench.api.bare",
                "--port",
                str(bare_port),
                "--pending",
                str(workdir / "pending.json"),
                "--claim",
                str(workdir / "claim.json"),
            ],
            dict(os.environ),
            bare_port,
            workdir / "bare.log",
        )
        processes.append(bare)
        bare_base = f"http://127.0.0.1:{bare_port}"
        for endpoint in ("pending", "claim"):
            for target, where in (("payrec", base), ("bare", bare_base)):
                result = measure(target, where, endpoint, key, args.clients, args.duration, tmp)
                print(
                    f"[{kind}] {endpoint:8} {target:7} {result.rps:8.0f} req/s  "
                    f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms  "
                    f"errors {result.errors}",
                    file=sys.stderr,
                )
                results.append(result)
        floor = claim_floor(url, clients=args.clients, seconds=min(args.duration, 4.0))
        if floor.ran_out:
            print(f"[{kind}] warning: the claim floor ran out of due tasks; raise --tasks")
        print(
            f"[{kind}] claim    floor   {floor.rps:8.0f} claims/s (database alone)", file=sys.stderr
        )
        results.append(Result("floor", "claim", floor.claims, floor.seconds, 0.0, 0.0, 0))
        left = httpx.get(
            base + "/api/v1/automation/tasks/scheduled",
            params={"type": "BENCH", "size": 1},
            headers=auth,
            timeout=30,
        ).json()["total"]
        if left == 0:
            print(f"[{kind}] warning: claims ran out of due tasks; raise --tasks", file=sys.stderr)
    finally:
        for process in processes:
            stop(process)
        drop_database(url)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k cases, shorter runs")
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--tasks", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None, help="seconds per measurement")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    args.cases = args.cases or (10_000 if args.quick else 100_000)
    args.tasks = args.tasks or (100_000 if args.quick else 200_000)
    args.duration = args.duration or (3.0 if args.quick else 8.0)
    tool = "wrk" if shutil.which("wrk") else "httpx threads"
    print(
        f"cases={args.cases} tasks={args.tasks} clients={args.clients} "
        f"duration={args.duration}s load={tool} cpus={os.cpu_count()}",
        file=sys.stderr,
    )
    report: dict[str, Any] = {"cases": args.cases, "clients": args.clients, "load": tool}
    with tempfile.TemporaryDirectory(prefix="payrec-bench-") as tmp:
        for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
            results = run_database(kind, args, Path(tmp))
            report[kind] = {}
            print(f"\n{kind}: {args.cases} cases, {args.clients} clients")
            print(
                f"{'endpoint':10} {'payrec r/s':>11} {'bare r/s':>9} {'ratio':>6} "
                f"{'p50 ms':>8} {'p99 ms':>8} {'bare p50':>9} {'bare p99':>9}"
            )
            for endpoint in ("pending", "claim"):
                ours = next(r for r in results if r.endpoint == endpoint and r.target == "payrec")
                bare = next(r for r in results if r.endpoint == endpoint and r.target == "bare")
                ratio = ours.rps / bare.rps if bare.rps else 0.0
                floor = next(
                    (r for r in results if r.endpoint == endpoint and r.target == "floor"), None
                )
                print(
                    f"{endpoint:10} {ours.rps:11.0f} {bare.rps:9.0f} {ratio:6.2f} "
                    f"{ours.p50_ms:8.2f} {ours.p99_ms:8.2f} {bare.p50_ms:9.2f} "
                    f"{bare.p99_ms:9.2f}"
                )
                report[kind][endpoint] = {
                    "payrec_rps": round(ours.rps, 1),
                    "bare_rps": round(bare.rps, 1),
                    "ratio": round(ratio, 3),
                    "p50_ms": round(ours.p50_ms, 2),
                    "p99_ms": round(ours.p99_ms, 2),
                    "bare_p50_ms": round(bare.p50_ms, 2),
                    "bare_p99_ms": round(bare.p99_ms, 2),
                    "errors": ours.errors + bare.errors,
                }
                if floor is not None:
                    # No server claims faster than its database: the ratio cannot exceed this.
                    ceiling = floor.rps / bare.rps if bare.rps else 0.0
                    print(
                        f"{'':10} database alone {floor.rps:.0f} claims/s: "
                        f"ratio ceiling {ceiling:.2f}"
                    )
                    report[kind][endpoint]["database_alone_rps"] = round(floor.rps, 1)
                    report[kind][endpoint]["ratio_ceiling"] = round(ceiling, 3)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
