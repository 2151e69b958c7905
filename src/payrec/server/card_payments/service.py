"""Stripe Checkout for a case's outstanding amount, and the events that record, reverse or
dispute the payment.

Every event is handled once (its id is stored); a payment is recorded once per payment
intent (`checkout.session.completed` and `payment_intent.succeeded` of one payment meet on
its `CardPayment` row, under the case's lock), whatever order they arrive in: a refund
seen before the payment leaves the intent refunded, so the payment is never recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import stripe
from sqlalchemy.orm import Session

from payrec.domain.cases import is_terminal
from payrec.domain.money import from_minor_units, to_minor_units
from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.cases import disputes
from payrec.server.cases import service as cases
from payrec.server.errors import NotFound, Unavailable
from payrec.server.models import CardPayment, RecoveryCase, StripeEvent
from payrec.server.payments import reversal
from payrec.server.payments import service as payments
from payrec.server.payments.schemas import PaymentCreate

HANDLED = (
    "checkout.session.completed",
    "payment_intent.succeeded",
    "charge.refunded",
    "charge.dispute.created",
)


@dataclass(frozen=True)
class StripeConfig:
    secret_key: str
    api_base: str | None = None


def client(config: StripeConfig) -> stripe.StripeClient:
    if config.api_base:
        return stripe.StripeClient(
            config.secret_key, base_addresses={"api": config.api_base}, max_network_retries=2
        )
    return stripe.StripeClient(config.secret_key, max_network_retries=2)


def checkout_url(
    config: StripeConfig, case: RecoveryCase, *, return_url: str, description: str
) -> str:
    """A Checkout Session for the case's outstanding amount; its hosted page's address.
    The idempotency key is the case and the amount: a second click reuses the session."""
    minor = to_minor_units(case.outstanding, case.currency)
    metadata = {"caseId": case.id, "amountMinor": str(minor)}
    try:
        session = client(config).v1.checkout.sessions.create(
            {
                "mode": "payment",
                "client_reference_id": case.id,
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": case.currency.lower(),
                            "unit_amount": minor,
                            "product_data": {"name": description},
                        },
                    }
                ],
                "metadata": metadata,
                "payment_intent_data": {"metadata": metadata},
                "success_url": return_url + "?paid=1",
                "cancel_url": return_url,
            },
            {"idempotency_key": f"payrec-checkout-{case.id}-{minor}"},
        )
    except stripe.StripeError as exc:
        raise Unavailable(f"the card payment service did not answer: {exc.user_message}") from exc
    if not session.url:
        raise Unavailable("the card payment service answered no page")
    return str(session.url)


def _object(event: dict[str, Any]) -> dict[str, Any]:
    data = event.get("data") or {}
    obj = data.get("object") if isinstance(data, dict) else None
    return obj if isinstance(obj, dict) else {}


def _intent_row(session: Session, intent: str) -> CardPayment:
    row = session.get(CardPayment, intent, with_for_update=True)
    if row is None:
        row = CardPayment(payment_intent=intent)
        session.add(row)
        session.flush()
    return row


def handle(session: Session, event: dict[str, Any], actor: Actor) -> str:
    """Apply one verified event; answers what it did. A replayed event id does nothing."""
    event_id = str(event.get("id") or "")
    kind = str(event.get("type") or "")
    if not event_id or kind not in HANDLED:
        return "ignored"
    if session.get(StripeEvent, event_id) is not None:
        return "duplicate"
    session.add(StripeEvent(id=event_id, type=kind))
    session.flush()
    obj = _object(event)
    if kind in ("checkout.session.completed", "payment_intent.succeeded"):
        return _paid(session, obj, kind, actor)
    intent = str(obj.get("payment_intent") or "")  # a charge's or a dispute's
    if not intent:
        return "no payment intent"
    row = _intent_row(session, intent)
    if kind == "charge.refunded":
        return _refunded(session, row, actor)
    return _disputed(session, row, obj, actor)


def _paid(session: Session, obj: dict[str, Any], kind: str, actor: Actor) -> str:
    if kind == "checkout.session.completed":
        if obj.get("payment_status") != "paid":
            return "not paid yet"
        intent = str(obj.get("payment_intent") or "")
        minor, currency = obj.get("amount_total"), obj.get("currency")
    else:
        intent = str(obj.get("id") or "")
        minor, currency = obj.get("amount_received"), obj.get("currency")
    case_id = str((obj.get("metadata") or {}).get("caseId") or "")
    if not intent or not case_id or not isinstance(minor, int) or not isinstance(currency, str):
        return "not a payrec payment"
    try:
        case = cases.get(session, case_id, for_update=True)
    except NotFound:
        return "unknown case"
    row = _intent_row(session, intent)
    if row.payment_id is not None or row.refunded_at is not None:
        return "already recorded"
    amount = from_minor_units(minor, currency.upper())
    row.recovery_case_id, row.amount, row.currency = case.id, amount, currency.upper()
    if is_terminal(case.status):  # a closed case takes no payment: the team sees it here
        record(
            session,
            actor,
            action="card_payment.unapplied",
            entity_type="card_payment",
            entity_id=intent,
            case_id=case.id,
            after={"amount": amount, "currency": currency.upper(), "status": case.status},
        )
        return "unapplied"
    receipt = payments.record_payment(
        session,
        case.id,
        PaymentCreate(
            amount=amount,
            currency=currency.upper(),
            reference=f"stripe:{intent}",
            surplus_as_credit=True,  # paid twice or above what is owed: the customer's credit
        ),
        actor,
    )
    row.payment_id = receipt.payment.id
    return "recorded"


def _refunded(session: Session, row: CardPayment, actor: Actor) -> str:
    if row.refunded_at is not None:
        return "already refunded"
    row.refunded_at = datetime.now(UTC)
    if row.payment_id is None:
        return "refund noted before the payment"
    reversal.reverse_payment(session, row.payment_id, "card payment refunded", actor)
    return "reversed"


def _disputed(session: Session, row: CardPayment, obj: dict[str, Any], actor: Actor) -> str:
    if row.disputed_at is not None:
        return "already disputed"
    row.disputed_at = datetime.now(UTC)
    if row.recovery_case_id is None:
        return "dispute noted before the payment"
    if row.payment_id is not None and row.refunded_at is None:
        row.refunded_at = row.disputed_at  # a chargeback takes the money back
        reversal.reverse_payment(session, row.payment_id, "card payment disputed", actor)
    case = cases.get(session, row.recovery_case_id, for_update=True)
    if is_terminal(case.status) or case.status == "DISPUTED":
        return "case not disputable"
    reason = str(obj.get("reason") or "chargeback")
    disputes.open_dispute(
        session, case.id, reason="OTHER", text=f"Card chargeback ({reason})", actor=actor
    )
    return "disputed"


def amount_text(amount: Decimal, currency: str) -> str:
    return f"{amount} {currency}"
