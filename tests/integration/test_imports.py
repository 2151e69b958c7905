"""Imports of customers and open invoices (issue 16, item 1) through `POST /api/v1/imports`
with real files: CSV in UTF-8, UTF-8 with BOM and Windows-1252 with `;` and decimal commas,
XLSX written by openpyxl; counts, upserts, idempotent re-import, every bad-row class with its
line, a file cut off mid-row; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine, text

from tests.support.backend import LiveBackend, wait_until

DONE = ("COMPLETED", "FAILED")


def _import(
    backend: LiveBackend, data: bytes, name: str = "book.csv", *, dry_run: bool = False,
    mapping: str | None = None,
) -> dict[str, Any]:
    response = _post(backend, data, name, dry_run=dry_run, mapping=mapping)
    assert response.status_code == 202, response.text
    first: dict[str, Any] = response.json()
    assert set(first) >= {"id", "status", "counts", "errors"}

    def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = backend.admin("GET", f"/imports/{first['id']}").json()
        return body if body["status"] in DONE else None

    result: dict[str, Any] = wait_until(finished, timeout=60, message="import finished")
    return result


def _post(
    backend: LiveBackend, data: bytes, name: str, *, dry_run: bool = False,
    mapping: str | None = None,
) -> httpx.Response:
    params = {"dryRun": "true"} if dry_run else {}
    form = {"mapping": mapping} if mapping else {}
    return backend.admin(
        "POST", "/imports", files={"file": (name, data)}, params=params, data=form
    )


def _counts(result: dict[str, Any]) -> tuple[int, int, int, int]:
    c = result["counts"]
    return c["created"], c["updated"], c["unchanged"], c["failed"]


def test_windows_1252_semicolons_decimal_commas_upserts_and_reimport(
    backend: LiveBackend,
) -> None:
    tag = secrets.token_hex(4)
    header = "Kundennr;Kunde;E-Mail;Telefon;Land;Rechnungsnummer;Rechnungsdatum;Fälligkeit;" \
             "Betrag;Währung;Bezahlt\r\n"
    rows = [
        f"K{tag}1;Müller GmbH {tag};info{tag}@müller.de;030 1234567;DE;R{tag}-1;01.11.2026;"
        "31.12.2026;1.234,56;EUR;0\r\n",
        f"K{tag}1;Müller GmbH {tag};info{tag}@müller.de;030 1234567;DE;R{tag}-2;01.11.2026;"
        "15.12.2026;99,50;EUR;99,50\r\n",
        f"K{tag}2;Bäckerei {tag};b{tag}@example.de;;DE;R{tag}-3;02.11.2026;20.12.2026;"
        "10,00;EUR;\r\n",
    ]
    data = (header + "".join(rows)).encode("cp1252")
    first = _import(backend, data, "offene-posten.csv")
    assert first["status"] == "COMPLETED", first
    assert _counts(first) == (3, 0, 0, 0), first
    assert "Windows-1252" in first["format"] and "';'" in first["format"]
    mueller, baker = f"info{tag}@müller.de", f"b{tag}@example.de"
    found = _find(backend, mueller, f"R{tag}-1")
    assert found["amount"] == 1234.56 or str(found["amount"]) == "1234.56"
    assert found["dueDate"] == "2026-12-31"
    assert found["customer"]["phone"] == "+49301234567"
    assert found["customer"]["email"] == mueller
    assert _find(backend, mueller, f"R{tag}-2")["status"] == "RESOLVED"  # paid in full

    again = _import(backend, data, "offene-posten.csv")
    assert _counts(again) == (0, 0, 3, 0), again

    changed = data.replace(b"1.234,56", b"1.300,00").replace(b"20.12.2026;10,00;EUR;",
                                                             b"20.12.2026;10,00;EUR;4,00")
    third = _import(backend, changed, "offene-posten.csv")
    assert _counts(third) == (0, 2, 1, 0), third
    edited = _find(backend, mueller, f"R{tag}-1")
    assert str(edited["amount"]) in ("1300", "1300.0", "1300.00")
    assert "case.edited" in str(edited)  # on the audit trail, with the line as the reason
    assert str(_find(backend, baker, f"R{tag}-3")["amountPaid"]) in ("4", "4.0", "4.00")


def _find(backend: LiveBackend, email: str, invoice: str) -> dict[str, Any]:
    people = backend.admin("GET", "/customers", params={"email": email}).json()
    for person in people["customers"]:
        listed = backend.admin("GET", "/recovery-cases", params={"customerId": person["id"]})
        for case in listed.json()["cases"]:
            if case["invoiceNumber"] == invoice:
                full: dict[str, Any] = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
                return full
    raise AssertionError(f"no case for {email} {invoice}: {people}")


def test_utf8_bom_us_locale_and_every_bad_row_class_with_its_line(backend: LiveBackend) -> None:
    tag = secrets.token_hex(4)
    lines = [
        "customer_id,name,email,phone,country,invoice,invoice date,due date,amount,currency,"
        "amount paid,external id",
        f'C{tag},"Acme, Inc. {tag}",ap{tag}@acme.example,(202) 555-0143,US,A{tag}-1,'
        f'12/01/2026,12/31/2026,"1,234.56",USD,,X{tag}-1',
        f"C{tag},Acme {tag},ap{tag}@acme.example,,US,A{tag}-2,12/01/2026,12/13/2026,abc,USD,,",
        f"C{tag},Acme {tag},ap{tag}@acme.example,,US,A{tag}-3,12/01/2026,13/45/2026,5.00,USD,,",
        f"C{tag},Acme {tag},ap{tag}@acme.example,,US,A{tag}-4,12/01/2026,12/31/2026,5.00,XXY,,",
        f"C{tag},Acme {tag},not-an-email,,US,A{tag}-5,12/01/2026,12/31/2026,5.00,USD,,",
        f"C{tag},Acme {tag},ap{tag}@acme.example,12,US,A{tag}-6,12/01/2026,12/31/2026,5.00,USD,,",
        f"C{tag},Acme {tag},ap{tag}@acme.example,,US,,12/01/2026,12/31/2026,5.00,USD,,",
        f"C{tag},Acme {tag},ap{tag}@acme.example,,US,A{tag}-8,12/01/2026,12/31/2026,5.00,USD,9.00,",
        f"C{tag},Acme {tag},ap{tag}@acme.example,,US,A{tag}-9,12/01/2026,12/31/2026,-5.00,USD,,",
        f"C{tag},Acme {tag},ap{tag}@acme.example,,US,A{tag}-10,12/01/2026",
        f"C{tag},,ap{tag}@acme.example,,US,A{tag}-11,12/01/2026,12/31/2026,5.00,USD,,",
        f"C{tag},Acme {tag},ap{tag}@acme.example,,US,A{tag}-12,12/01/2026,12/31/2026,5.00,USD,,",
    ]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")
    result = _import(backend, data, "open-items.csv")
    assert result["status"] == "COMPLETED", result
    assert "UTF-8 with BOM" in result["format"] and "month/day" in result["format"]
    assert _counts(result) == (2, 0, 0, 10), result["errors"]
    by_line = {e["line"]: e["message"] for e in result["errors"]}
    assert sorted(by_line) == list(range(3, 13)), by_line
    expected = {3: "amount", 4: "date", 5: "currency", 6: "email", 7: "phone",
                8: "invoice_number", 9: "amount_paid", 10: "amount", 11: "columns",
                12: "customer_name"}
    for line, word in expected.items():
        assert word in by_line[line], (line, by_line[line])
    case = _find(backend, f"ap{tag}@acme.example", f"A{tag}-1")
    assert str(case["amount"]) in ("1234.56",) and case["dueDate"] == "2026-12-31"
    assert case["customer"]["phone"] == "+12025550143"
    assert case["customer"]["name"] == f"Acme {tag}"  # the later row's name, one customer


def test_file_cut_off_mid_row_keeps_the_whole_rows_only(backend: LiveBackend) -> None:
    tag = secrets.token_hex(4)
    head = "name,email,invoice number,due date,amount,currency\n"
    body = "".join(
        f"Cut {tag},cut{tag}@example.com,C{tag}-{n},2026-12-31,{n}0.00,EUR\n" for n in range(1, 4)
    )
    whole = (head + body).encode()
    cut = whole + f"Cut {tag},cut{tag}@example.com,C{tag}-4,2026-12-31,12".encode()
    result = _import(backend, cut, "cut.csv")
    assert _counts(result) == (3, 0, 0, 1), result
    assert result["errors"][0]["line"] == 5 and "mid-row" in result["errors"][0]["message"]
    people = backend.admin("GET", "/customers", params={"email": f"cut{tag}@example.com"}).json()
    cases = backend.admin(
        "GET", "/recovery-cases", params={"customerId": people["customers"][0]["id"]}
    ).json()["cases"]
    assert sorted(c["invoiceNumber"] for c in cases) == [f"C{tag}-{n}" for n in (1, 2, 3)]
    quoted = whole + f'Cut {tag},cut{tag}@example.com,"C{tag}-5,2026'.encode()
    again = _import(backend, quoted, "cut.csv")
    assert _counts(again) == (0, 0, 3, 1), again
    assert again["errors"][0]["line"] == 5


def test_xlsx_dry_run_then_run_and_mapping(backend: LiveBackend) -> None:
    tag = secrets.token_hex(4)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Nº client", "Nom", "Courriel", "Nº facture", "Échéance", "Montant TTC",
                  "Devise", "Langue", "Pays"])
    sheet.append([f"F{tag}", f"Dupont {tag}", f"d{tag}@example.fr", f"F{tag}-1",
                  date(2026, 12, 31), 1234.56, "EUR", "fr", "FR"])
    sheet.append([f"F{tag}", f"Dupont {tag}", f"d{tag}@example.fr", f"F{tag}-2",
                  "31/12/2026", "99,90", "EUR", "fr", "FR"])
    out = io.BytesIO()
    book.save(out)
    data = out.getvalue()
    dry = _import(backend, data, "factures.xlsx", dry_run=True)
    assert dry["status"] == "COMPLETED" and dry["format"].startswith("XLSX")
    assert _counts(dry) == (2, 0, 0, 0), dry
    listed = backend.admin("GET", "/customers", params={"email": f"d{tag}@example.fr"}).json()
    assert listed["customers"] == []  # validated only
    done = _import(backend, data, "factures.xlsx", mapping='{"decimal": ","}')
    assert _counts(done) == (2, 0, 0, 0), done
    case = _find(backend, f"d{tag}@example.fr", f"F{tag}-1")
    assert str(case["amount"]) == "1234.56"
    assert case["customer"]["locale"] == "fr_FR"
    assert case["customer"]["timezone"] == "Europe/Paris"
    assert str(_find(backend, f"d{tag}@example.fr", f"F{tag}-2")["amount"]) == "99.9"
    assert _counts(_import(backend, data, "factures.xlsx")) == (0, 0, 2, 0)

    # a header the aliases do not know, named by a mapping
    odd = f"Wer;Was;Wann;Wieviel;Geld\nM {tag};M{tag}-1;31.12.2026;5,00;EUR\n".encode()
    refused = _post(backend, odd, "odd.csv")
    assert refused.status_code == 422 and "no column" in refused.text
    mapping = ('{"columns": {"Wer": "customer_name", "Was": "invoice_number", '
               '"Wann": "due_date", "Wieviel": "amount", "Geld": "currency"}}')
    assert _counts(_import(backend, odd, "odd.csv", mapping=mapping)) == (1, 0, 0, 0)
    assert _post(backend, b"", "empty.csv").status_code == 422
    assert _post(backend, b"PK\x03\x04junk", "x.xlsx").status_code == 422
    assert backend.admin("GET", "/imports/imp_missing").status_code == 404


def test_cli_import_file_with_progress_and_summary(tmp_path: Any) -> None:
    import json
    import os
    import subprocess
    import sys

    book = tmp_path / "book.csv"
    book.write_bytes(b"name;invoice;due date;amount;currency\nA;1;31.12.2026;1.234,56;EUR\n"
                     b"B;2;31.13.2026;5,00;EUR\n")
    env = {**os.environ, "PAYREC_SECRET_KEY": "cli-test-key",
           "PAYREC_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
           "PAYREC_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "payrec", "import", str(book)]
    dry = subprocess.run([*command, "--dry-run"], env=env, capture_output=True, text=True,
                         timeout=120, check=False)
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["counts"]["failed"] == 1
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    summary = json.loads(done.stdout)
    assert (summary["counts"]["created"], summary["counts"]["failed"]) == (1, 1)
    assert "2/2 rows" in done.stderr and "line 3: date" in done.stderr
    assert "1 created, 0 updated, 0 unchanged, 1 failed" in done.stderr


def test_imported_cases_are_announced_to_webhook_endpoints(
    backend_factory: Callable[..., LiveBackend],
) -> None:
    """Cases an import opens go to the outbox as `case.created`, as the API's do."""
    backend = backend_factory("sqlite", env={"PAYREC_WEBHOOK_ALLOW_PRIVATE": "true"})
    tag = secrets.token_hex(4)
    made = backend.admin("POST", "/webhook-endpoints",
                         json={"url": "http://127.0.0.1:9/hook", "events": ["case.created"]})
    assert made.status_code == 201, made.text
    endpoint = made.json()["id"]
    data = f"name,invoice,due date,amount,currency\nHook {tag},H{tag},2026-12-31,5.00,EUR\n"
    assert _counts(_import(backend, data.encode(), "hook.csv")) == (1, 0, 0, 0)
    deliveries = backend.admin("GET", f"/webhook-endpoints/{endpoint}/deliveries").json()
    assert any(d["type"] == "case.created" for d in deliveries["deliveries"]), deliveries
    backend.admin("DELETE", f"/webhook-endpoints/{endpoint}")


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_finished_imports_files_are_dropped_after_the_retention(
    backend_factory: Callable[..., LiveBackend], kind: str
) -> None:
    """A validated (dry-run) import keeps its uploaded file so it can be run from the page;
    past PAYREC_IMPORT_FILE_RETENTION_HOURS (here 0) the sweeper drops it, the import's
    report stays; a completed run keeps no file at all."""
    backend = backend_factory(
        kind, env={"PAYREC_IMPORT_FILE_RETENTION_HOURS": "0", "PAYREC_SWEEP_SECONDS": "0.5"}
    )
    tag = secrets.token_hex(4)
    data = f"name,invoice,due date,amount,currency\nKeep {tag},K{tag},2026-12-31,5.00,EUR\n"
    dry = _import(backend, data.encode(), "keep.csv", dry_run=True)
    done = _import(backend, data.encode(), "keep.csv")
    engine = create_engine(backend.db_url)

    def dropped() -> dict[str, int] | None:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, length(content) FROM imports WHERE id IN (:a, :b)"),
                {"a": dry["id"], "b": done["id"]},
            ).all()
        sizes = {str(row[0]): int(row[1]) for row in rows}
        return None if any(sizes.values()) else sizes

    try:
        sizes = wait_until(dropped, timeout=30, message="the finished imports' files dropped")
    finally:
        engine.dispose()
    assert sizes == {dry["id"]: 0, done["id"]: 0}
    assert _counts(backend.admin("GET", f"/imports/{dry['id']}").json()) == (1, 0, 0, 0)


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_an_import_whose_backend_dies_is_finished_by_another_exactly_once(
    backend_factory: Callable[..., LiveBackend], kind: str
) -> None:
    """The backend running an import is killed between chunks; once its lease has run out
    (set back here instead of waiting its two minutes) another backend on the same database
    carries the job on from the last chunk written: every row in once, none twice."""
    first = backend_factory(kind)
    tag = secrets.token_hex(4)
    rows = 6000
    data = "name,email,invoice number,due date,amount,currency\n" + "".join(
        f"Die {tag} {n % 300},d{n % 300}.{tag}@example.com,D{tag}-{n},2026-12-31,{n}.50,EUR\n"
        for n in range(rows)
    )
    posted = _post(first, data.encode(), "die.csv")
    assert posted.status_code == 202, posted.text
    job_id = posted.json()["id"]
    engine = create_engine(first.db_url)

    def job() -> tuple[str, int]:
        with engine.connect() as connection:
            status, done = connection.execute(
                text("SELECT status, rows_done FROM imports WHERE id = :id"), {"id": job_id}
            ).one()
        return str(status), int(done)

    try:
        wait_until(lambda: job()[1] > 0, timeout=60, message="the first chunk written")
        first.kill()
        status, done = job()
        assert status == "RUNNING" and 0 < done < rows, (status, done)
        with engine.begin() as connection:  # its lease runs out
            connection.execute(
                text("UPDATE imports SET lease_until = :past WHERE id = :id"),
                {"past": datetime(2000, 1, 1, tzinfo=UTC), "id": job_id},
            )
        second = backend_factory(db_url=first.db_url, env={"PAYREC_SWEEP_SECONDS": "0.5"})
        result: dict[str, Any] = wait_until(
            lambda: (b := second.admin("GET", f"/imports/{job_id}").json())["status"] in DONE
            and b,
            timeout=90,
            message="the other backend finishes the import",
        )
        assert result["status"] == "COMPLETED" and _counts(result) == (rows, 0, 0, 0), result
        with engine.connect() as connection:
            stored = connection.execute(
                text(
                    "SELECT count(*), count(DISTINCT invoice_number) FROM recovery_cases"
                    " WHERE invoice_number LIKE :tag"
                ),
                {"tag": f"D{tag}-%"},
            ).one()
    finally:
        engine.dispose()
    assert tuple(stored) == (rows, rows)
