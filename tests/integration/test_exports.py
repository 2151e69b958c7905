"""Exports (issue 16, item 3): cases, payments, reminders sent and the audit trail as CSV and
XLSX for a date range, streamed, ADMIN only; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta

from openpyxl import load_workbook

from tests.support.backend import LiveBackend


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_cases_payments_audit_as_csv_and_xlsx(backend: LiveBackend) -> None:
    tag = secrets.token_hex(4)
    customer = backend.new_customer(name=f"Export {tag}")
    case = backend.new_case(customer["id"], amount="1234.50", currency="EUR",
                            invoiceNumber=f"E{tag}")
    paid = backend.admin("POST", f"/recovery-cases/{case['id']}/payments",
                         json={"amount": "34.50", "currency": "EUR", "reference": f"P{tag}"})
    assert paid.status_code in (200, 201), paid.text
    today = _today()

    response = backend.admin("GET", "/exports/cases", params={"from": today, "to": today})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    mine = [r for r in rows if r["invoice_number"] == f"E{tag}"]
    assert len(mine) == 1
    assert (mine[0]["amount"], mine[0]["amount_paid"], mine[0]["currency"]) == (
        "1234.50", "34.50", "EUR")
    assert mine[0]["customer_name"] == f"Export {tag}"

    payments = backend.admin("GET", "/exports/payments",
                             params={"from": today, "to": today}).content.decode("utf-8-sig")
    assert f"P{tag}" in payments and "34.50" in payments

    audit = backend.admin("GET", "/exports/audit", params={"from": today, "to": today,
                                                           "format": "xlsx"})
    assert audit.status_code == 200
    sheet = load_workbook(io.BytesIO(audit.content), read_only=True).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:6] == ("id", "at", "actor", "service_name", "request_id", "action")
    assert any(row[8] == case["id"] and row[5] == "case.created" for row in values[1:])

    xlsx = backend.admin("GET", "/exports/cases", params={"from": today, "format": "xlsx"})
    rows_x = list(load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
                  .iter_rows(values_only=True))
    assert any(r[6] == f"E{tag}" and r[9] == "1234.50" for r in rows_x[1:])

    reminders = backend.admin("GET", "/exports/reminders", params={"to": today})
    assert reminders.content.decode("utf-8-sig").startswith("id,recovery_case_id")

    yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    empty = backend.admin("GET", "/exports/cases", params={"from": yesterday, "to": yesterday})
    assert f"E{tag}" not in empty.text


def test_bad_ranges_and_roles(backend: LiveBackend) -> None:
    bad = backend.admin("GET", "/exports/cases", params={"from": "2026-12-02", "to": "2026-12-01"})
    assert bad.status_code == 422
    assert backend.admin("GET", "/exports/nothing").status_code in (404, 422)
    assert backend.admin("GET", "/exports/cases", params={"format": "pdf"}).status_code == 422
    anonymous = backend.http.get(backend.base_url + "/api/v1/exports/cases")
    assert anonymous.status_code == 401
    automation = backend.http.get(backend.base_url + "/api/v1/exports/cases",
                                  headers={"Authorization": f"Bearer {backend.automation_key}"})
    assert automation.status_code == 403


def test_cases_carry_their_late_charges_and_the_charges_export_their_lines(
    backend: LiveBackend,
) -> None:
    tag = secrets.token_hex(4)
    policy = backend.admin("POST", "/policies", json={
        "id": f"exp-{tag}", "name": "Custom interest",
        "steps": [{"offsetDays": 1, "channel": "EMAIL", "templateId": "reminder-1"}],
        "lateCharges": {"scheme": "CUSTOM", "annualRate": "10", "compensation": "40"}})
    assert policy.status_code == 201, policy.text
    customer = backend.new_customer(name=f"Late {tag}", policyId=f"exp-{tag}")
    due = datetime.now(UTC).date() - timedelta(days=45)
    backend.new_case(customer["id"], amount="1000.00", currency="EUR", invoiceNumber=f"L{tag}",
                     dueDate=due.isoformat(), issueDate=(due - timedelta(days=30)).isoformat())
    plain = backend.new_case(customer["id"], amount="80.00", currency="EUR",
                             invoiceNumber=f"N{tag}", policyId="policy-default")
    today = _today()
    # by hand: 45 days at 10 % a year on 1000.00 = 12.328… -> 12.33, and 40.00 compensation
    expected = ("1000.00", "12.33", "40.00", "0.00", "0.00", "52.33", "1052.33", "")
    columns = ("principal_outstanding", "interest", "compensation", "fees", "charges_waived",
               "charges_outstanding", "total_due", "charges_error")

    text = backend.admin("GET", "/exports/cases", params={"from": today}).content
    rows = {r["invoice_number"]: r for r in csv.DictReader(io.StringIO(text.decode("utf-8-sig")))}
    assert tuple(rows[f"L{tag}"][c] for c in columns) == expected
    assert rows[f"N{tag}"]["total_due"] == "80.00" and rows[f"N{tag}"]["interest"] == "0.00"
    assert rows[f"N{tag}"]["id"] == plain["id"]

    book = backend.admin("GET", "/exports/cases", params={"from": today, "format": "xlsx"})
    sheet = list(load_workbook(io.BytesIO(book.content), read_only=True).worksheets[0]
                 .iter_rows(values_only=True))
    header = list(sheet[0])
    mine = next(r for r in sheet[1:] if r[header.index("invoice_number")] == f"L{tag}")
    assert tuple(mine[header.index(c)] or "" for c in columns) == expected

    lines = backend.admin("GET", "/exports/charges", params={"from": today})
    assert lines.status_code == 200, lines.text
    charged = [r for r in csv.DictReader(io.StringIO(lines.content.decode("utf-8-sig")))
               if r["invoice_number"] == f"L{tag}"]
    assert {r["kind"]: r["amount"] for r in charged} == {"INTEREST": "12.33",
                                                          "COMPENSATION": "40.00"}
    interest = next(r for r in charged if r["kind"] == "INTEREST")
    assert (interest["from_date"], interest["to_date"], interest["days"], interest["base"]) == (
        (due + timedelta(days=1)).isoformat(), today, "45", "1000.00")
    assert not any(r["invoice_number"] == f"N{tag}" for r in
                   csv.DictReader(io.StringIO(lines.content.decode("utf-8-sig"))))
    xlsx = backend.admin("GET", "/exports/charges", params={"from": today, "format": "xlsx"})
    assert any(r[1] == f"L{tag}" and r[2] == "COMPENSATION" and r[10] == "40.00" for r in
               load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
               .iter_rows(values_only=True))
