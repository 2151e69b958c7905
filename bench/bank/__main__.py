"""Bank statement matching at scale: a 10,000-entry camt.053 against 100k open cases.

    python -m bench.bank [--cases 100000] [--entries 10000] [--json FILE]

On a fresh PostgreSQL database (as bench.scale: 127.0.0.1:5432) migrated by
`payrec.server.migrate`, 100k open EUR cases (50k customers, two cases each of different
amounts) are bulk-inserted, then VACUUM (ANALYZE). The statement's credits are a mix: 60 %
structured RF references, 20 % RF references in the free text, 10 % invoice numbers in the
text, 10 % only the payer's name and the exact amount.

Measured in the same run:

* parse: reading the camt.053 (defusedxml) into entries;
* payrec: `bank_statements.service.import_entries` in one transaction, as the CLI runs it:
  matching and recording every payment (case lock, payment, settlement, audit);
* bare lookups: the database work matching needs and nothing else, as bare psycopg
  queries: the duplicate check (batched), the case named by the reference, the open cases
  of an invoice number, the payer's open cases.

`statements_per_entry`: every statement payrec's import sent (`bench.sql_capture`), per
entry: the figure the machine's load does not move.

`lookup_share` = bare lookup seconds / payrec seconds (= payrec entries/s over bare lookup
entries/s): the part of payrec's time that the lookups alone need; the rest is recording
(payment, case update, settlement's cancellations, late charges, audit) and the ORM.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.backend import create_pg_database, drop_pg_database  # noqa: E402
from tests.support.camt import Credit, camt053  # noqa: E402

from bench.sql_capture import captured  # noqa: E402


def progress(message: str) -> None:
    print(f"  [bank {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def case_id(g: int) -> str:
    return f"case-{g:020x}"


def grow(url: str, cases: int) -> None:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(
            "INSERT INTO customers (id, name, email, timezone, locale, opt_out_email, "
            "opt_out_sms, version, created_at, updated_at) "
            "SELECT 'cust-b' || g, 'Payer ' || g, 'p' || g || '@example.com', 'UTC', 'de_DE', "
            "false, false, 1, now(), now() FROM generate_series(0, %s::bigint) g",
            (cases // 2,),
        )
        # amounts in ten-thousandths (the Money column): 100.00 + g % 500, odd cases +0.50
        conn.execute(
            "INSERT INTO recovery_cases (id, customer_id, invoice_number, amount, amount_paid, "
            "currency, due_date, issue_date, status, priority, priority_rank, version, "
            "created_at, updated_at) SELECT 'case-' || lpad(to_hex(g), 20, '0'), "
            "'cust-b' || (g / 2), 'B-' || g, (1000000 + (g %% 500) * 10000 + (g %% 2) * 5000), "
            "0, 'EUR', current_date - 20, current_date - 50, 'OVERDUE', 'MEDIUM', 1, 1, now(), "
            "now() FROM generate_series(0, %s::bigint) g",
            (cases - 1,),
        )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def amount_of(g: int) -> str:
    return f"{100 + g % 500 + (0.5 if g % 2 else 0):.2f}"


def statement(entries: int, cases: int) -> bytes:
    from payrec.domain.creditor_reference import for_case, printed

    step = max(cases // entries, 1)
    credits: list[Credit] = []
    for n in range(entries):
        g = (n * step) % cases
        ref = for_case(case_id(g)) or ""
        kind = n % 10
        common = {"amount": amount_of(g), "currency": "EUR", "entry_ref": f"BENCH-{n}"}
        if kind < 6:
            credits.append(Credit(reference=ref, debtor=f"Payer {g // 2}", **common))
        elif kind < 8:
            credits.append(Credit(remittance=f"Rechnung {printed(ref)} danke", **common))
        elif kind < 9:
            credits.append(Credit(remittance=f"Invoice B-{g} December", **common))
        else:
            credits.append(Credit(remittance="Zahlung", debtor=f"Payer {g // 2}", **common))
    return camt053(credits, statement_id="BENCH")


BY_ID = (
    "SELECT id, currency, amount, amount_paid, status FROM recovery_cases WHERE id = ANY(%s)"
)
BY_INVOICE = (
    "SELECT id, currency, amount, amount_paid, status FROM recovery_cases "
    "WHERE invoice_number = ANY(%s) AND status = ANY(%s)"
)
BY_PAYER = (
    "SELECT id, currency, amount, amount_paid, status FROM recovery_cases WHERE customer_id IN "
    "(SELECT id FROM customers WHERE lower(name) = %s) AND status = ANY(%s) "
    "ORDER BY due_date, id LIMIT 50"
)


def bare_lookups(url: str, entries: list[Any]) -> float:
    """Seconds for the lookups matching needs, as bare queries (one connection, prepared)."""
    import psycopg

    from payrec.domain.bank_matching import invoice_tokens, referenced_case_ids

    began = time.monotonic()
    with psycopg.connect(url) as conn:
        refs = [e.reference for e in entries]
        for start in range(0, len(refs), 500):
            conn.execute("SELECT reference FROM bank_entries WHERE reference = ANY(%s)",
                         (refs[start:start + 500],)).fetchall()
        open_ = ["OVERDUE", "IN_PROGRESS", "PENDING"]
        for e in entries:  # each rule's lookup only when the earlier ones found nothing
            ids = referenced_case_ids(e.structured_reference, e.remittance)
            if ids and conn.execute(BY_ID,
                                    (ids,), prepare=True).fetchall():
                continue
            if conn.execute(
                BY_INVOICE, (invoice_tokens(e.remittance), open_), prepare=True,
            ).fetchall():
                continue
            if e.debtor_name:
                conn.execute(
                    BY_PAYER, (e.debtor_name.lower(), open_), prepare=True,
                ).fetchall()
    return time.monotonic() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bank", description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    from payrec.bankfiles import read
    from payrec.server.actor import Actor
    from payrec.server.bank_statements import service
    from payrec.server.db import Database
    from payrec.server.migrate import upgrade

    url = create_pg_database("payrec_bank")
    report: dict[str, Any] = {"cases": args.cases, "entries": args.entries,
                              "load_average": os.getloadavg()[0]}
    try:
        upgrade(url)
        progress(f"growing the book to {args.cases:,} open cases")
        grow(url, args.cases)
        data = statement(args.entries, args.cases)
        began = time.monotonic()
        entries = read(data, "bench.xml")
        report["parse_s"] = time.monotonic() - began
        report["file_bytes"] = len(data)
        progress(f"statement: {len(data):,} bytes, parsed in {report['parse_s']:.2f}s")
        report["bare_lookups_s"] = bare_lookups(url, entries)
        progress(f"bare lookups: {report['bare_lookups_s']:.2f}s; importing through payrec")
        db = Database(url, pool_size=1)
        began = time.monotonic()
        with captured(db.engine) as statements, db.write() as session:
            summary = service.import_entries(
                session, entries, Actor(name="bench", service_name="bench"), source="bench"
            )
        report["payrec_s"] = time.monotonic() - began
        report["statements_per_entry"] = len(statements) / len(entries)
        db.dispose()
        report["matched"], report["unmatched"] = summary.matched, summary.unmatched
        report["payrec_entries_per_s"] = len(entries) / report["payrec_s"]
        report["bare_lookup_entries_per_s"] = len(entries) / report["bare_lookups_s"]
        report["lookup_share"] = report["bare_lookups_s"] / report["payrec_s"]
    finally:
        with suppress(Exception):
            drop_pg_database(url)
    print(
        f"| entries | cases | matched | parse s | payrec entries/s | bare lookups entries/s "
        f"| lookups / payrec time | statements / entry |\n|---|---|---|---|---|---|---|---|\n"
        f"| {args.entries:,} | {args.cases:,} | {report['matched']:,} | "
        f"{report['parse_s']:.2f} | {report['payrec_entries_per_s']:.0f} | "
        f"{report['bare_lookup_entries_per_s']:.0f} | {report['lookup_share']:.2f} | "
        f"{report['statements_per_entry']:.1f} |"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0 if report["matched"] == args.entries else 1


if __name__ == "__main__":
    sys.exit(main())
