"""The collectors' workspace pages at 10k and 1M cases, each beside its own queries.

    python -m bench.workspace [--cases 1000000] [--small 10000] [--rounds 15] [--json FILE]

On a fresh PostgreSQL database (127.0.0.1:5432, or PAYREC_TEST_PG_URL) migrated by
`payrec.server.migrate`, a real `payrec serve` process, one AGENT user signed in through the
sign-in form (a session cookie, as a browser has). The book grows by `INSERT ... SELECT
generate_series` in PostgreSQL (customers, cases, tasks; then `VACUUM (ANALYZE)`, what
autovacuum leaves on a live database): half of the cases resolved, the rest pending, overdue,
in progress, disputed or paused, some with promises (due or broken), a seventh assigned to the
signed-in user, a CALL task due today on every twentieth case (overdue ones).

Pages, timed from the client over loopback (median of `--rounds` requests after a warm-up):

* worklist: `GET /app/` (the default view), `GET /app/?q=...` (a search) and
  `GET /app/?status=OVERDUE&currency=EUR&assigned=mine` (filters);
* case: `GET /app/cases/{id}` (an open case with its tasks).

Queries: the statements each page runs, captured once in process (SQLAlchemy's
`before_cursor_execute`) from the very services the page calls (`users.signed_in`,
`worklist.service.worklist`, `users.names`, `web.case_view.case_view`), then run bare through
psycopg with the same parameters, interleaved with the page requests (same noise):
page / queries shows what the backend adds to its database (target <= 3), and the large book's
page over the small one's shows how the page grows with the book (target <= 1.5).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.backend import LiveBackend, create_pg_database, drop_pg_database  # noqa: E402

from bench.sql_capture import captured  # noqa: E402

PAGE_TARGET = 3.0
GROWTH_TARGET = 1.5
SEARCH = "customer 4242"


def progress(message: str) -> None:
    print(f"  [workspace {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def grow(url: str, start: int, stop: int, user_id: str) -> float:
    """Bulk-insert cases start..stop-1 with their customers (one per two cases) and two tasks
    each; returns seconds."""
    import psycopg

    began = time.monotonic()
    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO customers (id, name, email, phone, phone_digits, timezone, locale, "
            "opt_out_email, opt_out_sms, version, created_at, updated_at) "
            "SELECT 'cust-w' || c, 'Customer ' || c || ' ' || "
            "(ARRAY['GmbH','Ltd','SA','Inc'])[1 + c %% 4], 'billing' || c || '@example.com', "
            "'+1-202-555-' || lpad((c %% 10000)::text, 4, '0'), "
            "'1202555' || lpad((c %% 10000)::text, 4, '0'), "
            "(ARRAY['UTC','Europe/Berlin','America/New_York'])[1 + c %% 3], 'en_US', "
            "false, false, 1, now(), now() "
            "FROM generate_series(%s::bigint, %s::bigint) c",
            ((start + 1) // 2, (stop - 1) // 2),
        )
        conn.execute(
            "INSERT INTO recovery_cases (id, customer_id, invoice_number, amount, amount_paid, "
            "currency, due_date, status, priority, priority_rank, assignee_user_id, "
            "promise_due, broken_promise_at, paused_until, version, created_at, updated_at) "
            "SELECT 'case-w' || g, 'cust-w' || (g / 2), 'INV-' || g, "
            "50 + (g * 37 %% 5000), CASE WHEN g %% 13 = 0 THEN 25 ELSE 0 END, "
            "(ARRAY['USD','EUR','GBP'])[1 + g %% 3], current_date + 30 - (g %% 400)::int, "
            "CASE WHEN g %% 10 < 5 THEN 'RESOLVED' WHEN g %% 10 = 5 THEN 'PENDING' "
            "WHEN g %% 10 < 8 THEN 'OVERDUE' WHEN g %% 100 = 8 THEN 'DISPUTED' "
            "WHEN g %% 100 = 18 THEN 'PAUSED' ELSE 'IN_PROGRESS' END, "
            "(ARRAY['LOW','MEDIUM','HIGH','URGENT'])[1 + g %% 4], (g %% 4)::int, "
            "CASE WHEN g %% 7 = 0 THEN %s END, "
            "CASE WHEN g %% 97 = 0 THEN current_date + (g %% 5 - 2)::int END, "
            "CASE WHEN g %% 89 = 0 AND g %% 10 >= 5 THEN now() - interval '1 day' END, "
            "CASE WHEN g %% 100 = 18 THEN now() + interval '10 days' END, "
            "1, now(), now() FROM generate_series(%s::bigint, %s::bigint) g",
            (user_id, start, stop - 1),
        )
        conn.execute(
            "INSERT INTO tasks (id, type, status, scheduled_at, recovery_case_id, dedupe_key, "
            "metadata, attempts, max_attempts, created_at, updated_at, completed_at) "
            "SELECT 'task-w' || g || '-' || k, "
            "CASE WHEN k = 1 AND g %% 20 = 6 THEN 'CALL' ELSE 'REMINDER' END, "
            "CASE WHEN k = 0 THEN 'COMPLETED' WHEN g %% 10 < 5 THEN 'CANCELLED' "
            "ELSE 'PENDING' END, "
            "CASE WHEN k = 0 THEN now() - interval '20 days' "
            "WHEN g %% 20 = 6 THEN date_trunc('day', now()) + interval '9 hours' "
            "ELSE now() + make_interval(hours => ((g %% 960) - 240)::int) END, "
            "'case-w' || g, 'policy-default#' || k || ':' || (k * 7) || ':EMAIL', "
            '\'{"reminderType": "EMAIL", "templateId": "reminder-1"}\'::jsonb, 0, 5, '
            "now(), now(), CASE WHEN k = 0 THEN now() - interval '20 days' END "
            "FROM generate_series(%s::bigint, %s::bigint) g, generate_series(0, 1) k",
            (start, stop - 1),
        )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) customers, recovery_cases, tasks")
    return time.monotonic() - began


def page_statements(url: str, token: str, case_id: str) -> dict[str, list[tuple[str, Any]]]:
    """The SQL of each page, captured from the services the page calls (one read session each,
    as the page has: the session check, then the page's own reads)."""
    from payrec.domain.worklist import PAGE_SIZE
    from payrec.server.db import Database
    from payrec.server.users import service as users
    from payrec.server.web.case_view import case_view
    from payrec.server.worklist import service as worklist
    from payrec.server.worklist.repository import Filters

    db = Database(url, pool_size=1)
    out: dict[str, list[tuple[str, Any]]] = {}

    def signed_in() -> Any:
        with db.read() as session:
            who = users.signed_in(session, token)
        assert who is not None, "the bench's session cookie is not live"
        return who

    def worklist_page(make: Callable[[Any], Filters]) -> None:
        who = signed_in()
        with db.read() as session:
            result = worklist.worklist(session, make(who), offset=0, limit=PAGE_SIZE)
            users.names(session, {i.assignee_user_id for i in result.items})

    def case_page() -> None:
        signed_in()
        with db.read() as session:
            case_view(session, case_id, "http://127.0.0.1")

    runs: dict[str, Callable[[], None]] = {
        "worklist (default)": lambda: worklist_page(lambda _w: Filters()),
        "worklist (search)": lambda: worklist_page(lambda _w: Filters(search=SEARCH)),
        "worklist (filters)": lambda: worklist_page(
            lambda w: Filters(
                status="OVERDUE",
                currency="EUR",
                assignee_user_id=w.user_id,
                unassigned_tasks=True,
            )
        ),
        "case page": case_page,
    }
    try:
        for name, run in runs.items():
            with captured(db.engine) as statements:
                run()
            out[name] = [
                (s, p)
                for s, p in statements
                if not s.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SET"))
            ]
    finally:
        db.dispose()
    return out


PAGE_PATHS = {
    "worklist (default)": "/app/",
    "worklist (search)": "/app/?q=" + SEARCH.replace(" ", "+"),
    "worklist (filters)": "/app/?status=OVERDUE&currency=EUR&assigned=mine",
}


def measure(
    client: Any, conn: Any, path: str, statements: list[tuple[str, Any]], rounds: int
) -> dict[str, Any]:
    """Page requests and the page's statements bare, interleaved; medians in ms."""

    def page_once() -> float:
        began = time.perf_counter()
        answer = client.get(path)
        took = time.perf_counter() - began
        assert answer.status_code == 200, (path, answer.status_code, answer.text[:300])
        return took * 1000

    def queries_once() -> float:
        began = time.perf_counter()
        with conn.transaction(), conn.cursor() as cursor:
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
        return (time.perf_counter() - began) * 1000

    for _ in range(3):  # warm: caches, prepared statements, the backend's pools
        page_once()
        queries_once()
    pages, queries = [], []
    for _ in range(rounds):
        pages.append(page_once())
        queries.append(queries_once())
    page_ms = statistics.median(pages)
    query_ms = statistics.median(queries)
    return {
        "statements": len(statements),
        "page_ms": round(page_ms, 2),
        "page_p90_ms": round(sorted(pages)[int(0.9 * (len(pages) - 1))], 2),
        "queries_ms": round(query_ms, 2),
        "page_over_queries": round(page_ms / query_ms, 2) if query_ms else None,
    }


def sign_in(backend: LiveBackend) -> tuple[Any, str, str]:
    """An AGENT made by the admin, signed in through the form: (client, user id, token)."""
    from tests.support.workspace import AppClient, create_user

    from payrec.server.web.security import SESSION_COOKIE

    user = create_user(backend, "AGENT", name="Bench Agent")
    client = AppClient(backend).signed_in_as(user)
    token = client.http.cookies.get(SESSION_COOKIE)
    assert token, "no session cookie after signing in"
    return client, user.id, token


def run_size(
    backend: LiveBackend, client: Any, token: str, size: int, rounds: int
) -> dict[str, Any]:
    import psycopg

    case_id = f"case-w{(size // 2) // 20 * 20 + 6}"  # an overdue case with a CALL due today
    statements = page_statements(backend.db_url, token, case_id)
    paths = {**PAGE_PATHS, "case page": f"/app/cases/{case_id}"}
    results: dict[str, Any] = {}
    with psycopg.connect(backend.db_url) as conn:
        for name, path in paths.items():
            results[name] = measure(client.http, conn, path, statements[name], rounds)
            progress(
                f"{size:,} {name}: page {results[name]['page_ms']} ms, "
                f"queries {results[name]['queries_ms']} ms ({results[name]['statements']})"
            )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.workspace", description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000, help="the large book")
    parser.add_argument("--small", type=int, default=10_000, help="the small book")
    parser.add_argument("--rounds", type=int, default=15, help="requests per page and size")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    args = parser.parse_args(argv)
    sizes = sorted({min(args.small, args.cases), args.cases})
    url = create_pg_database("payrec_workspace")
    report: dict[str, Any] = {
        "sizes": sizes,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "results": {},
        "grow_seconds": {},
    }
    backend: LiveBackend | None = None
    try:
        with tempfile.TemporaryDirectory(prefix="payrec-ws-bench-") as tmp:
            backend = LiveBackend(db_url=url, data_dir=Path(tmp))
            backend.provision()
            backend.start()
            client, user_id, token = sign_in(backend)
            have = 0
            for size in sizes:
                progress(f"growing the book to {size:,} cases")
                seconds = grow(url, have, size, user_id)
                report["grow_seconds"][str(size)] = round(seconds, 1)
                have = size
                progress(f"{size:,} cases in ({seconds:.1f}s)")
                report.setdefault("load_at", {})[str(size)] = [round(x, 2) for x in os.getloadavg()]
                report["results"][str(size)] = run_size(backend, client, token, size, args.rounds)
            report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
            client.close()
            backend.stop()
    finally:
        if backend is not None:
            backend.stop()
        if args.keep:
            print(f"database kept: {url}", file=sys.stderr)
        else:
            with suppress(Exception):
                drop_pg_database(url)
    failed = print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 1 if failed else 0


def print_table(report: dict[str, Any]) -> bool:
    small, large = (str(s) for s in (report["sizes"][0], report["sizes"][-1]))
    res = report["results"]
    print(
        f"\nWorkspace pages on PostgreSQL (median ms of {report['rounds']} requests; "
        f"load {report['load_average']} -> {report.get('load_average_after')})\n"
    )
    print(
        f"| page | {int(small):,}: page / queries (ratio) | {int(large):,}: page / queries "
        f"(ratio) | {int(large):,} page / {int(small):,} page |"
    )
    print("|---|---:|---:|---:|")
    failed = False
    for name in res[small]:
        a, b = res[small][name], res[large][name]
        growth = b["page_ms"] / a["page_ms"]
        failed |= growth > GROWTH_TARGET or any(
            (r["page_over_queries"] or 0) > PAGE_TARGET for r in (a, b)
        )
        print(
            f"| {name} | {a['page_ms']} / {a['queries_ms']} ({a['page_over_queries']}) | "
            f"{b['page_ms']} / {b['queries_ms']} ({b['page_over_queries']}) | {growth:.2f} |"
        )
    print(f"\ntargets: page / queries <= {PAGE_TARGET}, large / small page <= {GROWTH_TARGET}")
    print(f"load average when each size was measured: {report.get('load_at')}")
    if failed:
        print("MISSED a target (see the table)", file=sys.stderr)
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
