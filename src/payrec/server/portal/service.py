"""What a customer does on their page: each an existing service of the workspace, recorded
on the case's timeline by a `customer-page` actor, in the caller's unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from payrec.domain.cases import is_terminal
from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.cases import disputes, holds, promises
from payrec.server.cases import service as cases
from payrec.server.charges import service as late_charges
from payrec.server.customers import service as customers
from payrec.server.errors import Invalid, NotFound
from payrec.server.models import Customer, PortalLink, RecoveryCase
from payrec.server.portal import repository
from payrec.server.portal.links import LinkInvalid
from payrec.server.webhooks import service as opt_outs

ALREADY_PAID_HOLD_DAYS = 5
DISPUTE_REASONS = ("WRONG_AMOUNT", "NOT_RECEIVED", "ALREADY_PAID", "QUALITY", "OTHER")


def actor_for(link: PortalLink, request_id: str | None = None) -> Actor:
    return Actor(
        name="customer",
        subject=link.customer_id,
        service_name="customer-page",
        request_id=request_id,
    )


@dataclass(frozen=True)
class Invoice:
    case_id: str
    invoice_number: str
    outstanding: Decimal  # the principal left
    currency: str
    due_date: date
    document_id: str | None
    charges: Decimal = Decimal(0)  # late charges still owed (issue 18)

    @property
    def total_due(self) -> Decimal:
        return self.outstanding + self.charges


@dataclass(frozen=True)
class PageView:
    customer: Customer
    case: RecoveryCase
    invoices: list[Invoice]


def view(session: Session, link: PortalLink) -> PageView:
    customer = customers.get(session, link.customer_id)
    case = cases.get(session, link.recovery_case_id)
    open_cases = repository.open_cases(session, customer.id)
    docs = repository.pdfs(session, [c.id for c in open_cases])
    charged = late_charges.for_cases(session, open_cases, {customer.id: customer.policy_id})
    invoices = []
    for c in open_cases:
        owed = charged[c.id]
        on = owed.applicable and owed.error is None
        invoices.append(
            Invoice(
                c.id,
                c.invoice_number or c.id,
                owed.principal_outstanding if on else c.outstanding,
                c.currency,
                c.due_date,
                docs.get(c.id),
                owed.outstanding if on else Decimal(0),
            )
        )
    return PageView(customer, case, invoices)


def own_case(session: Session, link: PortalLink, case_id: str) -> RecoveryCase:
    """One of the link's customer's cases; another customer's answers as a bad link."""
    try:
        case = cases.get(session, case_id)
    except NotFound:
        raise LinkInvalid("this link is not valid") from None
    if case.customer_id != link.customer_id:
        raise LinkInvalid("this link is not valid")
    return case


def _open_case(session: Session, link: PortalLink) -> RecoveryCase:
    case = cases.get(session, link.recovery_case_id, for_update=True)
    if is_terminal(case.status):
        raise Invalid(f"this invoice is already {case.status.lower()}", code="case-closed")
    return case


def promise(session: Session, link: PortalLink, when: date, note: str | None, actor: Actor) -> None:
    case = _open_case(session, link)
    promises.create(session, case.id, promised_date=when, amount=None, note=note, actor=actor)


def dispute(session: Session, link: PortalLink, reason: str, text: str, actor: Actor) -> None:
    if reason not in DISPUTE_REASONS:
        raise Invalid("choose a reason", field="reason")
    case = _open_case(session, link)
    disputes.open_dispute(session, case.id, reason=reason, text=text or None, actor=actor)


def already_paid(session: Session, link: PortalLink, note: str, actor: Actor) -> None:
    """A note for the team, and the case's reminders held for a few days."""
    case = _open_case(session, link)
    body = "Customer says the invoice is already paid" + (f": {note}" if note else ".")
    cases.add_note(session, case, body, actor)
    if case.status != "DISPUTED":
        until = holds.local_today(session, case) + timedelta(days=ALREADY_PAID_HOLD_DAYS)
        holds.pause(session, case.id, until, "customer says already paid", actor)


def unsubscribe(session: Session, link: PortalLink, channel: str, actor: Actor) -> None:
    if channel not in ("EMAIL", "SMS"):
        raise Invalid("unknown channel", field="channel")
    customer = customers.get(session, link.customer_id)
    opt_outs.set_opt_out(
        session,
        customer,
        "SMS" if channel == "SMS" else "EMAIL",
        True,
        actor,
        reason=f"customer opted out of {channel} on their page",
    )
    record(
        session,
        actor,
        action="customer.unsubscribed",
        entity_type="customer",
        entity_id=customer.id,
        case_id=link.recovery_case_id,
        after={"channel": channel, "via": "customer page"},
    )


def invoice_pdf(session: Session, case_id: str) -> str | None:
    return repository.pdfs(session, [case_id]).get(case_id)
