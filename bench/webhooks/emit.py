"""What `events.emit` costs the transactions that call it: queries and time per transaction.

Two shapes, each on SQLite and PostgreSQL, with no endpoint and with one endpoint that does
not subscribe to the event (the common case: nothing to write), then with one that does:

- `payment`: one transaction per payment, two events in it (`payment.recorded`,
  `case.resolved`), as `payments.service.record` emits them;
- `import`: one transaction with one event per row (`case.updated`), as a re-import does;
- `bulk`: one transaction, one `emit_many` of as many events, as a bulk import's new cases.

The bare baseline is the same transactions with no `emit` at all. Run it against another
checkout's code with `PYTHONPATH=/that/checkout/src python -m bench.webhooks.emit`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.backend import create_pg_database, drop_pg_database  # noqa: E402

from payrec.server.db import Database  # noqa: E402
from payrec.server.events.service import emit, emit_many  # noqa: E402
from payrec.server.migrate import upgrade  # noqa: E402
from payrec.server.models import WebhookEndpoint  # noqa: E402


def _counting(db: Database) -> list[int]:
    count = [0]

    def before(*_args: Any) -> None:
        count[0] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    return count


def _timed(db: Database, count: list[int], work: Callable[[Any], None], rounds: int) -> float:
    count[0] = 0
    started = time.perf_counter()
    for _ in range(rounds):
        with db.write() as session:
            session.execute(text("SELECT 1"))  # the change the events report, standing in
            work(session)
    return time.perf_counter() - started


def run(kind: str, payments: int, rows: int) -> list[dict[str, Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="payrec-bench-emit-", dir=os.environ.get("TMPDIR")))
    url = create_pg_database("payrec_bench") if kind == "postgres" else f"sqlite:///{tmp}/e.db"
    upgrade(url)
    db = Database(url, pool_size=2)
    count = _counting(db)
    out: list[dict[str, Any]] = []

    def payment(session: Any) -> None:
        emit(session, "payment.recorded", {"recoveryCaseId": "case_1", "payment": "1.00"})
        emit(session, "case.resolved", {"recoveryCaseId": "case_1"})

    def an_import(session: Any) -> None:
        for i in range(rows):
            emit(session, "case.updated", {"recoveryCaseId": f"case_{i}"})

    def bulk(session: Any) -> None:
        emit_many(session, "case.updated", [{"recoveryCaseId": f"case_{i}"} for i in range(rows)])

    def measure(label: str) -> None:
        for shape, work, rounds, per in (
            ("payment", payment, payments, 1),
            ("import", an_import, 1, rows),
            ("bulk", bulk, 1, rows),
        ):
            bare = _timed(db, count, lambda _s: None, rounds)
            bare_queries = count[0]
            spent = _timed(db, count, work, rounds)
            out.append(
                {
                    "database": kind,
                    "endpoints": label,
                    "shape": shape,
                    "queries_per_tx_over_bare": round((count[0] - bare_queries) / rounds, 1),
                    "us_per_tx_over_bare": round((spent - bare) / rounds * 1e6, 1),
                    "events_per_tx": 2 if shape == "payment" else per,
                }
            )

    try:
        measure("none")
        with db.write() as session:
            session.add(
                WebhookEndpoint(
                    url="https://example.com/h",
                    events=["dispute.opened"],
                    secret_sealed="x",
                    created_at=datetime.now(UTC),
                )
            )
        measure("one, not subscribed")
        with db.write() as session:
            session.add(
                WebhookEndpoint(
                    url="https://example.com/h2",
                    events=["case.updated", "payment.recorded", "case.resolved"],
                    secret_sealed="x",
                    created_at=datetime.now(UTC),
                )
            )
        measure("+ one subscribed")
    finally:
        db.dispose()
        if kind == "postgres":
            drop_pg_database(url)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.webhooks.emit", description=__doc__)
    parser.add_argument("--payments", type=int, default=500)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--databases", default="sqlite,postgres")
    args = parser.parse_args(argv)
    print(
        "| database | endpoints | transaction | events/tx | queries/tx over bare "
        "| µs/tx over bare |"
    )
    print("|---|---|---|---|---|---|")
    for kind in [k.strip() for k in args.databases.split(",") if k.strip()]:
        for r in run(kind, args.payments, args.rows):
            print(
                f"| {r['database']} | {r['endpoints']} | {r['shape']} | {r['events_per_tx']} | "
                f"{r['queries_per_tx_over_bare']} | {r['us_per_tx_over_bare']} |"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
