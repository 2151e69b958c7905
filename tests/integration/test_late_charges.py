"""Issue 18: late charges on the real backend (SQLite and PostgreSQL): a case 45 days overdue
under EU_B2B shows the right interest and compensation on the API (the case, the pending
list, its charges), a missing reference rate is an error and never zero, a payment of the
principal alone leaves what the allocation order says outstanding, waivers are audited."""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
import orjson

from tests.support.backend import LiveBackend
from tests.support.workspace import AppClient, create_user

STEPS = [{"offsetDays": 1, "channel": "EMAIL", "templateId": "reminder-1"}]


def _json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json(parse_float=Decimal)


def _half(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _policy(backend: LiveBackend, late: dict[str, Any]) -> str:
    policy_id = f"late-{secrets.token_hex(4)}"
    _json(backend.admin("POST", "/policies", json={
        "id": policy_id, "name": "Statutory", "steps": STEPS, "lateCharges": late,
    }), 201)
    return policy_id


def _case(backend: LiveBackend, policy_id: str, due: date, **customer: Any) -> dict[str, Any]:
    fields = {"name": "Muster GmbH", "email": f"ap-{secrets.token_hex(4)}@example.com",
              "isBusiness": True, "postalAddress": "Hauptstraße 5\n80331 München\nGermany",
              "policyId": policy_id, "locale": "de_DE", "timezone": "Europe/Berlin",
              **customer}
    person = backend.new_customer(**fields)
    issued = (due - timedelta(days=30)).isoformat()
    return backend.new_case(person["id"], amount="1000.00", currency="EUR",
                            dueDate=due.isoformat(), issueDate=issued)


def _rates(backend: LiveBackend) -> dict[date, Decimal]:
    listed = _json(backend.admin("GET", "/reference-rates", params={"reference": "ECB_MRO"}))
    return {date.fromisoformat(r["validFrom"]): r["rate"] for r in listed["rates"]}


def _ensure_rates(backend: LiveBackend, since: date, until: date) -> dict[date, Decimal]:
    """Adds (as an admin would) the ECB half-years the run needs that the table lacks."""
    rates = _rates(backend)
    day = since
    while day <= until:
        if _half(day) not in rates:
            _json(backend.admin("POST", "/reference-rates", json={
                "reference": "ECB_MRO", "validFrom": _half(day).isoformat(), "rate": "2.15",
                "source": "test: ECB press release",
            }), 201)
            rates[_half(day)] = Decimal("2.15")
        day = date(day.year + (day.month > 6), 1 if day.month > 6 else 7, 1)
    return rates


def _expected_interest(rates: dict[date, Decimal], due: date, today: date) -> Decimal:
    # by hand: each day after the due date earns 1000 * (reference + 8) % / 365
    total = Decimal(0)
    day = due + timedelta(days=1)
    while day <= today:
        total += Decimal(1000) * (rates[_half(day)] + 8) / 100 / 365
        day += timedelta(days=1)
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def test_a_missing_rate_is_shown_never_zero_until_an_admin_adds_it(
    backend: LiveBackend,
) -> None:
    policy_id = _policy(backend, {"scheme": "EU_B2B"})
    case = _case(backend, policy_id, date(2031, 1, 10))
    # a future half-year has no rate: the case says so (no silent zero) ...
    seen = _json(backend.admin("GET", f"/recovery-cases/{case['id']}"))
    assert seen["charges"] == [] and seen["totalDue"] == Decimal("1000.00")
    # (not yet due: nothing to compute). A late one in an unknown half-year:
    bad = _json(backend.admin("POST", "/reference-rates", json={
        "reference": "ECB_MRO", "validFrom": "2031-03-01", "rate": "1", "source": "x"}), 422)
    assert bad["errors"][0]["field"] == "validFrom"
    refused = _json(httpx.post(f"{backend.base_url}/api/v1/reference-rates", json={
        "reference": "ECB_MRO", "validFrom": "2031-01-01", "rate": "1", "source": "x"},
        headers={"Authorization": f"Bearer {backend.agent_key}"}), 403)
    assert refused["status"] == 403  # an AGENT may not add rates


def test_eu_b2b_45_days_overdue_interest_compensation_and_principal_only_payment(
    backend: LiveBackend,
) -> None:
    today = datetime.now(UTC).date()
    due = today - timedelta(days=45)
    policy_id = _policy(backend, {"scheme": "EU_B2B"})
    case = _case(backend, policy_id, due)
    rates = _rates(backend)
    if any(_half(due + timedelta(days=n)) not in rates for n in range(1, 46)):
        shown = _json(backend.admin("GET", f"/recovery-cases/{case['id']}"))
        assert shown["lateCharges"]["errorCode"] == "reference-rate-missing"
        # a payment is never refused for a missing rate: it is recorded (at most the
        # principal meanwhile) and allocated by the scheme's order once the rate is added
        other = _case(backend, policy_id, due)
        payment = backend.admin("POST", f"/recovery-cases/{other['id']}/payments",
                                json={"amount": "1000.00", "currency": "EUR"})
        assert payment.status_code == 201, payment.text
        after = _json(backend.admin("GET", f"/recovery-cases/{other['id']}"))
        assert after["status"] != "RESOLVED"  # the charges are not known yet
        assert after["lateCharges"]["errorCode"] == "reference-rate-missing"
    rates = _ensure_rates(backend, due, today)
    interest = _expected_interest(rates, due, today)

    shown = _json(backend.admin("GET", f"/recovery-cases/{case['id']}"))
    owed = _owed_elsewhere(backend, case)
    assert owed["statement"] == owed["csv"] == (Decimal("1000.00"), interest + 40,
                                                1000 + interest + 40)
    kinds = {c["kind"]: c for c in shown["charges"]}
    assert kinds["COMPENSATION"]["amount"] == Decimal("40.00")
    assert sum(c["amount"] for c in shown["charges"] if c["kind"] == "INTEREST") == interest
    first = next(c for c in shown["charges"] if c["kind"] == "INTEREST")
    assert first["fromDate"] == (due + timedelta(days=1)).isoformat()
    assert first["rate"] == rates[_half(due + timedelta(days=1))] + 8
    assert shown["amountOutstanding"] == Decimal("1000.00")  # the principal
    assert shown["chargesOutstanding"] == interest + 40
    assert shown["totalDue"] == 1000 + interest + 40
    charges = _json(backend.admin("GET", f"/recovery-cases/{case['id']}/charges"))
    assert charges["interest"] == interest and charges["compensation"] == Decimal("40.00")

    # the rendered reminder (German, as the customer's locale) says the same figures
    rendered = _json(backend.auto("POST", f"/recovery-cases/{case['id']}/render",
                                  json={"templateId": "reminder-2", "language": "de"}))
    euro = f"{interest:.2f}".replace(".", ",")
    assert f"bisher {euro}" in rendered["text"] and "Pauschale von 40,00" in rendered["text"]
    rate = f"{rates[_half(today)] + 8:.2f}".replace(".", ",")
    assert f"Verzugszinsen von {rate} %" in rendered["text"]
    total = f"{1000 + interest + 40:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    assert f"Insgesamt sind jetzt {total}\xa0€ fällig" in rendered["text"]
    assert rendered["html"] and f"bisher {euro}" in rendered["html"]
    # and the customer page behind the reminder's link (the customer's German)
    page = httpx.get(str(rendered["paymentLink"]), timeout=30)
    assert page.status_code == 200, page.text
    assert "Verzugskosten" in page.text and f"{interest + 40:.2f}".replace(".", ",") in page.text
    assert total in page.text

    # the same figures in the automation API, the case and the pending list
    auto = _json(backend.auto("GET", f"/recovery-cases/{case['id']}"))
    assert (auto["totalDue"], auto["chargesOutstanding"]) == (shown["totalDue"],
                                                              shown["chargesOutstanding"])
    cursor, listed = None, None
    for _page in range(20):
        params: dict[str, Any] = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = _json(backend.auto("GET", "/recovery-cases/pending", params=params))
        listed = next((c for c in page["cases"] if c["id"] == case["id"]), None)
        cursor = page["nextCursor"]
        if listed is not None or cursor is None:
            break
    assert listed is not None
    assert (listed["charges"], listed["totalDue"]) == (auto["charges"], auto["totalDue"])

    # a payment of the principal alone: § 367 BGB pays costs, then interest, then principal,
    # so 40.00 + interest of the principal stay owed and the case stays open
    receipt = _json(backend.admin("POST", f"/recovery-cases/{case['id']}/payments",
                                  json={"amount": "1000.00", "currency": "EUR"}), 201)
    after = receipt["case"]
    assert after["status"] != "RESOLVED"
    assert after["amountOutstanding"] == interest + 40
    assert after["chargesOutstanding"] == 0
    assert after["totalDue"] == interest + 40
    # the customer's statement and the reports' case list say the same: the principal left
    # after the allocation, no charges left, the total due (not `amount - amountPaid` = 0)
    owed = _owed_elsewhere(backend, case)
    assert owed["statement"] == (interest + 40, Decimal("0.00"), interest + 40)
    assert owed["totals"] == (interest + 40, Decimal("0.00"), interest + 40)
    assert owed["csv"] == (interest + 40, Decimal("0.00"), interest + 40)
    with AppClient(backend).signed_in_as(create_user(backend)) as app:  # the workspace page
        page = app.get(f"/app/customers/{case['customerId']}")
    assert page.status_code == 200, page.text
    left = f"€{interest + 40:,.2f}"
    assert re.search(rf'data-testid="outstanding-EUR">{left}<', page.text), page.text
    assert re.search(rf'data-testid="total-due-EUR">{left}<', page.text)
    over = backend.admin("POST", f"/recovery-cases/{case['id']}/payments",
                         json={"amount": str(interest + 41), "currency": "EUR"})
    assert over.status_code == 422 and over.json()["type"].endswith("overpayment")
    rest = _json(backend.admin("POST", f"/recovery-cases/{case['id']}/payments",
                               json={"amount": str(interest + 40), "currency": "EUR"}), 201)
    assert rest["case"]["status"] == "RESOLVED" and rest["case"]["totalDue"] == 0


def _owed_elsewhere(backend: LiveBackend, case: dict[str, Any]) -> dict[str, tuple[Decimal, ...]]:
    """(principal left, charges left, total due) of the case on its customer's statement
    (the case's line and the customer's EUR total) and on the reports' case list (CSV)."""
    shown = _json(backend.admin("GET", f"/customers/{case['customerId']}/statement"))
    line = next(c for c in shown["cases"] if c["id"] == case["id"])
    total = next(t for t in shown["totals"] if t["currency"] == "EUR")
    listed = backend.admin("GET", "/reports/cases.csv")
    assert listed.status_code == 200, listed.text
    rows = list(csv.DictReader(io.StringIO(listed.text)))
    row = next(r for r in rows if r["caseId"] == case["id"])
    keys = ("amountOutstanding", "chargesOutstanding", "totalDue")
    return {
        "statement": tuple(line[k] for k in keys),
        "totals": tuple(total[k] for k in keys),
        "csv": tuple(Decimal(row[k]) for k in keys),
    }


def test_principal_first_leaves_the_charges_outstanding_and_a_waiver_settles_them(
    backend: LiveBackend,
) -> None:
    today = datetime.now(UTC).date()
    due = today - timedelta(days=45)
    rates = _ensure_rates(backend, due, today)
    interest = _expected_interest(rates, due, today)
    before = _eur_report(backend)
    policy_id = _policy(backend, {"scheme": "EU_B2B",
                                  "allocationOrder": ["PRINCIPAL", "INTEREST", "COSTS"]})
    hook = _json(backend.admin("POST", "/webhook-endpoints", json={
        "url": "https://1.1.1.1/payrec-test-hook",  # never called: the test claims the outbox
        "events": ["case.updated", "case.resolved", "payment.recorded"]}), 201)
    case = _case(backend, policy_id, due)
    _json(backend.admin("PATCH", f"/recovery-cases/{case['id']}", json={"priority": "LOW"}))
    receipt = _json(backend.admin("POST", f"/recovery-cases/{case['id']}/payments",
                                  json={"amount": "1000.00", "currency": "EUR"}), 201)
    after = receipt["case"]
    assert after["amountOutstanding"] == 0
    assert after["chargesOutstanding"] == interest + 40
    assert after["status"] != "RESOLVED"  # charges are owed: not resolved silently

    agent = httpx.Client(base_url=backend.base_url,
                         headers={"Authorization": f"Bearer {backend.agent_key}"})
    with agent:
        no_reason = agent.post(f"/api/v1/recovery-cases/{case['id']}/charges/waivers",
                               json={"kind": "INTEREST"})
        assert no_reason.status_code == 422
        waived = agent.post(f"/api/v1/recovery-cases/{case['id']}/charges/waivers",
                            json={"kind": "INTEREST", "reason": "goodwill"})
        assert waived.status_code == 201, waived.text
        assert waived.json(parse_float=Decimal)["chargesOutstanding"] == Decimal("40.00")
        again = agent.post(f"/api/v1/recovery-cases/{case['id']}/charges/waivers",
                           json={"kind": "INTEREST", "reason": "twice"})
        assert again.status_code == 409
        last = agent.post(f"/api/v1/recovery-cases/{case['id']}/charges/waivers",
                          json={"kind": "COMPENSATION", "reason": "long-standing client"})
        assert last.status_code == 201, last.text
    closed = _json(backend.admin("GET", f"/recovery-cases/{case['id']}"))
    assert closed["status"] == "RESOLVED" and closed["totalDue"] == 0
    # the webhooks say what is owed beside the amounts: the charges left and the total due
    events = _webhooks(backend, hook["id"], case["id"], 3)
    owed = [(e["type"], e["data"]["chargesOutstanding"], e["data"]["totalDue"]) for e in events]
    charges = f"{interest + 40:.2f}"
    assert owed == [("case.updated", charges, f"{1000 + interest + 40:.2f}"),
                    ("payment.recorded", charges, charges),
                    ("case.resolved", "0.00", "0.00")]  # the waiver settled it
    assert all(c["waived"] for c in closed["charges"])
    audit = _json(backend.admin("GET", "/audit-events", params={
        "recoveryCaseId": case["id"], "action": "charges.waived"}))
    reasons = [e["after"]["reason"] for e in audit["events"]]
    assert sorted(reasons) == ["goodwill", "long-standing client"]
    # the report: this case billed interest + 40, collected nothing of it, waived it all
    after_report = _eur_report(backend)
    assert after_report["billed"] - before["billed"] == interest + 40
    assert after_report["waived"] - before["waived"] == interest + 40
    assert after_report["collected"] == before["collected"]
    assert after_report["outstanding"] == before["outstanding"]


def _webhooks(
    backend: LiveBackend, endpoint_id: str, case_id: str, count: int
) -> list[dict[str, Any]]:
    """The endpoint's first `count` events of the case, as a webhook worker gets them
    (claimed from the outbox one per case at a time, each reported delivered)."""
    found: list[dict[str, Any]] = []
    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while len(found) < count and datetime.now(UTC) < deadline:
        claimed = _json(backend.auto("POST", "/webhook-deliveries/claim", json={
            "workerId": "late-charges-test", "limit": 100, "leaseSeconds": 5}))["deliveries"]
        for item in claimed:
            if item["recoveryCaseId"] == case_id and item["url"].endswith("payrec-test-hook"):
                found.append(orjson.loads(item["body"]))
                _json(backend.auto("PUT", f"/webhook-deliveries/{item['id']}/result", json={
                    "leaseToken": item["leaseToken"], "succeeded": True, "statusCode": 200}))
    assert backend.admin("DELETE", f"/webhook-endpoints/{endpoint_id}").status_code == 204
    return found


def _eur_report(backend: LiveBackend) -> dict[str, Decimal]:
    report = _json(backend.admin("GET", "/reports/late-charges"))
    found = next((c for c in report["currencies"] if c["currency"] == "EUR"), None)
    zero = Decimal("0.00")
    return found or {"billed": zero, "waived": zero, "collected": zero, "outstanding": zero}


def test_b2b_schemes_skip_consumers_and_none_keeps_the_old_rules(backend: LiveBackend) -> None:
    today = datetime.now(UTC).date()
    policy_id = _policy(backend, {"scheme": "EU_B2B"})
    consumer = _case(backend, policy_id, today - timedelta(days=45), isBusiness=False)
    shown = _json(backend.admin("GET", f"/recovery-cases/{consumer['id']}"))
    assert shown["charges"] == [] and shown["lateCharges"]["applicable"] is False
    plain = backend.new_case(amount="100.00", currency="EUR", dueDate="2024-01-10")
    receipt = _json(backend.admin("POST", f"/recovery-cases/{plain['id']}/payments",
                                  json={"amount": "100.00", "currency": "EUR"}), 201)
    assert receipt["case"]["status"] == "RESOLVED" and receipt["case"]["totalDue"] == 0
    bad = backend.admin("POST", "/customers", json={
        "name": "X", "lateCharges": {"scheme": "NOPE"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "lateCharges.scheme"
