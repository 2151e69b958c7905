"""Bank statements (issue 15, item 4): camt.053/054 and CSV credits matched to cases by RF
reference, invoice number or exact amount; imported twice, recorded once; hostile files
refused with nothing recorded; the unsure ones wait in the unmatched list."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx

from tests.support.backend import LiveBackend
from tests.support.camt import Credit, camt053, camt054
from tests.support.workspace import AppClient, create_user


def _upload(backend: LiveBackend, data: bytes, name: str = "statement.xml") -> httpx.Response:
    return backend.admin("POST", "/bank-statements", files={"file": (name, data)})


def _case(backend: LiveBackend, customer_id: str | None = None, **fields: Any) -> dict[str, Any]:
    return backend.new_case(customer_id, **{"currency": "EUR", "amount": "300.00", **fields})


def _payments(backend: LiveBackend, case_id: str) -> list[dict[str, Any]]:
    listed = backend.admin("GET", f"/recovery-cases/{case_id}/payments").json()
    payments: list[dict[str, Any]] = listed["payments"]
    return payments


def _ref() -> str:
    return "BANK-" + secrets.token_hex(6)


def test_rf_reference_settles_the_case_once(backend: LiveBackend) -> None:
    case = _case(backend)
    rf = case["creditorReference"]
    assert rf.startswith("RF") and len(rf) == 24
    statement = camt053([
        Credit("300.00", "EUR", reference=rf, debtor="Someone Else", entry_ref=_ref()),
        Credit("12.00", "EUR", remittance=f"fee {rf}", debit=True, entry_ref=_ref()),
    ])
    first = _upload(backend, statement)
    assert first.status_code == 201, first.text
    summary = first.json()
    assert (summary["entries"], summary["credits"], summary["matched"]) == (2, 1, 1)
    assert summary["results"][0]["matchedBy"] == "reference"
    detail = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    assert detail["status"] == "RESOLVED"
    again = _upload(backend, statement).json()
    assert (again["matched"], again["duplicates"]) == (0, 1)
    payments = _payments(backend, case["id"])
    assert len(payments) == 1 and payments[0]["reference"] == statement_ref(statement)


def statement_ref(statement: bytes) -> str:
    return statement.decode().split("<AcctSvcrRef>")[1].split("<")[0]


def test_rf_in_free_text_invoice_number_and_exact_amount(backend: LiveBackend) -> None:
    by_text = _case(backend)
    by_invoice = _case(backend)
    payer = backend.new_customer(name=f"Payer {secrets.token_hex(4)}")
    by_amount = _case(backend, customer_id=payer["id"], amount="77.70")
    _case(backend, customer_id=payer["id"], amount="500.00")  # same payer, another amount
    rf_spaced = " ".join(by_text["creditorReference"][i:i + 4] for i in range(0, 24, 4))
    body = camt054([
        Credit("100.00", "EUR", remittance=f"Zahlung {rf_spaced} danke", entry_ref=_ref()),
        Credit("300.00", "EUR", remittance=f"Invoice {by_invoice['invoiceNumber']}",
               entry_ref=_ref()),
        Credit("77.70", "EUR", remittance="thanks", debtor=payer["name"].upper()),
    ])
    summary = _upload(backend, body, "notification.xml").json()
    assert [r["matchedBy"] for r in summary["results"]] == ["reference", "invoice", "amount"]
    assert [r["recoveryCaseId"] for r in summary["results"]] == [
        by_text["id"], by_invoice["id"], by_amount["id"]]
    partial = backend.admin("GET", f"/recovery-cases/{by_text['id']}").json(parse_float=Decimal)
    assert partial["amountOutstanding"] == Decimal("200.00")
    assert _upload(backend, body, "notification.xml").json()["duplicates"] == 3


def test_hostile_and_malformed_files_record_nothing(backend: LiveBackend) -> None:
    case = _case(backend)
    good = Credit("300.00", "EUR", reference=case["creditorReference"], entry_ref=_ref())
    hostile = [
        camt053([good], prolog='<!DOCTYPE Document [<!ENTITY x "y">]>'),
        camt053([good], prolog='<!DOCTYPE Document SYSTEM "http://127.0.0.1:9/d.dtd">'),
        camt053([good])[:-30],
        b"amount;currency\nlots;EUR\n",
    ]
    for data in hostile:
        refused = _upload(backend, data)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["type"].endswith("/bad-bank-statement")
    huge = _upload(backend, b"<" + b" " * (20 * 1024 * 1024 + 1))
    assert huge.status_code == 413, huge.text
    assert _payments(backend, case["id"]) == []
    entries = backend.admin("GET", "/bank-statements/unmatched?limit=500").json()["entries"]
    assert good.entry_ref not in {e["reference"] for e in entries}


def test_csv_unmatched_suggestions_assign_and_dismiss(backend: LiveBackend) -> None:
    payer = backend.new_customer(name=f"Twin Payer {secrets.token_hex(4)}")
    one = _case(backend, customer_id=payer["id"], amount="40.00")
    _case(backend, customer_id=payer["id"], amount="40.00")
    ref_a, ref_b = _ref(), _ref()
    csv_text = (
        "date,amount,currency,purpose,payer,iban,reference\n"
        f"2026-12-01,40.00,EUR,december,{payer['name']},,{ref_a}\n"
        f"2026-12-01,15.00,EUR,supplier refund,Other Ltd,,{ref_b}\n"
    )
    summary = _upload(backend, csv_text.encode(), "export.csv").json()
    assert (summary["matched"], summary["unmatched"]) == (0, 2)
    listed = backend.admin("GET", "/bank-statements/unmatched?limit=500").json()["entries"]
    waiting = {e["reference"]: e for e in listed}
    twin = waiting[ref_a]
    assert one["id"] in [s["recoveryCaseId"] for s in twin["suggestions"]]
    assert "several open cases" in twin["reason"]
    assigned = backend.admin(
        "POST", f"/bank-statements/unmatched/{twin['id']}/assign",
        json={"recoveryCaseId": one["id"]},
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status"] == "ASSIGNED"
    assert backend.admin("GET", f"/recovery-cases/{one['id']}").json()["status"] == "RESOLVED"
    twice = backend.admin(
        "POST", f"/bank-statements/unmatched/{twin['id']}/assign",
        json={"recoveryCaseId": one["id"]},
    )
    assert twice.status_code == 409
    dismissed = backend.admin(
        "POST", f"/bank-statements/unmatched/{waiting[ref_b]['id']}/dismiss",
        json={"reason": "not a customer"},
    )
    assert dismissed.status_code == 200 and dismissed.json()["status"] == "DISMISSED"
    left = {e["reference"] for e in
            backend.admin("GET", "/bank-statements/unmatched?limit=500").json()["entries"]}
    assert not {ref_a, ref_b} & left
    assert len(_payments(backend, one["id"])) == 1


def test_the_cli_imports_a_statement(backend: LiveBackend, tmp_path: Any) -> None:
    case = _case(backend)
    path = tmp_path / "stmt.xml"
    path.write_bytes(camt053([Credit("300.00", "EUR", reference=case["creditorReference"],
                                     entry_ref=_ref())]))
    env = {**os.environ, "PAYREC_DATABASE_URL": backend.db_url}
    run = [sys.executable, "-m", "payrec", "import", "bank-statement", str(path)]
    done = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1])["matched"] == 1
    again = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120)
    assert json.loads(again.stdout.strip().splitlines()[-1])["duplicates"] == 1
    assert backend.admin("GET", f"/recovery-cases/{case['id']}").json()["status"] == "RESOLVED"
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>')
    refused = subprocess.run([*run[:-1], str(bad)], env=env, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 2 and "XML refused" in refused.stderr


def test_the_workspace_lists_unmatched_payments_and_assigns_one(backend: LiveBackend) -> None:
    payer = backend.new_customer(name=f"Page Payer {secrets.token_hex(4)}")
    case = _case(backend, customer_id=payer["id"], amount="61.00")
    _case(backend, customer_id=payer["id"], amount="61.00")
    ref = _ref()
    _upload(backend, camt053([Credit("61.00", "EUR", debtor=payer["name"], entry_ref=ref,
                                     remittance="<script>x</script>")]))
    with AppClient(backend).signed_in_as(create_user(backend)) as app:
        page = app.get("/app/bank/unmatched")
        assert page.status_code == 200, page.text
        assert ref in page.text and case["id"] in page.text
        assert "<script>x</script>" not in page.text  # escaped
        entry_id = re.search(rf'/app/bank/unmatched/([\w-]+)/assign"[^<]*<input[^>]*>\s*'
                             rf'<input type="hidden" name="recoveryCaseId" value="{case["id"]}"',
                             page.text)
        assert entry_id, page.text
        path = f"/app/bank/unmatched/{entry_id.group(1)}/assign"
        forged = app.post(path, {"recoveryCaseId": case["id"]}, csrf=False)
        assert forged.status_code == 403
        assert backend.admin("GET", f"/recovery-cases/{case['id']}").json()["status"] != "RESOLVED"
        done = app.post(path, {"recoveryCaseId": case["id"]})
        assert done.status_code == 303, done.text
        assert ref not in app.get("/app/bank/unmatched").text
    assert backend.admin("GET", f"/recovery-cases/{case['id']}").json()["status"] == "RESOLVED"


def test_concurrent_imports_of_one_statement_record_once(backend: LiveBackend) -> None:
    case = _case(backend)
    statement = camt053([Credit("300.00", "EUR", reference=case["creditorReference"],
                                entry_ref=_ref())])
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: _upload(backend, statement), range(4)))
    assert {a.status_code for a in answers} <= {201, 409}, [a.text for a in answers]
    assert sum(a.json()["matched"] for a in answers if a.status_code == 201) == 1
    assert len(_payments(backend, case["id"])) == 1
