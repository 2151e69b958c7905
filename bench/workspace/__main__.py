"""The workspace's pages at 10k and 1M cases on PostgreSQL: server time beside database time.

    python -m bench.workspace [--sizes 10000,1000000] [--requests 20] [--json FILE]

On a fresh PostgreSQL database (127.0.0.1:5432, or PAYREC_BENCH_PG_URL) migrated by
`payrec.server.migrate`, the book grows by the bulk SQL of `bench.scale` (INSERT ... SELECT
generate_series, then VACUUM (ANALYZE)). At each size the real app (`create_app`, in this
process, through Starlette's test client: no network) serves a signed-in admin the worklist
(`GET /app/`) and a case page (`GET /app/cases/{id}`); every statement the request runs is
timed at the driver (SQLAlchemy `before/after_cursor_execute`, the sweeper thread's left out).
Figures are medians over `--requests` after a warm-up. Aims (issue 14): page / queries <= 3,
and the 1M page <= 1.5x the 10k page.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.backend import create_pg_database, drop_pg_database  # noqa: E402

from bench.scale.__main__ import grow, progress  # noqa: E402

PAGE_RATIO_AIM = 3.0
GROWTH_AIM = 1.5


class DbClock:
    """Seconds spent in the database by the request threads (the sweeper's left out)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.total = 0.0
        self.statements = 0
        self._local = threading.local()
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args: Any) -> None:
        self._local.began = time.perf_counter()

    def _after(self, *_args: Any) -> None:
        if threading.current_thread().name.startswith("payrec-sweeper"):
            return
        self.total += time.perf_counter() - getattr(self._local, "began", time.perf_counter())
        self.statements += 1

    def reset(self) -> None:
        self.total = 0.0
        self.statements = 0


def measure(client: Any, clock: DbClock, path: str, requests: int) -> dict[str, float]:
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    pages, queries, counts = [], [], []
    for _ in range(requests):
        clock.reset()
        began = time.perf_counter()
        answer = client.get(path)
        pages.append(time.perf_counter() - began)
        assert answer.status_code == 200, (path, answer.status_code)
        queries.append(clock.total)
        counts.append(clock.statements)
    page_ms = statistics.median(pages) * 1000
    db_ms = statistics.median(queries) * 1000
    return {
        "page_ms": round(page_ms, 2),
        "queries_ms": round(db_ms, 2),
        "statements": statistics.median(counts),
        "ratio": round(page_ms / db_ms, 2) if db_ms else float("inf"),
    }


def signed_in_client(app: Any, db: Any) -> Any:
    from starlette.testclient import TestClient

    from payrec.server.actor import Actor
    from payrec.server.users import service as users
    from payrec.server.web.security import SESSION_COOKIE

    with db.write() as session:
        user = users.create(
            session,
            email="bench-admin@example.com",
            role="ADMIN",
            password="bench-password-123",
            actor=Actor(name="bench"),
        )
        token = users.start_session(session, user, address="127.0.0.1", user_agent="bench")
    client = TestClient(app, base_url="http://127.0.0.1")
    client.cookies.set(SESSION_COOKIE, token)
    return client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workspace", description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000", help="comma-separated case counts")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    from payrec.server.app import create_app, load_settings
    from payrec.server.migrate import upgrade

    url = create_pg_database("payrec_ws_bench")
    report: dict[str, Any] = {"sizes": sizes, "load_average": os.getloadavg()[0], "results": {}}
    try:
        upgrade(url)
        data_dir = Path(tempfile.mkdtemp(prefix="payrec-ws-bench-"))
        app = create_app(load_settings(database_url=url, data_dir=data_dir))
        with signed_in_client(app, app.state.payrec.db) as client:
            clock = DbClock(app.state.payrec.db.engine)
            have = 0
            for size in sizes:
                progress(f"growing the book to {size:,} cases")
                seconds = grow(url, have, size)
                have = size
                progress(f"{size:,} cases in ({seconds:.1f}s); timing the pages")
                case_id = f"case-s{size - 3}"  # an OVERDUE case (g % 10 == 7)
                report["results"][str(size)] = {
                    "worklist": measure(client, clock, "/app/", args.requests),
                    "case page": measure(client, clock, f"/app/cases/{case_id}", args.requests),
                }
    finally:
        with suppress(Exception):
            drop_pg_database(url)
    failed = print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 1 if failed else 0


def print_table(report: dict[str, Any]) -> bool:
    sizes = [str(s) for s in report["sizes"]]
    first, last = sizes[0], sizes[-1]
    print(f"\nWorkspace pages on PostgreSQL (median ms; load {report['load_average']:.1f})\n")
    print("| page | cases | server ms | queries ms | statements | page/queries |")
    print("|---|---:|---:|---:|---:|---:|")
    failed = False
    for name in report["results"][first]:
        for size in sizes:
            r = report["results"][size][name]
            failed |= r["ratio"] > PAGE_RATIO_AIM
            print(
                f"| {name} | {int(size):,} | {r['page_ms']} | {r['queries_ms']} | "
                f"{r['statements']:g} | {r['ratio']} |"
            )
    print(f"\n| page | {int(last):,} / {int(first):,} server time |\n|---|---:|")
    for name in report["results"][first]:
        results = report["results"]
        growth = results[last][name]["page_ms"] / results[first][name]["page_ms"]
        failed |= growth > GROWTH_AIM
        print(f"| {name} | {growth:.2f} |")
    if failed:
        print(f"\nFAIL: a page over {PAGE_RATIO_AIM} x its queries or {GROWTH_AIM} x its growth")
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
