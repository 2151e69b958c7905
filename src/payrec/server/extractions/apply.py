"""What an extraction changes: fill a case, create one, or flag the document for review."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from payrec.domain.date_bounds import terms_problem
from payrec.domain.document_locale import locale_for
from payrec.domain.money import is_valid_currency
from payrec.domain.phones import country_of, to_e164
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cases import service as cases
from payrec.server.cases.schemas import CaseCreate
from payrec.server.cases.service import DuplicateCase, snapshot
from payrec.server.customers import repository as customers
from payrec.server.errors import Invalid
from payrec.server.models import Customer, Document, RecoveryCase


@dataclass
class Outcome:
    status: str  # APPLIED | CASE_CREATED | NEEDS_REVIEW
    detail: str
    case_id: str | None = None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Decimal(str(value))
    except InvalidOperation:
        return None
    return result if result.is_finite() else None


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return value.strip()[:300] if isinstance(value, str) and value.strip() else None


def apply_extraction(
    session: Session,
    document: Document,
    data: dict[str, Any],
    confidence: Decimal,
    threshold: Decimal,
    actor: Actor,
) -> Outcome:
    if confidence < threshold:
        return Outcome(
            "NEEDS_REVIEW",
            f"confidence {confidence} is below {threshold}",
            document.recovery_case_id,
        )
    amount = _decimal(data.get("amountDue")) or _decimal(data.get("amount"))
    currency = _text(data.get("currency"))
    currency = currency.upper() if currency else None
    invoice_number = _text(data.get("invoiceNumber"))
    due = _date(data.get("dueDate"))
    issued = _date(data.get("issueDate"))
    dates_wrong = terms_problem(issued, due)
    if dates_wrong is not None:
        # a poisoned date (99991231) would open a case no scheduler can plan: a person decides
        return Outcome(
            "NEEDS_REVIEW", f"implausible invoice dates: {dates_wrong}", document.recovery_case_id
        )
    if document.recovery_case_id:
        case = session.get(RecoveryCase, document.recovery_case_id)
        if case is None:
            return Outcome("NEEDS_REVIEW", "linked case no longer exists")
        return _fill_case(session, case, invoice_number, amount, currency, issued, actor)
    fields = {"invoiceNumber": invoice_number, "amount": amount, "currency": currency}
    return _create_case(session, document, data, fields, due, issued, actor)


def _fill_case(
    session: Session,
    case: RecoveryCase,
    invoice_number: str | None,
    amount: Decimal | None,
    currency: str | None,
    issued: date | None,
    actor: Actor,
) -> Outcome:
    conflicts = []
    if (
        invoice_number
        and case.invoice_number
        and _norm(invoice_number) != _norm(case.invoice_number)
    ):
        conflicts.append(f"invoice number {invoice_number!r} vs case {case.invoice_number!r}")
    if amount is not None and amount != case.amount:
        conflicts.append(f"amount {amount} vs case {case.amount}")
    if currency and currency != case.currency:
        conflicts.append(f"currency {currency} vs case {case.currency}")
    if conflicts:
        return Outcome("NEEDS_REVIEW", "conflicts with the case: " + "; ".join(conflicts), case.id)
    before = snapshot(case)
    if invoice_number and not case.invoice_number:
        case.invoice_number = invoice_number
    if issued is not None:  # the invoice itself says when it was issued
        case.issue_date = issued
    after = snapshot(case)
    if before != after:
        record_change(session, actor, "case.filled_from_document", case, before=before, after=after)
    return Outcome("APPLIED", "case fields confirmed or filled", case.id)


def _create_case(
    session: Session,
    document: Document,
    data: dict[str, Any],
    fields: dict[str, Any],
    due: date | None,
    issued: date | None,
    actor: Actor,
) -> Outcome:
    amount, currency = fields["amount"], fields["currency"]
    customer_name = _text(data.get("customerName"))
    email = _text(data.get("customerEmail"))
    missing = [
        name
        for name, value in (
            ("amount", amount),
            ("currency", currency),
            ("dueDate", due),
            ("customerName", customer_name or email),
        )
        if value is None
    ]
    if missing:
        return Outcome("NEEDS_REVIEW", "cannot open a case without " + ", ".join(missing))
    assert amount is not None and currency is not None and due is not None
    if not is_valid_currency(currency) or amount <= 0:
        return Outcome("NEEDS_REVIEW", f"amount {amount} {currency} is not a valid claim")
    try:
        with session.begin_nested():  # a refused case leaves no customer behind either
            customer = _customer_for(
                session, document, customer_name, email, actor, contacts=_contacts(data)
            )
            body = {**fields, "customerId": customer.id, "dueDate": due, "issueDate": issued}
            case = cases.create(
                session, CaseCreate.model_validate(body), actor, document_id=document.id
            )
    except (Invalid, DuplicateCase, ValidationError) as exc:
        return Outcome("NEEDS_REVIEW", f"cannot open a case: {_reason(exc)}")
    document.recovery_case_id = case.id
    return Outcome("CASE_CREATED", f"case {case.id} opened from the document", case.id)


def _contacts(data: dict[str, Any]) -> dict[str, str]:
    """A new customer's phone (E.164), postal address, VAT id and locale as the document
    prints them; a phone that is not a valid number is left out, never a refusal."""
    out: dict[str, str] = {}
    vat_id = _text(data.get("customerVatId"))
    locale = locale_for(_text(data.get("customerLanguage")), vat_id)
    if locale:
        out["locale"] = locale
    if vat_id:
        out["vat_id"] = vat_id[:40]
    address = _text(data.get("customerAddress"))
    if address:
        out["address"] = address[:500]
        out["postal_address"] = address  # the address late-charge letters are sent to
    phone = _text(data.get("customerPhone"))
    if phone:
        country = country_of(locale) or (vat_id or "")[:2].upper() or None
        with contextlib.suppress(Invalid):
            out["phone"] = to_e164(phone, country)
    return out


def _reason(exc: Invalid | DuplicateCase | ValidationError) -> str:
    if isinstance(exc, Invalid | DuplicateCase):
        return exc.detail
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())


def _customer_for(
    session: Session,
    document: Document,
    customer_name: str | None,
    email: str | None,
    actor: Actor,
    contacts: dict[str, str] | None = None,
) -> Customer:
    customer = (customers.by_email(session, email) if email else None) or (
        customers.by_name(session, customer_name) if customer_name else None
    )
    if customer is None:
        customer = Customer(
            name=customer_name or email or "Unknown", email=email, **(contacts or {})
        )
        session.add(customer)
        session.flush()
        record_change(
            session,
            actor,
            "customer.created",
            customer,
            after={
                "name": customer.name,
                "email": customer.email,
                **(contacts or {}),
                "source": document.id,
            },
        )
    return customer


def _norm(value: str) -> str:
    return "".join(value.lower().split()).lstrip("#")
