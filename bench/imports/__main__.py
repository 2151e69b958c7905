"""Importing N invoices (default 100k, for N/10 customers) on SQLite and PostgreSQL: payrec's
import (`imports.service.create` + `run`: the one import path, chunks of 2,000 rows with bulk
look-ups and Core inserts) beside a bare DBAPI `executemany` of the same rows into the same
tables (customers, recovery_cases, audit_events), in the same run; rows/s, the ratio, the
peak RSS and the CPU seconds of each (a child process per run: on a machine shared with
other work the wall-clock ratio moves with the load, the client's CPU time much less; the
database server's own CPU is in neither).

    PYTHONPATH=src python -m bench.imports [--rows 100000] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.backend import create_pg_database, drop_pg_database, migrate


def write_csv(path: Path, rows: int) -> None:
    """A German spreadsheet's export: `;`, decimal commas, day.month.year."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("Kundennummer;Kunde;E-Mail;Land;Rechnungsnummer;Rechnungsdatum;Fälligkeit;"
                  "Betrag;Währung\r\n")
        for n in range(rows):
            c = n // 10
            out.write(f"C{c};Customer {c};c{c}@example.com;DE;INV-{n};01.11.2026;31.12.2026;"
                      f"{1000 + n % 5000},{n % 100:02d};EUR\r\n")


def child_payrec(url: str, csv_path: str) -> dict[str, float]:
    from payrec.domain.imports.reader import Mapping
    from payrec.server.actor import Actor
    from payrec.server.db import Database
    from payrec.server.imports import service

    db = Database(url, pool_size=2)
    actor = Actor(name="bench", service_name="bench")
    content = Path(csv_path).read_bytes()
    started = time.perf_counter()
    with db.write() as session:
        job = service.create(session, content, "bench.csv", Mapping({}), actor, dry_run=False)
        import_id = job.id
    del job
    service.run(db, import_id, actor)
    seconds = time.perf_counter() - started
    with db.read() as session:
        out = service.summary(service.get(session, import_id))
    db.dispose()
    return {"seconds": seconds, "created": out["counts"]["created"],
            "failed": out["counts"]["failed"]}


_CUSTOMERS = (
    "INSERT INTO customers (id, name, external_id, email, timezone, locale, opt_out_email, "
    "opt_out_sms, version, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
_CASES = (
    "INSERT INTO recovery_cases (id, customer_id, invoice_number, amount, amount_paid, currency, "
    "due_date, issue_date, status, priority, priority_rank, version, created_at, updated_at) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_AUDIT = (
    "INSERT INTO audit_events (id, at, actor, action, entity_type, entity_id, recovery_case_id, "
    "after) VALUES (?,?,?,?,?,?,?,?)"
)


def child_bare(url: str, csv_path: str) -> dict[str, float]:
    """The same rows, parsed with `csv` and inserted with executemany, nothing else."""
    import csv
    import uuid
    from datetime import UTC, date, datetime

    from sqlalchemy import create_engine

    engine = create_engine(url)
    started = time.perf_counter()
    now = datetime.now(UTC).replace(tzinfo=None)
    customers: dict[str, str] = {}
    cust_rows, case_rows, audit_rows = [], [], []
    with open(csv_path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        for cid, name, email, _country, number, _issue, _due, amount, currency in reader:
            if cid not in customers:
                customers[cid] = "cust-" + uuid.uuid4().hex[:20]
                cust_rows.append((customers[cid], name, cid, email, "Europe/Berlin", "en_DE",
                                  False, False, 1, now, now))
            case_id = "case-" + uuid.uuid4().hex[:20]
            scaled = int(amount.replace(",", "")) * 100
            case_rows.append((case_id, customers[cid], number, scaled, 0, currency,
                              date(2026, 12, 31), date(2026, 11, 1), "PENDING", "MEDIUM", 1,
                              1, now, now))
            audit_rows.append(("evt-" + uuid.uuid4().hex[:20], now, "bench", "case.created",
                               "recovery_case", case_id, case_id, "{}"))
    raw = engine.raw_connection()
    cursor = raw.cursor()
    for statement, rows in ((_CUSTOMERS, cust_rows), (_CASES, case_rows), (_AUDIT, audit_rows)):
        cursor.executemany(statement if url.startswith("sqlite") else
                           statement.replace("?", "%s"), rows)
    raw.commit()
    raw.close()
    return {"seconds": time.perf_counter() - started, "created": len(case_rows), "failed": 0}


def _child(kind: str, url: str, csv_path: str) -> None:
    result = (child_payrec if kind == "payrec" else child_bare)(url, csv_path)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))


def _run(kind: str, url: str, csv_path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.imports", "--child", kind, url, str(csv_path)],
        capture_output=True, text=True, check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _child(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "book.csv"
        write_csv(csv_path, args.rows)
        size = csv_path.stat().st_size / 1e6
        print(f"{args.rows} invoices, {size:.1f} MB CSV")
        for kind in args.db.split(","):
            results = {}
            for who in ("bare", "payrec"):
                if kind == "sqlite":
                    url = f"sqlite:///{tmp}/{who}.sqlite"
                else:
                    url = create_pg_database("payrec_bench_imports")
                migrate(url)
                try:
                    results[who] = _run(who, url, csv_path)
                finally:
                    if kind != "sqlite":
                        drop_pg_database(url)
            bare, ours = results["bare"], results["payrec"]
            ratio = bare["seconds"] / ours["seconds"]
            print(
                f"{kind}: payrec {args.rows / ours['seconds']:.0f} rows/s "
                f"(created {ours['created']:.0f}, failed {ours['failed']:.0f}, "
                f"peak RSS {ours['peak_rss_mb']:.0f} MB, CPU {ours['cpu_seconds']:.1f} s); "
                f"bare executemany {args.rows / bare['seconds']:.0f} rows/s (peak RSS "
                f"{bare['peak_rss_mb']:.0f} MB, CPU {bare['cpu_seconds']:.1f} s); "
                f"ratio {ratio:.2f} (CPU {bare['cpu_seconds'] / ours['cpu_seconds']:.2f}); "
                f"load {os.getloadavg()[0]:.1f}"
            )


if __name__ == "__main__":
    main()
