"""One chunk of an import written: customers and cases upserted by external id (or customer
and invoice number) through the same services as the API, each row in a savepoint so a
refused row leaves nothing behind and the chunk's good rows are kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy.orm import Session

from payrec.domain.cases import is_terminal
from payrec.domain.imports.records import CustomerRow, InvoiceRow
from payrec.server.actor import Actor
from payrec.server.cases import edits
from payrec.server.cases import service as cases
from payrec.server.cases.schemas import CaseCreate, CaseEdit
from payrec.server.customers import service as customers
from payrec.server.customers.schemas import CustomerCreate, CustomerPatch
from payrec.server.errors import DomainError
from payrec.server.imports import bulk, repository
from payrec.server.models import Customer, RecoveryCase
from payrec.server.payments import service as payments
from payrec.server.payments.schemas import PaymentCreate

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


@dataclass
class ChunkResult:
    counts: dict[str, int] = field(
        default_factory=lambda: {CREATED: 0, UPDATED: 0, UNCHANGED: 0, "failed": 0}
    )
    errors: list[dict[str, object]] = field(default_factory=list)

    def fail(self, line: int, message: str) -> None:
        self.counts["failed"] += 1
        self.errors.append({"line": line, "message": message})


class _Chunk:
    def __init__(self, session: Session, actor: Actor, source: str) -> None:
        self.session = session
        self.actor = actor
        self.source = source
        self.customers: dict[str, Customer] = {}
        self.cases_by_external: dict[str, RecoveryCase] = {}
        self.cases_by_invoice: dict[tuple[str, str], RecoveryCase] = {}

    def load(self, rows: list[InvoiceRow]) -> None:
        session = self.session
        external = {r.customer.external_id for r in rows if r.customer.external_id}
        named = {r.customer.key for r in rows if not r.customer.external_id}
        self.customers = repository.customers_by_external_id(session, external)
        self.customers.update(repository.customers_by_name(session, named))
        self.cases_by_external = repository.cases_by_external_id(
            session, {r.external_id for r in rows if r.external_id}
        )
        keys = {
            (self.customers[r.customer.key].id, r.invoice_number)
            for r in rows
            if r.customer.key in self.customers
        }
        self.cases_by_invoice = repository.cases_by_invoice(session, keys)

    def customer(self, row: CustomerRow) -> tuple[Customer, bool]:
        found = self.customers.get(row.key)
        if found is None:
            created = customers.create(
                self.session,
                CustomerCreate(
                    name=row.name,
                    email=row.email,
                    phone=row.phone,
                    timezone=row.timezone,
                    locale=row.locale,
                ),
                self.actor,
            )
            created.external_id = row.external_id
            self.customers[row.key] = created
            return created, True
        wanted = {"name": row.name, "email": row.email, "phone": row.phone,
                  "timezone": row.timezone, "locale": row.locale}
        changed = {k: v for k, v in wanted.items() if v is not None and getattr(found, k) != v}
        if changed:
            customers.patch(self.session, found.id, CustomerPatch(**changed), self.actor)
        return found, bool(changed)

    def case(self, row: InvoiceRow, customer: Customer) -> RecoveryCase | None:
        if row.external_id and row.external_id in self.cases_by_external:
            return self.cases_by_external[row.external_id]
        return self.cases_by_invoice.get((customer.id, row.invoice_number))

    def apply(self, row: InvoiceRow) -> str:
        customer, customer_changed = self.customer(row.customer)
        case = self.case(row, customer)
        if case is None:
            case = cases.create(
                self.session,
                CaseCreate(
                    customer_id=customer.id,
                    invoice_number=row.invoice_number,
                    amount=row.amount,
                    currency=row.currency,
                    due_date=row.due_date,
                    issue_date=row.issue_date,
                    policy_id=row.policy_id,
                ),
                self.actor,
            )
            case.external_id = row.external_id
            self._remember(case)
            if row.amount_paid:
                self._pay(case, row, row.amount_paid)
            return CREATED
        return UPDATED if self._update(case, row) or customer_changed else UNCHANGED

    def _update(self, case: RecoveryCase, row: InvoiceRow) -> bool:
        if row.currency != case.currency:
            raise _RowRefused(f"currency {row.currency} differs from the case's {case.currency}")
        changes: dict[str, object] = {}
        if row.amount != case.amount:
            changes["amount"] = row.amount
        if row.due_date != case.due_date:
            changes["due_date"] = row.due_date
        if row.policy_id is not None and row.policy_id != case.policy_id:
            changes["policy_id"] = row.policy_id
        paid_more = row.amount_paid - case.amount_paid
        if paid_more < 0:
            raise _RowRefused(
                f"amount_paid {row.amount_paid} is less than the {case.amount_paid} "
                "already recorded on the case"
            )
        if not changes and not paid_more and row.external_id in (None, case.external_id):
            return False
        if is_terminal(case.status):
            raise _RowRefused(f"case {case.id} is {case.status}; it cannot be changed")
        if changes:
            reason = f"import {self.source} line {row.line}"
            edits.edit(self.session, case.id, CaseEdit(reason=reason, **changes), self.actor)
        if row.external_id and row.external_id != case.external_id:
            case.external_id = row.external_id
            self._remember(case)
        if paid_more > 0:
            self._pay(case, row, paid_more)
        return True

    def _pay(self, case: RecoveryCase, row: InvoiceRow, amount: Decimal) -> None:
        reference = f"import:{row.external_id or row.invoice_number}:{row.amount_paid}"
        payments.record_payment(
            self.session,
            case.id,
            PaymentCreate(amount=amount, currency=case.currency, reference=reference[:200]),
            self.actor,
        )

    def _remember(self, case: RecoveryCase) -> None:
        if case.external_id:
            self.cases_by_external[case.external_id] = case
        self.cases_by_invoice[(case.customer_id, case.invoice_number or "")] = case


class _RowRefused(Exception):
    pass


def write_chunk(
    session: Session, rows: list[InvoiceRow], actor: Actor, *, source: str
) -> ChunkResult:
    """Upsert the chunk's rows (already validated); a refused row is rolled back alone."""
    result = ChunkResult()
    chunk = _Chunk(session, actor, source)
    chunk.load(rows)
    rows = _write_new(session, chunk, rows, result, actor)
    for row in rows:
        savepoint = session.begin_nested()
        try:
            outcome = chunk.apply(row)
            savepoint.commit()
        except (DomainError, _RowRefused, ValueError) as exc:
            savepoint.rollback()
            session.expire_all()
            chunk.load(rows)  # what the rollback undid is looked up again
            result.fail(row.line, getattr(exc, "detail", None) or str(exc))
            continue
        result.counts[outcome] += 1
    return result


def _write_new(
    session: Session, chunk: _Chunk, rows: list[InvoiceRow], result: ChunkResult, actor: Actor
) -> list[InvoiceRow]:
    """Rows that open a case with nothing paid, in bulk; the rest (updates, payments, an
    invoice the chunk names twice, an unknown policy) are returned for the row-by-row path."""
    policies = bulk.known_policies(session, rows)
    fresh: list[InvoiceRow] = []
    rest: list[InvoiceRow] = []
    seen: set[tuple[str, str]] = set()
    named: dict[str, CustomerRow] = {}
    for row in rows:
        customer = chunk.customers.get(row.customer.key)
        key = (row.customer.key, row.invoice_number)
        existing = customer is not None and chunk.case(row, customer) is not None
        if (
            existing
            or key in seen
            or row.amount_paid
            or (row.external_id and row.external_id in chunk.cases_by_external)
            or (row.policy_id and row.policy_id not in policies)
            or (customer is not None and _differs(customer, row.customer))
            or named.get(row.customer.key, row.customer) != row.customer
        ):
            rest.append(row)
            continue
        seen.add(key)
        named[row.customer.key] = row.customer
        fresh.append(row)
    if fresh:
        bulk.new_customers(session, fresh, chunk.customers, actor)
        for case in bulk.new_cases(session, fresh, chunk.customers, actor):
            chunk._remember(case)
        result.counts[CREATED] += len(fresh)
    return rest


def _differs(customer: Customer, row: CustomerRow) -> bool:
    wanted = {"name": row.name, "email": row.email, "phone": row.phone,
              "timezone": row.timezone, "locale": row.locale}
    return any(v is not None and getattr(customer, k) != v for k, v in wanted.items())
