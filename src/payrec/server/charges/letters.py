"""The formal reminder letter (issue 18.4): a PDF (WeasyPrint) with both postal addresses,
the invoice, each charge and how it was computed, the total due, and the payment details
with the case's RF creditor reference and, for EUR, an EPC QR code (GiroCode; segno).
Shipped texts in en, de, fr, es (`letter/texts.json`, layout `letter/letter.html.j2`)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import segno.helpers
from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import Environment, select_autoescape
from sqlalchemy.orm import Session

from payrec.domain import creditor_reference
from payrec.domain.charges.compute import CaseCharges
from payrec.domain.creditor import Creditor
from payrec.domain.i18n import parse_locale
from payrec.domain.money import format_money
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.charges import service
from payrec.server.documents.storage import DocumentStore
from payrec.server.errors import Conflict, Invalid
from payrec.server.models import Customer, Document, RecoveryCase

LANGUAGES = ("en", "de", "fr", "es")
_PACKAGE = "payrec.server.charges.letter"


@cache
def _texts() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads(
        resources.files(_PACKAGE).joinpath("texts.json").read_text("utf-8")
    )
    return data


@cache
def _layout() -> Any:
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    return env.from_string(resources.files(_PACKAGE).joinpath("letter.html.j2").read_text("utf-8"))


def language_of(locale: str, wanted: str | None = None) -> str:
    for candidate in (wanted, parse_locale(locale).language):
        if candidate in LANGUAGES:
            return str(candidate)
    return "en"


def epc_qr(creditor: Creditor, amount: Decimal, reference: str) -> str | None:
    """An EPC QR code (SEPA credit transfer) as an SVG data URI, or None without an IBAN."""
    iban = creditor.iban.replace(" ", "")
    if not iban or not creditor.name or amount <= 0:
        return None
    code = segno.helpers.make_epc_qr(
        name=creditor.name[:70],
        iban=iban,
        amount=amount,
        reference=reference.replace(" ", ""),
        bic=creditor.bic.replace(" ", "") or None,
    )
    uri: str = code.svg_data_uri(scale=4)
    return uri


def letter_html(
    case: RecoveryCase,
    customer: Customer,
    charges: CaseCharges,
    creditor: Creditor,
    *,
    today: date,
    language: str,
) -> str:
    """The letter as HTML (what WeasyPrint prints)."""
    t = _texts()[language]
    loc = parse_locale(customer.locale)
    currency = case.currency

    def money(value: Decimal) -> str:
        return format_money(value, currency, loc)

    def day(value: date | None) -> str:
        return format_date(value, format="medium", locale=loc) if value else ""

    def pct(value: Decimal | None) -> str:
        return "" if value is None else f"{format_decimal(value, locale=loc)} %"

    lines = []
    for line in charges.lines:
        status = (
            t["waived"] if line.waived else t["settled"] if line.outstanding == 0 else t["open"]
        )
        period = (
            day(line.from_date)
            if line.kind != "INTEREST"
            else (f"{day(line.from_date)} \u2013 {day(line.to_date)}")
        )
        lines.append(
            {
                "kind": t[line.kind],
                "period": period,
                "days": line.days or "",
                "base": money(line.base) if line.kind == "INTEREST" and line.base else "",
                "rate": pct(line.rate) if line.kind == "INTEREST" else "",
                "amount": money(line.amount),
                "status": status,
            }
        )
    interest = next((x for x in charges.lines if x.kind == "INTEREST"), None)
    how = ""
    if interest is not None:
        reference_text = (
            pct(interest.reference_rate) if interest.reference_rate is not None else pct(None)
        )
        margin = format_decimal(interest.margin, locale=loc) if interest.margin is not None else ""
        how = t["how"].format(days=365, reference=reference_text or "—", margin=margin or "0")
    reference = creditor_reference.for_case(case.id) or (case.invoice_number or case.id)
    shown_reference = (
        creditor_reference.printed(reference) if reference.startswith("RF") else (reference)
    )
    qr = epc_qr(creditor, charges.total_due, reference) if currency == "EUR" else None
    return str(
        _layout().render(
            lang=language,
            t=t,
            creditor=creditor.context(),
            customer_name=customer.name,
            debtor_lines=[x for x in (customer.postal_address or "").splitlines() if x.strip()],
            today=day(today),
            invoice_number=case.invoice_number or case.id,
            issue_date=day(case.issue_date),
            due_date=day(case.due_date),
            amount=money(case.amount),
            paid=money(case.amount_paid),
            lines=lines,
            how=how,
            principal_outstanding=money(charges.principal_outstanding),
            charges_outstanding=money(charges.outstanding),
            total_due=money(charges.total_due),
            reference=shown_reference,
            qr=qr,
        )
    )


def letter_pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported on use: it loads Pango

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def make_letter(
    session: Session,
    store: DocumentStore,
    case: RecoveryCase,
    creditor: Creditor,
    actor: Actor,
    *,
    today: date,
    language: str | None = None,
) -> Document:
    """Render the case's formal reminder letter and store it as a document on the case
    (type LETTER, not queued for extraction); 409 when the letter cannot say what it must."""
    customer = session.get(Customer, case.customer_id)
    assert customer is not None
    if not (customer.postal_address or "").strip():
        raise Invalid("the customer has no postal address for the letter", field="postalAddress")
    if not creditor.address.strip():
        raise Conflict(
            "the creditor's address is not set (PAYREC_CREDITOR_ADDRESS)",
            code="creditor-address-missing",
        )
    charges = service.for_case(session, case, customer)
    if charges.error is not None:
        raise Conflict(charges.error, code=charges.error_code or "late-charges-error")
    lang = language_of(customer.locale, language)
    pdf = letter_pdf(letter_html(case, customer, charges, creditor, today=today, language=lang))
    digest = store.put(pdf)
    document = Document(
        type="LETTER",
        file_name=f"letter-{case.invoice_number or case.id}-{lang}.pdf",
        mime_type="application/pdf",
        sha256=digest,
        size=len(pdf),
        recovery_case_id=case.id,
        status="GENERATED",
    )
    session.add(document)
    session.flush()
    record_change(
        session,
        actor,
        "letter.generated",
        document,
        after={"language": lang, "totalDue": str(charges.total_due), "sha256": digest},
    )
    return document
