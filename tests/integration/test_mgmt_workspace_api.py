"""API twins of the workspace pages: a customer's statement, a template preview for a real
case before saving, and the reports' breakdown by policy step."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.backend import LiveBackend


def test_customer_statement_lists_every_case_and_what_is_owed(backend: LiveBackend) -> None:
    customer = backend.new_customer(name=f"Statement Co {secrets.token_hex(3)}")
    today = datetime.now(UTC).date()
    late = backend.new_case(
        customer["id"], amount="300.00", currency="EUR", dueDate=str(today - timedelta(days=9))
    )
    backend.new_case(
        customer["id"], amount="50.25", currency="EUR", dueDate=str(today + timedelta(days=9))
    )
    paid = backend.new_case(customer["id"], amount="70.00", currency="USD")
    for case, amount in ((late, "100.00"), (paid, "70.00")):
        answer = backend.admin(
            "POST",
            f"/recovery-cases/{case['id']}/payments",
            json={"amount": amount, "currency": case["currency"]},
        )
        assert answer.status_code in (200, 201), answer.text
    answer = backend.http.get(
        f"{backend.base_url}/api/v1/customers/{customer['id']}/statement",
        headers={"Authorization": f"Bearer {backend.agent_key}"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["customer"]["id"] == customer["id"] and len(body["cases"]) == 3
    eur, usd = body["totals"]
    assert (eur["currency"], eur["cases"], eur["openCases"]) == ("EUR", 2, 2)
    assert '"amountOutstanding":250.25' in answer.text
    assert '"amountOverdue":200.00' in answer.text
    assert (usd["currency"], usd["openCases"]) == ("USD", 0)
    assert str(usd["amountOutstanding"]) in ("0", "0.00", "0.0")
    missing = backend.admin("GET", "/customers/cust-nope/statement")
    assert missing.status_code == 404


def test_agent_keeps_contacts_and_opt_outs_current_audited(backend: LiveBackend) -> None:
    customer = backend.new_customer(name=f"Contacts Co {secrets.token_hex(3)}")
    path = f"{backend.base_url}/api/v1/customers/{customer['id']}"
    agent = {"Authorization": f"Bearer {backend.agent_key}"}
    change = {"phone": "+4915112345678", "optOutSms": True, "timezone": "Europe/Paris"}
    answer = backend.http.patch(path, json=change, headers=agent)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["phone"], body["optOutSms"], body["timezone"]) == (
        "+4915112345678",
        True,
        "Europe/Paris",
    )
    assert body["optOutEmail"] is False
    refused = backend.http.patch(path, json={"timezone": "Mars/Olympus"}, headers=agent)
    assert refused.status_code == 422, refused.text
    assert backend.admin("GET", f"/customers/{customer['id']}").json()["timezone"] == "Europe/Paris"
    automation = {"Authorization": f"Bearer {backend.automation_key}"}
    assert backend.http.patch(path, json=change, headers=automation).status_code == 403
    events = backend.admin("GET", "/audit-events", params={"entityId": customer["id"]})
    updates = [e for e in events.json()["events"] if e["action"] == "customer.updated"]
    assert len(updates) == 1, events.text  # the refused change wrote nothing
    assert updates[0]["actor"] and updates[0]["actor"] != "anonymous"


def _preview(backend: LiveBackend, key: str = "", **fields: Any) -> Any:
    body = {
        "templateId": "reminder-custom",
        "language": "en",
        "channel": "EMAIL",
        "subject": "Invoice {{ invoiceNumber }}",
        "bodyText": "Dear {{ customerName }}, {{ amount }} is due.",
        **fields,
    }
    return backend.http.post(
        f"{backend.base_url}/api/v1/templates/preview",
        json=body,
        headers={"Authorization": f"Bearer {key or backend.admin_key}"},
    )


def test_template_preview_renders_for_a_real_case_without_saving(backend: LiveBackend) -> None:
    customer = backend.new_customer(name="Müller GmbH", locale="de_DE", timezone="Europe/Berlin")
    case = backend.new_case(customer["id"], amount="1234.50", currency="EUR", invoiceNumber="R-77")
    answer = _preview(backend, caseId=case["id"], templateId=f"tpl-{secrets.token_hex(3)}")
    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert shown["subject"] == "Invoice R-77"
    assert "Dear Müller GmbH" in shown["text"] and "1.234,50" in shown["text"]
    assert shown["recipient"] == customer["email"]
    stored = backend.admin("GET", "/templates", params={"templateId": shown["templateId"]})
    assert stored.json()["total"] == 0  # a preview saves nothing

    broken = _preview(backend, caseId=case["id"], bodyText="Dear {{ customerName ")
    assert broken.status_code == 422, broken.text
    assert broken.json()["errors"][0]["field"] == "bodyText"
    unknown = _preview(backend, caseId=case["id"], bodyText="{{ noSuchField }}")
    assert unknown.status_code == 422, unknown.text
    assert _preview(backend, caseId="case-nope").status_code == 404
    assert _preview(backend, backend.agent_key, caseId=case["id"]).status_code == 403


def test_reports_break_outstanding_down_by_policy_step(backend: LiveBackend) -> None:
    customer = backend.new_customer(name=f"Ladder Ltd {secrets.token_hex(3)}")
    reached = backend.new_case(customer["id"], amount="900", currency="ISK", dueDate="2024-01-10")
    backend.new_case(customer["id"], amount="100", currency="ISK", dueDate="2024-01-10")
    for index, status in ((0, "COMPLETED"), (1, "COMPLETED"), (2, "PENDING")):
        created = backend.auto(
            "POST",
            "/tasks",
            json={
                "type": "REMINDER",
                "scheduledAt": "2024-01-20T10:00:00Z",
                "recoveryCaseId": reached["id"],
                "dedupeKey": f"policy-default#{index}:{index * 7}:EMAIL",
                "metadata": {
                    "reminderType": "EMAIL",
                    "stepIndex": index,
                    "offsetDays": index * 7,
                    "policyId": "policy-default",
                },
            },
        )
        assert created.status_code == 201, created.text
        if status == "COMPLETED":
            done = backend.auto(
                "PUT", f"/tasks/{created.json()['id']}/status", json={"status": "COMPLETED"}
            )
            assert done.status_code == 200, done.text
    summary = backend.admin("GET", "/reports/summary")
    assert summary.status_code == 200, summary.text
    (isk,) = [c for c in summary.json()["currencies"] if c["currency"] == "ISK"]
    steps = {(s["policyId"], s["stepIndex"]): s for s in isk["byPolicyStep"]}
    assert steps[("policy-default", 1)]["count"] >= 1
    assert steps[("policy-default", 1)]["channel"] == "EMAIL"
    assert steps[(None, None)]["count"] >= 1
    assert ("policy-default", 2) not in steps  # planned, not carried out
    assert sum(s["count"] for s in isk["byPolicyStep"]) == isk["outstanding"]["count"]
    assert "byPolicyStep" in summary.json()["definitions"]
