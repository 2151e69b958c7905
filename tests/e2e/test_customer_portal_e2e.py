"""The customer's side end to end on PostgreSQL with two workers: a reminder through a real
SMTP server, its link opened in Chromium, a card payment through the Stripe stand-in and
its signed webhook, after which nothing more goes out for the case; and RFC 8058's
one-click unsubscribe POST from the e-mail's own header."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Stack
from tests.support.backend import LiveBackend, postgres_available, wait_until
from tests.support.smtp_sink import SmtpSink
from tests.support.stripe_stub import StripeStandIn, send_event, signed_event
from tests.support.workers import zone_where_hour_in
from tests.support.workspace import browser

__all__ = ["browser"]

SECRET = "whsec_" + secrets.token_hex(16)
LINK = re.compile(r"https?://[^\s\"<>]+/c/[A-Za-z0-9_-]{20,}")


@pytest.fixture(scope="module")
def portal_stack(backend_factory: Callable[..., LiveBackend]) -> Iterator[tuple[Stack, Any]]:
    if not postgres_available():
        pytest.skip("PostgreSQL is not available")
    stripe_api = StripeStandIn()
    smtp = SmtpSink().start()
    backend = backend_factory(
        "postgres",
        env={
            "PAYREC_STRIPE_SECRET_KEY": "sk_test_" + secrets.token_hex(8),
            "PAYREC_STRIPE_WEBHOOK_SECRET": SECRET,
            "PAYREC_STRIPE_API_BASE": stripe_api.url,
            "PAYREC_CREDITOR_NAME": "Northwind Supplies",
        },
    )
    stack = Stack(backend, smtp)
    stack.start_worker("w1")
    stack.start_worker("w2")
    yield stack, stripe_api
    stack.stop_workers()
    smtp.stop()
    stripe_api.close()


def _overdue_case(stack: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    customer = stack.backend.new_customer(
        email=f"ap-{secrets.token_hex(4)}@example.com", timezone=zone_where_hour_in(9, 19)
    )
    due = date.today() - timedelta(days=10)
    case = stack.backend.new_case(customer["id"], dueDate=due.isoformat())
    return customer, case


def _first_mail(stack: Stack, address: str) -> Any:
    mails = wait_until(lambda: stack.smtp.to(address), timeout=60, message=f"mail to {address}")
    return mails[0].message


def _text(message: Any) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"))
    return ""


def _case(stack: Stack, case_id: str) -> dict[str, Any]:
    out: dict[str, Any] = stack.backend.admin("GET", f"/recovery-cases/{case_id}").json()
    return out


def test_card_payment_from_the_reminder_stops_every_contact(
    portal_stack: tuple[Stack, StripeStandIn], browser: Any
) -> None:
    stack, stripe_api = portal_stack
    customer, case = _overdue_case(stack)
    message = _first_mail(stack, customer["email"])
    link = LINK.search(_text(message))
    assert link, _text(message)
    page = browser.new_page()
    try:
        page.route(
            "https://checkout.stripe.test/**",
            lambda route: route.fulfill(status=200, body="<h1>Stripe Checkout</h1>"),
        )
        page.goto(link.group(0))
        assert case["invoiceNumber"] in page.content()
        assert "Northwind Supplies" in page.content()
        page.get_by_role("button", name="Pay by card").click()
        page.get_by_role("heading", name="Stripe Checkout").wait_for()
    finally:
        page.close()
    form, _headers = stripe_api.requests[-1]
    assert form["metadata[caseId]"] == [case["id"]]
    completed = signed_event(
        "checkout.session.completed",
        {
            "id": "cs_e2e",
            "object": "checkout.session",
            "payment_status": "paid",
            "payment_intent": "pi_" + secrets.token_hex(8),
            "amount_total": int(form["line_items[0][price_data][unit_amount]"][0]),
            "currency": form["line_items[0][price_data][currency]"][0],
            "metadata": {"caseId": case["id"]},
        },
    )
    answer = send_event(stack.backend, completed, secret=SECRET)
    assert answer.status_code == 200 and answer.json()["outcome"] == "recorded", answer.text
    detail = _case(stack, case["id"])
    assert detail["status"] == "RESOLVED"
    before = len(stack.smtp.to(customer["email"]))
    marker, _ = _overdue_case(stack)  # the workers keep working: a full pass happens meanwhile
    _first_mail(stack, marker["email"])
    detail = _case(stack, case["id"])
    assert all(t["status"] in ("COMPLETED", "CANCELLED", "FAILED") for t in detail["tasks"])
    assert len(stack.smtp.to(customer["email"])) == before


def test_one_click_unsubscribe_from_the_mail_header(
    portal_stack: tuple[Stack, StripeStandIn],
) -> None:
    stack, _ = portal_stack
    customer, _ = _overdue_case(stack)
    message = _first_mail(stack, customer["email"])
    header = re.sub(r"\r?\n[ \t]+", " ", str(message["List-Unsubscribe"]))  # unfolded
    uris = re.findall(r"<([^>]+)>", header)
    # RFC 8058 one-click needs https: the header follows when PAYREC_PUBLIC_URL is https
    one_click = message["List-Unsubscribe-Post"]
    assert one_click == ("List-Unsubscribe=One-Click" if uris[0].startswith("https") else None)
    assert any(u.startswith("mailto:") for u in uris), header
    url = next((u for u in uris if u.startswith("http")), repr(header))
    done = httpx.post(url, data={"List-Unsubscribe": "One-Click"}, timeout=20)
    assert done.status_code == 200, done.text
    out = stack.backend.admin("GET", f"/customers/{customer['id']}").json()
    assert out["optOutEmail"] is True
