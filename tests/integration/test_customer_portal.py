"""The customer page behind every reminder, RFC 8058 one-click opt-out and Stripe Checkout
(against a local stand-in speaking the part of Stripe's API payrec uses), on one backend."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.support.backend import LiveBackend
from tests.support.stripe_stub import StripeStandIn, send_event, signed_event

WEBHOOK_SECRET = "whsec_" + secrets.token_hex(16)
STRIPE_HOOK = "/api/v1/webhooks/stripe"


@pytest.fixture(scope="module")
def stripe_api() -> Iterator[StripeStandIn]:
    stand_in = StripeStandIn()
    yield stand_in
    stand_in.close()


@pytest.fixture(scope="module")
def portal(backend_factory: Callable[..., LiveBackend], stripe_api: StripeStandIn) -> LiveBackend:
    return backend_factory(
        "sqlite",
        env={
            "PAYREC_STRIPE_SECRET_KEY": "sk_test_" + secrets.token_hex(8),
            "PAYREC_STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PAYREC_STRIPE_API_BASE": stripe_api.url,
            "PAYREC_CREDITOR_NAME": "Northwind Supplies GmbH",
            "PAYREC_CREDITOR_ADDRESS": "Hauptstr. 1\\n10115 Berlin",
            "PAYREC_CREDITOR_EMAIL": "ar@northwind.example",
        },
    )


def _render(backend: LiveBackend, case_id: str) -> dict[str, Any]:
    response = backend.auto(
        "POST", f"/recovery-cases/{case_id}/render", json={"templateId": "reminder-friendly"}
    )
    assert response.status_code == 200, response.text
    out: dict[str, Any] = response.json()
    return out


def _linked_case(backend: LiveBackend, **fields: Any) -> tuple[dict[str, Any], str]:
    customer = backend.new_customer(email=f"c{secrets.token_hex(4)}@example.com")
    case = backend.new_case(customer["id"], **fields)
    return case, str(_render(backend, case["id"])["paymentLink"])


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, html
    return match.group(1)


def _case(backend: LiveBackend, case_id: str) -> dict[str, Any]:
    out: dict[str, Any] = backend.admin("GET", f"/recovery-cases/{case_id}").json()
    return out


def _timeline(backend: LiveBackend, case_id: str) -> list[str]:
    response = backend.admin("GET", "/audit-events", params={"caseId": case_id, "limit": 100})
    assert response.status_code == 200, response.text
    body = response.json()
    items = body.get("events") or body.get("items") or body.get("auditEvents") or []
    return [str(item["action"]) for item in items]


def test_reminder_links_to_the_customer_page(portal: LiveBackend) -> None:
    case, link = _linked_case(portal)
    rendered = _render(portal, case["id"])
    assert rendered["paymentLink"].startswith(portal.base_url + "/c/")
    assert rendered["unsubscribeUrl"] == rendered["paymentLink"] + "/unsubscribe"
    assert rendered["paymentLink"] in rendered["text"]
    assert "localhost:8080/pay" not in rendered["text"] + (rendered["html"] or "")
    assert case["id"] not in rendered["paymentLink"]
    page = httpx.get(link, timeout=10)
    assert page.status_code == 200
    assert case["invoiceNumber"] in page.text and "Northwind Supplies GmbH" in page.text
    assert "10115 Berlin" in page.text and "$5,000.00" in page.text


def test_bad_links_answer_a_plain_page(portal: LiveBackend) -> None:
    case, link = _linked_case(portal)
    tampered = link[:-2] + ("AA" if not link.endswith("AA") else "BB")
    for url in (tampered, portal.base_url + "/c/nothing", link + "x"):
        page = httpx.get(url, timeout=10)
        assert page.status_code == 404 and case["invoiceNumber"] not in page.text
    # expired: the stored row's end moved to the past
    engine = create_engine(portal.db_url)
    token = link.rsplit("/", 1)[1]
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE portal_links SET expires_at = :t WHERE token = :k"),
            {"t": (datetime.now(UTC) - timedelta(days=1)).isoformat(), "k": token},
        )
    engine.dispose()
    page = httpx.get(link, timeout=10)
    assert page.status_code == 404 and case["invoiceNumber"] not in page.text
    # revoked
    other_case, other_link = _linked_case(portal)
    assert httpx.get(other_link, timeout=10).status_code == 200
    revoked = portal.admin("POST", f"/recovery-cases/{other_case['id']}/portal-links/revoke")
    assert revoked.status_code == 200, revoked.text
    page = httpx.get(other_link, timeout=10)
    assert page.status_code == 404 and other_case["invoiceNumber"] not in page.text


def test_customer_actions_hold_the_case_and_land_on_the_timeline(portal: LiveBackend) -> None:
    case, link = _linked_case(portal)
    csrf = _csrf(httpx.get(link, timeout=10).text)
    when = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    forged = httpx.post(link + "/promise", data={"date": when, "csrf_token": "0" * 64})
    assert forged.status_code == 403 and _case(portal, case["id"])["status"] != "PAUSED"
    done = httpx.post(link + "/promise", data={"date": when, "csrf_token": csrf}, timeout=10)
    assert done.status_code == 200, done.text
    assert _case(portal, case["id"])["status"] == "PAUSED"
    assert "promise.created" in _timeline(portal, case["id"])

    case2, link2 = _linked_case(portal)
    csrf2 = _csrf(httpx.get(link2, timeout=10).text)
    paid = httpx.post(link2 + "/paid", data={"note": "wired on Monday", "csrf_token": csrf2})
    assert paid.status_code == 200, paid.text
    assert _case(portal, case2["id"])["status"] == "PAUSED"
    assert "case.paused" in _timeline(portal, case2["id"])
    disputed = httpx.post(
        link2 + "/dispute", data={"reason": "WRONG_AMOUNT", "text": "x", "csrf_token": csrf2}
    )
    assert disputed.status_code == 200, disputed.text
    assert _case(portal, case2["id"])["status"] == "DISPUTED"
    assert "dispute.opened" in _timeline(portal, case2["id"])
    sms = httpx.post(link2 + "/unsubscribe-channel", data={"channel": "SMS", "csrf_token": csrf2})
    assert sms.status_code == 200
    customer = portal.admin("GET", f"/customers/{case2['customerId']}").json()
    assert customer["optOutSms"] is True and customer["optOutEmail"] is False
    assert "customer.unsubscribed" in _timeline(portal, case2["id"])


def test_one_click_unsubscribe(portal: LiveBackend) -> None:
    case, _ = _linked_case(portal)
    url = _render(portal, case["id"])["unsubscribeUrl"]
    assert httpx.post(url, data={"List-Unsubscribe": "nope"}).status_code == 400
    done = httpx.post(url, data={"List-Unsubscribe": "One-Click"}, timeout=10)
    assert done.status_code == 200, done.text
    customer = portal.admin("GET", f"/customers/{case['customerId']}").json()
    assert customer["optOutEmail"] is True
    refused = portal.auto("POST", "/reminders", json={"recoveryCaseId": case["id"]})
    assert refused.status_code in (409, 422)


def _payments(backend: LiveBackend, case_id: str) -> list[dict[str, Any]]:
    body = backend.admin("GET", f"/recovery-cases/{case_id}/payments").json()
    items = body.get("payments") if isinstance(body, dict) else body
    return list(items or [])


def test_card_payment_through_checkout_and_webhooks(
    portal: LiveBackend, stripe_api: StripeStandIn
) -> None:
    case, link = _linked_case(portal, amount="1234.56", currency="EUR")
    csrf = _csrf(httpx.get(link, timeout=10).text)
    pay = httpx.post(link + "/pay", data={"invoice": case["id"], "csrf_token": csrf}, timeout=20)
    assert pay.status_code == 303, pay.text
    assert pay.headers["location"].startswith("https://checkout.stripe.test/")
    form, headers = stripe_api.requests[-1]
    assert form["line_items[0][price_data][unit_amount]"] == ["123456"]
    assert form["metadata[caseId]"] == [case["id"]]
    assert headers["idempotency-key"] == f"payrec-checkout-{case['id']}-123456"

    intent = "pi_" + secrets.token_hex(8)
    meta = {"caseId": case["id"]}
    completed = signed_event(
        "checkout.session.completed",
        {
            "id": "cs_x",
            "object": "checkout.session",
            "payment_status": "paid",
            "payment_intent": intent,
            "amount_total": 123456,
            "currency": "eur",
            "metadata": meta,
        },
    )
    assert send_event(portal, completed, secret="whsec_forged").status_code == 400
    assert (
        send_event(portal, completed, secret=WEBHOOK_SECRET, at=int(time.time()) - 3600).status_code
        == 400
    )
    assert _case(portal, case["id"])["status"] != "RESOLVED"
    first = send_event(portal, completed, secret=WEBHOOK_SECRET)
    assert first.status_code == 200 and first.json()["outcome"] == "recorded", first.text
    assert send_event(portal, completed, secret=WEBHOOK_SECRET).json()["outcome"] == "duplicate"
    succeeded = signed_event(
        "payment_intent.succeeded",
        {
            "id": intent,
            "object": "payment_intent",
            "amount_received": 123456,
            "currency": "eur",
            "metadata": meta,
        },
    )
    assert (
        send_event(portal, succeeded, secret=WEBHOOK_SECRET).json()["outcome"] == "already recorded"
    )
    assert _case(portal, case["id"])["status"] == "RESOLVED"
    assert len(_payments(portal, case["id"])) == 1

    refund = signed_event(
        "charge.refunded", {"id": "ch_x", "object": "charge", "payment_intent": intent}
    )
    assert send_event(portal, refund, secret=WEBHOOK_SECRET).json()["outcome"] == "reversed"
    reopened = _case(portal, case["id"])
    assert reopened["status"] not in ("RESOLVED", "WRITTEN_OFF")
    assert reopened["amountOutstanding"] in (1234.56, "1234.56")
    assert "payment.reversed" in _timeline(portal, case["id"])

    dispute = signed_event(
        "charge.dispute.created",
        {"id": "dp_x", "object": "dispute", "payment_intent": intent, "reason": "fraudulent"},
    )
    assert send_event(portal, dispute, secret=WEBHOOK_SECRET).json()["outcome"] == "disputed"
    assert _case(portal, case["id"])["status"] == "DISPUTED"


def test_refund_before_payment_records_nothing(portal: LiveBackend) -> None:
    case, _ = _linked_case(portal, amount="10.00", currency="EUR")
    intent = "pi_" + secrets.token_hex(8)
    refund = signed_event(
        "charge.refunded", {"id": "ch_y", "object": "charge", "payment_intent": intent}
    )
    assert send_event(portal, refund, secret=WEBHOOK_SECRET).status_code == 200
    paid = signed_event(
        "payment_intent.succeeded",
        {
            "id": intent,
            "object": "payment_intent",
            "amount_received": 1000,
            "currency": "eur",
            "metadata": {"caseId": case["id"]},
        },
    )
    assert send_event(portal, paid, secret=WEBHOOK_SECRET).json()["outcome"] == "already recorded"
    assert _case(portal, case["id"])["status"] != "RESOLVED"
    assert _payments(portal, case["id"]) == []
