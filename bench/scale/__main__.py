"""How the hot queries' cost grows with the book: 10k -> 100k (-> 1M with --full) cases.

    python -m bench.scale [--full] [--sizes 10000,100000] [--json FILE]

On a fresh PostgreSQL database (127.0.0.1:5432, or PAYREC_BENCH_PG_URL) migrated by
`payrec.server.migrate`, the book grows by bulk SQL inserts then VACUUM (ANALYZE), as a live
database under autovacuum would be (a realistic mix: 60 % of cases resolved, 10 % pending,
20 % overdue, 10 % in progress; two tasks per case, one of them still PENDING for open cases,
spread over -10..+30 days). At each size the statements the backend
really runs for the hot paths are captured from the repositories (SQLAlchemy events) and run
under `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`:

* pending: `GET /recovery-cases/pending?limit=100` (count + first page + customers),
  a deep page (offset 5,000) as the scheduler's walk reaches it, the list's `total` count
  uncached, and the page with `include=schedule` (what the scheduler asks for);
* claim: `POST /tasks/claim` (expired leases + due PENDING tasks FOR UPDATE SKIP LOCKED);
* scheduled: `GET /tasks/scheduled?size=20` (count + first page).

A sequential scan of recovery_cases, tasks or customers in any of them fails the run from
100k cases on (below that the planner rightly prefers scanning a small table).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.backend import create_pg_database, drop_pg_database  # noqa: E402

from bench.sql_capture import captured  # noqa: E402

HOT_TABLES = {"recovery_cases", "tasks", "customers"}
# Below this many cases the planner rightly prefers a sequential scan of a small table.
SEQ_SCAN_CHECKED_FROM = 100_000


def progress(message: str) -> None:
    print(f"  [scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def grow(url: str, start: int, stop: int) -> float:
    """Bulk-insert cases start..stop-1 (customers, cases, tasks); returns seconds."""
    import psycopg

    began = time.monotonic()
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO customers (id, name, email, timezone, locale, opt_out_email, "
            "opt_out_sms, version, created_at, updated_at) "
            "SELECT 'cust-s' || g, 'Customer ' || g, 'c' || g || '@example.com', 'UTC', "
            "'en_US', false, false, 1, now(), now() FROM generate_series(%s::bigint, %s::bigint) g",
            (start // 2, (stop - 1) // 2),
        )
        conn.execute(
            "INSERT INTO recovery_cases (id, customer_id, invoice_number, amount, amount_paid, "
            "currency, due_date, status, priority, priority_rank, version, created_at, "
            "updated_at) SELECT 'case-s' || g, 'cust-s' || (g / 2), 'S-' || g, 100.00, 0, "
            "'USD', current_date - (g %% 365)::int, "
            "CASE WHEN g %% 10 < 6 THEN 'RESOLVED' WHEN g %% 10 = 6 THEN 'PENDING' "
            "WHEN g %% 10 < 9 THEN 'OVERDUE' ELSE 'IN_PROGRESS' END, "
            "(ARRAY['LOW','MEDIUM','HIGH','URGENT'])[1 + g %% 4], (g %% 4)::int, 1, now(), now() "
            "FROM generate_series(%s::bigint, %s::bigint) g",
            (start, stop - 1),
        )
        conn.execute(
            "INSERT INTO tasks (id, type, status, scheduled_at, recovery_case_id, dedupe_key, "
            "metadata, attempts, max_attempts, created_at, updated_at, completed_at) "
            "SELECT 'task-s' || g || '-' || k, CASE WHEN g %% 20 = 0 THEN 'CALL' "
            "ELSE 'REMINDER' END, "
            "CASE WHEN k = 0 THEN 'COMPLETED' WHEN g %% 10 < 6 THEN 'CANCELLED' "
            "ELSE 'PENDING' END, "
            "now() + make_interval(hours => "
            "CASE WHEN k = 0 THEN -400 ELSE ((g %% 960) - 240)::int END), "
            "'case-s' || g, 'policy-default#' || k, "
            '\'{"reminderType": "EMAIL", "templateId": "reminder-1"}\'::jsonb, 0, 5, '
            "now(), now(), CASE WHEN k = 0 THEN now() END "
            "FROM generate_series(%s::bigint, %s::bigint) g, generate_series(0, 1) k",
            (start, stop - 1),
        )
    with psycopg.connect(url, autocommit=True) as conn:
        # what autovacuum leaves behind on a live database: statistics and the visibility map
        conn.execute("VACUUM (ANALYZE) customers, recovery_cases, tasks")
    return time.monotonic() - began


def hot_paths() -> dict[str, Callable[[Any], Any]]:
    from payrec.server.cases import repository as cases
    from payrec.server.cases.schedule_view import schedule_info
    from payrec.server.tasks import repository as tasks

    def pending(session: Any, offset: int = 0) -> Any:
        rows, _total = cases.pending_rows(
            session, statuses=list(cases.OPEN), priority=None, offset=offset, limit=100
        )
        return rows

    def pending_total(session: Any) -> Any:
        # the list's `total`, uncached (the backend reuses a large count for a few seconds)
        from sqlalchemy import func, select

        from payrec.server.models import RecoveryCase

        open_cases = RecoveryCase.status.in_(list(cases.OPEN))
        return session.scalar(select(func.count()).select_from(RecoveryCase).where(open_cases))

    def pending_schedule(session: Any) -> Any:
        return schedule_info(session, [(row[0], row[1]) for row in pending(session)])

    def claim(session: Any) -> Any:
        now = datetime.now(UTC)
        tasks.any_expired_lease(session, now=now)
        lease = tasks.Lease(
            now=now, types=["REMINDER"], limit=10, prefix="p.", expires=now, worker="bench"
        )
        event = {
            "event_id": "evt_bench",
            "actor": "bench",
            "service_name": None,
            "request_id": None,
        }
        return tasks.lease_due_and_audit(session, lease, event)  # rolled back with the session

    def scheduled(session: Any) -> Any:
        return tasks.list_due(
            session,
            status="PENDING",
            due_before=datetime.now(UTC),
            task_type=None,
            case_id=None,
            offset=0,
            limit=20,
        )

    return {
        "pending (first page)": pending,
        "pending (offset 5000)": lambda s: pending(s, 5000),
        "pending total (count, uncached)": pending_total,
        "pending + schedule": pending_schedule,
        "claim": claim,
        "scheduled tasks": scheduled,
    }


def scans(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from scans(child)


def explain(db: Any, name: str, run: Callable[[Any], Any]) -> dict[str, Any]:
    with db.read() as session, captured(db.engine) as statements:
        run(session)
    total_ms = 0.0
    seq: list[str] = []
    nodes: list[str] = []
    with db.engine.connect() as conn:
        for statement, parameters in statements:
            rows = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
            ).all()
            data = rows[0][0]
            top = (data if isinstance(data, list) else json.loads(data))[0]
            total_ms += float(top["Execution Time"]) + float(top.get("Planning Time", 0))
            for node in scans(top["Plan"]):
                relation = node.get("Relation Name")
                if relation:
                    nodes.append(f"{node['Node Type']} {relation}")
                    if node["Node Type"] == "Seq Scan" and relation in HOT_TABLES:
                        seq.append(relation)
        conn.rollback()  # the claim locked rows under EXPLAIN ANALYZE
    return {
        "statements": len(statements),
        "ms": round(total_ms, 2),
        "seq_scans": sorted(set(seq)),
        "scans": sorted(set(nodes)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--full", action="store_true", help="also 1,000,000 cases")
    parser.add_argument("--quick", action="store_true", help="10k and 100k only (default)")
    parser.add_argument("--sizes", default=None, help="comma-separated case counts")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in (args.sizes or "10000,100000").split(",")]
    if args.full and 1_000_000 not in sizes:
        sizes.append(1_000_000)
    from payrec.server.db import Database
    from payrec.server.migrate import upgrade

    url = create_pg_database("payrec_scale")
    report: dict[str, Any] = {"sizes": sizes, "load_average": os.getloadavg()[0], "results": {}}
    failed = False
    try:
        upgrade(url)
        db = Database(url, pool_size=2)
        have = 0
        for size in sizes:
            progress(f"growing the book to {size:,} cases")
            seconds = grow(url, have, size)
            have = size
            progress(f"{size:,} cases in ({seconds:.1f}s); explaining the hot paths")
            results = {}
            for name, run in hot_paths().items():
                explain(db, name, run)  # warm the cache once, then measure
                results[name] = explain(db, name, run)
                if size >= SEQ_SCAN_CHECKED_FROM:
                    failed |= bool(results[name]["seq_scans"])
            report["results"][str(size)] = results
        db.dispose()
    finally:
        with suppress(Exception):
            drop_pg_database(url)
    print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    if failed:
        print("\nFAIL: a sequential scan on a hot path (see seq_scans)", file=sys.stderr)
    return 1 if failed else 0


def print_table(report: dict[str, Any]) -> None:
    sizes = [str(s) for s in report["sizes"]]
    print("\nHot queries on PostgreSQL, EXPLAIN ANALYZE (ms, all statements of the request)\n")
    print(
        "| query | "
        + " | ".join(f"{int(s):,} cases" for s in sizes)
        + f" | seq scan (from {SEQ_SCAN_CHECKED_FROM:,}) |"
    )
    print("|---|" + "---:|" * len(sizes) + "---|")
    names = list(report["results"][sizes[0]])
    for name in names:
        cells = [str(report["results"][s][name]["ms"]) for s in sizes]
        seq = sorted(
            {
                f"{t} ({int(s):,})"
                for s in sizes
                if int(s) >= SEQ_SCAN_CHECKED_FROM
                for t in report["results"][s][name]["seq_scans"]
            }
        )
        print(f"| {name} | " + " | ".join(cells) + f" | {', '.join(seq) or 'none'} |")


if __name__ == "__main__":
    raise SystemExit(main())
