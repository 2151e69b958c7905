"""Importing bank statements: each credit matched to a case and recorded as its payment,
the unsure ones kept in the unmatched list with suggested cases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time

from sqlalchemy.orm import Session

from payrec.bankfiles import StatementEntry
from payrec.domain.bank_matching import (
    Candidate,
    Decision,
    decide,
    invoice_tokens,
    referenced_case_ids,
)
from payrec.domain.cases import is_terminal
from payrec.domain.money import quantize
from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.bank_statements import repository
from payrec.server.bank_statements.schemas import (
    EntryOut,
    ImportedEntry,
    ImportSummary,
    SuggestedCase,
    UnmatchedEntry,
    UnmatchedList,
)
from payrec.server.charges import service as late_charges
from payrec.server.errors import Conflict, DomainError, NotFound
from payrec.server.models import BankEntry, Customer, RecoveryCase
from payrec.server.payments import service as payments
from payrec.server.payments.schemas import PaymentCreate


def _candidate(case: RecoveryCase) -> Candidate:
    return Candidate(case.id, case.currency, case.outstanding, open=not is_terminal(case.status))


def _due(session: Session, case: RecoveryCase) -> Candidate:
    """The case with what a payment may cover (late charges included when a scheme is on);
    the principal left when a charge cannot be computed (that payment is refused anyway)."""
    try:
        owed = late_charges.owed(session, case)
    except DomainError:
        owed = case.outstanding
    return Candidate(case.id, case.currency, owed, open=not is_terminal(case.status))


def _received_at(entry: StatementEntry | BankEntry) -> datetime | None:
    return datetime.combine(entry.booked_on, time(), UTC) if entry.booked_on else None


def _pay(
    session: Session, case_id: str, entry: StatementEntry | BankEntry, actor: Actor
) -> str:
    """Record the entry as the case's payment (its reference the entry's); the payment id."""
    receipt = payments.record_payment(
        session,
        case_id,
        PaymentCreate(
            amount=entry.amount,
            currency=entry.currency,
            received_at=_received_at(entry),
            reference=entry.reference,
            surplus_as_credit=True,  # money received: the surplus is the customer's credit
        ),
        actor,
    )
    return receipt.payment.id


def _decide(session: Session, entry: StatementEntry) -> Decision:
    """The rules in order, each rule's lookup only when the earlier ones name no case."""
    by_reference = [_candidate(c) for c in repository.cases_by_id(
        session, referenced_case_ids(entry.structured_reference, entry.remittance))]
    by_invoice: list[Candidate] = []
    by_amount: list[Candidate] = []
    if not by_reference:
        by_invoice = [_candidate(c) for c in repository.open_cases_by_invoice(
            session, invoice_tokens(entry.remittance))]
        if entry.debtor_name and not any(
            c.open and c.currency == entry.currency for c in by_invoice
        ):
            by_amount = [_due(session, c) for c in
                         repository.open_cases_of_payer(session, entry.debtor_name)]
    return decide(entry.amount, entry.currency, by_reference, by_invoice, by_amount)


def import_entries(
    session: Session, entries: Sequence[StatementEntry], actor: Actor, *, source: str
) -> ImportSummary:
    """Match and record every credit not imported before; debits are skipped."""
    credits = [e for e in entries if e.credit and e.amount > 0]
    known = repository.known_references(session, {e.reference for e in credits})
    late_charges.warm(session, [i for e in credits for i in referenced_case_ids(
        e.structured_reference, e.remittance)])  # the referenced cases' terms, read at once
    results: list[ImportedEntry] = []
    matched = unmatched = duplicates = 0
    for entry in credits:
        if entry.reference in known:
            duplicates += 1
            results.append(_result(entry, "DUPLICATE", None, None, None, "already imported"))
            continue
        known.add(entry.reference)
        decision = _decide(session, entry)
        payment_id: str | None = None
        reason = decision.reason
        if decision.case_id is not None:
            try:
                payment_id = _pay(session, decision.case_id, entry, actor)
            except DomainError as exc:  # refused before any write: closed, overpaid, …
                reason = f"matched by {decision.matched_by} but not recorded: {exc.detail}"
        row = BankEntry(
            reference=entry.reference,
            amount=entry.amount,
            currency=entry.currency,
            booked_on=entry.booked_on,
            structured_reference=entry.structured_reference,
            remittance=entry.remittance,
            debtor_name=entry.debtor_name,
            debtor_iban=entry.debtor_iban,
            status="MATCHED" if payment_id else "UNMATCHED",
            matched_by=decision.matched_by if payment_id else None,
            reason=reason[:500],
            recovery_case_id=decision.case_id if payment_id else None,
            payment_id=payment_id,
            resolved_at=datetime.now(UTC) if payment_id else None,
        )
        session.add(row)
        if payment_id:
            matched += 1
        else:
            unmatched += 1
        results.append(_result(entry, row.status, row.recovery_case_id, payment_id,
                               row.matched_by, reason))
    session.flush()
    record(
        session,
        actor,
        action="bank-statement.imported",
        entity_type="bank-statement",
        entity_id=source[:200] or "statement",
        after={"entries": len(entries), "credits": len(credits), "matched": matched,
               "unmatched": unmatched, "duplicates": duplicates},
    )
    return ImportSummary(entries=len(entries), credits=len(credits), matched=matched,
                         unmatched=unmatched, duplicates=duplicates, results=results)


def _result(
    entry: StatementEntry, status: str, case_id: str | None, payment_id: str | None,
    matched_by: str | None, reason: str | None,
) -> ImportedEntry:
    return ImportedEntry(reference=entry.reference, status=status, amount=entry.amount,
                         currency=entry.currency, recovery_case_id=case_id,
                         payment_id=payment_id, matched_by=matched_by, reason=reason)


def suggestions(session: Session, entry: BankEntry, limit: int = 5) -> list[SuggestedCase]:
    """Cases a person may mean: referenced, invoice-numbered, the payer's, in that order."""
    found: dict[str, tuple[RecoveryCase, str]] = {}
    groups: list[tuple[Sequence[RecoveryCase], str]] = [
        (repository.cases_by_id(
            session, referenced_case_ids(entry.structured_reference, entry.remittance)),
         "RF reference"),
        (repository.open_cases_by_invoice(session, invoice_tokens(entry.remittance)),
         "invoice number in the remittance"),
        (repository.open_cases_of_payer(session, entry.debtor_name), "the payer's open case"),
    ]
    for cases, why in groups:
        for case in cases:
            if case.id not in found and not is_terminal(case.status):
                found.setdefault(case.id, (case, why))
    ordered = sorted(found.values(), key=lambda cw: cw[0].outstanding != entry.amount)
    out: list[SuggestedCase] = []
    for case, why in ordered[:limit]:
        customer = session.get(Customer, case.customer_id)
        exact = " (exact amount)" if case.outstanding == entry.amount else ""
        out.append(SuggestedCase(
            recovery_case_id=case.id, invoice_number=case.invoice_number,
            customer_name=customer.name if customer else "", currency=case.currency,
            outstanding=quantize(case.outstanding, case.currency), why=why + exact,
        ))
    return out


def unmatched(session: Session, limit: int = 100) -> UnmatchedList:
    rows = repository.unmatched(session, limit)
    entries = [
        UnmatchedEntry(
            id=r.id, reference=r.reference, amount=r.amount, currency=r.currency,
            booked_on=r.booked_on, structured_reference=r.structured_reference,
            remittance=r.remittance, debtor_name=r.debtor_name, debtor_iban=r.debtor_iban,
            reason=r.reason, created_at=r.created_at, suggestions=suggestions(session, r),
        )
        for r in rows
    ]
    return UnmatchedList(entries=entries, total=len(entries))


def _waiting(session: Session, entry_id: str) -> BankEntry:
    entry = repository.get(session, entry_id, for_update=True)
    if entry is None:
        raise NotFound("bank entry", entry_id)
    if entry.status != "UNMATCHED":
        raise Conflict(f"the entry is {entry.status}, not waiting", code="bank-entry-resolved")
    return entry


def _out(entry: BankEntry) -> EntryOut:
    return EntryOut.from_row(entry)


def assign(session: Session, entry_id: str, case_id: str, actor: Actor) -> EntryOut:
    """A person's choice: the entry is recorded as that case's payment."""
    entry = _waiting(session, entry_id)
    entry.payment_id = _pay(session, case_id, entry, actor)
    entry.status, entry.matched_by = "ASSIGNED", "manual"
    entry.recovery_case_id, entry.resolved_at = case_id, datetime.now(UTC)
    session.flush()
    record(session, actor, action="bank-entry.assigned", entity_type="bank-entry",
           entity_id=entry.id, case_id=case_id,
           after={"reference": entry.reference, "payment": entry.payment_id})
    return _out(entry)


def dismiss(session: Session, entry_id: str, reason: str | None, actor: Actor) -> EntryOut:
    """Not a customer's payment (a refund from a supplier, …): off the list, nothing paid."""
    entry = _waiting(session, entry_id)
    entry.status, entry.resolved_at = "DISMISSED", datetime.now(UTC)
    entry.reason = (reason or "dismissed")[:500]
    session.flush()
    record(session, actor, action="bank-entry.dismissed", entity_type="bank-entry",
           entity_id=entry.id, after={"reference": entry.reference, "reason": entry.reason})
    return _out(entry)

