"""Reports on a small known book, on a backend of its own: exact figures per currency."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.support.backend import LiveBackend


def _pay(backend: LiveBackend, case: dict[str, Any], amount: str) -> None:
    paid = backend.admin(
        "POST",
        f"/recovery-cases/{case['id']}/payments",
        json={"amount": amount, "currency": case["currency"]},
    )
    assert paid.status_code in (200, 201), paid.text


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def book(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> tuple[LiveBackend, date]:
    backend = backend_factory(request.param)
    today = datetime.now(UTC).date()
    customer = backend.new_customer(name='=HYPERLINK("http://x")')["id"]

    def case(amount: str, days_past_due: int, currency: str = "USD") -> dict[str, Any]:
        due = (today - timedelta(days=days_past_due)).isoformat()
        return backend.new_case(customer, amount=amount, currency=currency, dueDate=due)

    case("1000.00", -5)  # current
    _pay(backend, case("200.00", 10), "50.00")  # 1-30: 150.00 left
    case("300.00", 45)  # 31-60
    case("400.00", 90)  # 61-90 (upper edge)
    case("500.00", 91)  # 90+ (lower edge)
    _pay(backend, case("250.00", 20), "250.00")  # paid in full: resolved
    written_off = case("100.00", 30)
    patched = backend.admin(
        "PATCH", f"/recovery-cases/{written_off['id']}",
        json={"status": "WRITTEN_OFF", "reason": "customer insolvent"},
    )
    assert patched.status_code == 200, patched.text
    _pay(backend, case("0.10", 1, "EUR"), "0.05")
    case("0.20", 0, "EUR")
    case("1000", 100, "JPY")
    case("1.234", 31, "KWD")
    return backend, today


def _summary(backend: LiveBackend, **params: str) -> dict[str, Any]:
    answer = backend.admin("GET", "/reports/summary", params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_summary_figures_are_exact(book: tuple[LiveBackend, date]) -> None:
    backend, today = book
    answer = backend.admin("GET", "/reports/summary", params={"asOf": today.isoformat()})
    body = answer.json()
    assert body["asOf"] == today.isoformat() and body["from"] is None
    assert {"recoveryRate", "daysSalesOutstanding", "aging"} <= body["definitions"].keys()
    by = {c["currency"]: c for c in body["currencies"]}
    assert list(by) == ["EUR", "JPY", "KWD", "USD"]

    usd = by["USD"]
    assert [(b["bucket"], b["count"]) for b in usd["aging"]] == [
        ("current", 1),
        ("1-30", 1),
        ("31-60", 1),
        ("61-90", 1),
        ("90+", 1),
    ]
    # Exact JSON numbers with the currency's minor units.
    assert '"bucket":"1-30","minDaysPastDue":1,"maxDaysPastDue":30,"count":1,"amount":150.00' in (
        answer.text
    )
    assert [str(b["amount"]) for b in usd["aging"]] == [
        "1000.0",
        "150.0",
        "300.0",
        "400.0",
        "500.0",
    ]
    assert usd["outstanding"] == {"count": 5, "amount": 2350}
    assert usd["cases"] == 7
    assert usd["billed"] == 2750 and usd["amountRecovered"] == 300
    assert usd["amountWrittenOff"] == 100
    assert usd["recoveryRate"] == pytest.approx(0.1091)  # 300 / 2750, 4 places
    assert '"recoveryRate":0.1091' in answer.text
    # billed on the invoice's issue date; opened without one, the earlier of today and the
    # due date: the cases due 90 and 91 days ago were not billed in the last 90 days
    assert usd["billedLast90Days"] == 1850
    assert '"daysSalesOutstanding":114.3' in answer.text  # 2350 / 1850 x 90

    eur = by["EUR"]
    assert '"currency":"EUR","cases":2' in answer.text
    assert [(b["bucket"], b["count"]) for b in eur["aging"] if b["count"]] == [
        ("current", 1),
        ("1-30", 1),
    ]
    assert '"outstanding":{"count":2,"amount":0.25}' in answer.text  # 0.05 + 0.20, no float dust
    assert '"billed":0.30,"amountRecovered":0.05' in answer.text
    assert '"recoveryRate":0.1667' in answer.text
    assert '"amount":1000}' in answer.text and by["JPY"]["aging"][4]["count"] == 1
    assert '"billed":1.234' in answer.text and by["KWD"]["aging"][2]["amount"] == 1.234


def test_as_of_and_period(book: tuple[LiveBackend, date]) -> None:
    backend, today = book
    yesterday = (today - timedelta(days=1)).isoformat()
    assert _summary(backend, asOf=yesterday)["currencies"] == []  # the book did not exist yet
    later = _summary(backend, asOf=(today + timedelta(days=10)).isoformat())
    usd = {c["currency"]: c for c in later["currencies"]}["USD"]
    assert [b["count"] for b in usd["aging"]] == [0, 2, 1, 0, 2]  # everything aged ten days
    assert usd["outstanding"]["amount"] == 2350
    in_period = _summary(backend, asOf=today.isoformat(), **{"from": today.isoformat()})
    assert in_period["from"] == today.isoformat() and in_period["currencies"]
    bad = backend.admin(
        "GET", "/reports/summary", params={"asOf": yesterday, "from": today.isoformat()}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "from"
    invalid = backend.admin("GET", "/reports/summary", params={"asOf": "2024-13-01"})
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "asOf"


def test_cases_csv(book: tuple[LiveBackend, date]) -> None:
    backend, today = book
    answer = backend.admin("GET", "/reports/cases.csv", params={"asOf": today.isoformat()})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 11
    partly_paid = next(r for r in rows if r["amount"] == "200.00")
    assert (partly_paid["amountPaid"], partly_paid["amountOutstanding"]) == ("50.00", "150.00")
    assert (partly_paid["daysPastDue"], partly_paid["agingBucket"]) == ("10", "1-30")
    assert all(r["customerName"].startswith("'=") for r in rows)  # no formula injection
    agent = {"Authorization": f"Bearer {backend.agent_key}"}
    import httpx

    as_agent = httpx.get(backend.base_url + "/api/v1/reports/summary", headers=agent)
    assert as_agent.status_code == 200


def test_by_collector_promises_and_the_worklist_behind_an_aging_bucket(
    book: tuple[LiveBackend, date],
) -> None:
    backend, _today = book
    usd = next(c for c in _summary(backend)["currencies"] if c["currency"] == "USD")
    assert usd["byCollector"] == [{"assigneeUserId": None, "count": 5, "amount": 2350.0}]
    assert usd["promises"] == {"kept": 0, "broken": 0, "pending": 0}
    for bucket in usd["aging"]:  # each bar's cases: the worklist filtered to that bucket
        listed = backend.admin(
            "GET", "/worklist", params={"currency": "USD", "aging": bucket["bucket"]}
        )
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == bucket["count"], bucket
    refused = backend.admin("GET", "/worklist", params={"aging": "7-8"})
    assert refused.status_code == 422
