"""One chunk of an import written, one path for every row: the chunk's customers and cases
looked up in bulk (one query per kind of key), then each row in file order is refused,
left unchanged, changed through the services (`customers.patch`, `cases.edits.edit`, a
payment through `payments.record_payment`, alone in a savepoint so a refused change leaves
nothing behind), or opens a case; the new customers and cases are written together
(`bulk`: one INSERT each, their audit entries and events), and a new case with something
already paid then takes its payment through the payments service."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from payrec.domain.cases import is_terminal
from payrec.domain.imports.records import CustomerRow, InvoiceRow
from payrec.server.actor import Actor
from payrec.server.cases import edits
from payrec.server.cases.schemas import CaseEdit
from payrec.server.customers import service as customers
from payrec.server.customers.schemas import CustomerPatch
from payrec.server.errors import DomainError
from payrec.server.imports import bulk, repository
from payrec.server.models import Customer, RecoveryCase
from payrec.server.models.base import new_ids
from payrec.server.payments import service as payments
from payrec.server.payments.schemas import PaymentCreate

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
_REFUSED = (DomainError, ValueError)  # a service's refusal, a schema's (pydantic), a row's
_CUSTOMER_FIELDS = ("name", "email", "phone", "timezone", "locale")


@dataclass
class ChunkResult:
    counts: dict[str, int] = field(
        default_factory=lambda: {CREATED: 0, UPDATED: 0, UNCHANGED: 0, "failed": 0}
    )
    errors: list[dict[str, object]] = field(default_factory=list)

    def fail(self, line: int, message: str) -> None:
        self.counts["failed"] += 1
        self.errors.append({"line": line, "message": message})


class _RowRefused(ValueError):
    pass


class _Chunk:
    def __init__(self, session: Session, actor: Actor, source: str, rows: list[InvoiceRow]) -> None:
        self.session = session
        self.actor = actor
        self.source = source
        self.rows = rows
        self.policies = bulk.known_policies(session, rows)
        # what the database holds (models), looked up for the whole chunk
        self.customers: dict[str, Customer] = {}
        self.cases_by_external: dict[str, RecoveryCase] = {}
        self.cases_by_invoice: dict[tuple[str, str], RecoveryCase] = {}
        # what the chunk opens: customers by key (written ones stay, by id), cases to write
        self.new_customers: dict[str, dict[str, Any]] = {}
        self.written: set[str] = set()
        self.new_cases: list[dict[str, Any]] = []
        self.new_by_external: set[str] = set()
        self.new_by_invoice: set[tuple[str, str]] = set()
        self.new_paid: list[tuple[InvoiceRow, str]] = []
        self.case_ids = iter(new_ids("case", len(rows)))  # one per row at most
        self.load()

    def load(self) -> None:
        rows, session = self.rows, self.session
        external = {r.customer.external_id for r in rows if r.customer.external_id}
        named = {r.customer.key for r in rows if not r.customer.external_id}
        self.customers = repository.customers_by_external_id(session, external)
        self.customers.update(repository.customers_by_name(session, named))
        self.cases_by_external = repository.cases_by_external_id(
            session, {r.external_id for r in rows if r.external_id}
        )
        keys: set[tuple[str, str]] = set()
        for r in rows:
            customer_id = self._customer_id(r.customer.key)
            if customer_id is not None and (
                r.customer.key in self.customers or customer_id in self.written
            ):
                keys.add((customer_id, r.invoice_number))
        self.cases_by_invoice = repository.cases_by_invoice(session, keys)

    def _customer_id(self, key: str) -> str | None:
        found = self.customers.get(key)
        if found is not None:
            return found.id
        made = self.new_customers.get(key)
        return None if made is None else str(made["id"])

    def take(self, row: InvoiceRow, result: ChunkResult) -> None:
        """The row's outcome, counted (or its refusal, with its line)."""
        if row.policy_id and row.policy_id not in self.policies:
            result.fail(row.line, "unknown policy")
            return
        if self._opens_again(row):  # the chunk names this invoice twice: write, then compare
            self.flush(result)
            self.load()
        found, customer_id = self._customer(row.customer)
        case = self._case(row, customer_id)
        try:
            wanted = None if case is None else self._changes(case, row)
        except _RowRefused as exc:
            result.fail(row.line, str(exc))
            return
        patch = {} if found is None else _customer_patch(found, row.customer)
        if patch or wanted:
            try:
                with self.session.begin_nested():
                    if found is not None and patch:
                        customers.patch(self.session, found.id, CustomerPatch(**patch), self.actor)
                    if case is not None and wanted:
                        self._apply(case, row, *wanted)
            except _REFUSED as exc:
                self.session.expire_all()
                self.load()  # what the rollback undid is looked up again
                result.fail(row.line, getattr(exc, "detail", None) or str(exc))
                return
        if case is None:
            self._open(row, customer_id)
            result.counts[CREATED] += 1
        else:
            result.counts[UPDATED if patch or wanted else UNCHANGED] += 1

    def _customer(self, row: CustomerRow) -> tuple[Customer | None, str]:
        """The stored customer (None when the chunk opens it) and its id; a customer the
        chunk opens takes the later rows' values, as a patch would."""
        found = self.customers.get(row.key)
        if found is not None:
            return found, found.id
        made = self.new_customers.get(row.key)
        if made is None:
            made = self.new_customers[row.key] = bulk.customer_values(row)
        elif made["id"] in self.written:
            found = self.session.get(Customer, made["id"])
            assert found is not None
            self.customers[row.key] = found
            return found, found.id
        else:
            bulk.merge_customer(made, row)
        return None, str(made["id"])

    def _case(self, row: InvoiceRow, customer_id: str) -> RecoveryCase | None:
        if row.external_id and row.external_id in self.cases_by_external:
            return self.cases_by_external[row.external_id]
        return self.cases_by_invoice.get((customer_id, row.invoice_number))

    def _opens_again(self, row: InvoiceRow) -> bool:
        if row.external_id and row.external_id in self.new_by_external:
            return True
        customer_id = self._customer_id(row.customer.key)
        return customer_id is not None and (customer_id, row.invoice_number) in self.new_by_invoice

    def _open(self, row: InvoiceRow, customer_id: str) -> None:
        values = bulk.case_values(row, customer_id, next(self.case_ids))
        self.new_cases.append(values)
        if row.external_id:
            self.new_by_external.add(row.external_id)
        self.new_by_invoice.add((customer_id, row.invoice_number))
        if row.amount_paid:
            self.new_paid.append((row, values["id"]))

    def _changes(
        self, case: RecoveryCase, row: InvoiceRow
    ) -> tuple[dict[str, object], Decimal] | None:
        """What the row changes of its case (None: nothing), or `_RowRefused`."""
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
            return None
        if is_terminal(case.status):
            raise _RowRefused(f"case {case.id} is {case.status}; it cannot be changed")
        return changes, paid_more

    def _apply(
        self, case: RecoveryCase, row: InvoiceRow, changes: dict[str, object], paid_more: Decimal
    ) -> None:
        if changes:
            reason = f"import {self.source} line {row.line}"
            edits.edit(self.session, case.id, CaseEdit(reason=reason, **changes), self.actor)
        if row.external_id and row.external_id != case.external_id:
            case.external_id = row.external_id
            self.cases_by_external[row.external_id] = case
        if paid_more > 0:
            self._pay(case.id, case.currency, row, paid_more)

    def _pay(self, case_id: str, currency: str, row: InvoiceRow, amount: Decimal) -> None:
        reference = f"import:{row.external_id or row.invoice_number}:{row.amount_paid}"
        payments.record_payment(
            self.session,
            case_id,
            PaymentCreate(amount=amount, currency=currency, reference=reference[:200]),
            self.actor,
        )

    def flush(self, result: ChunkResult) -> None:
        """Write what the chunk opened so far; then the payments of its new cases."""
        made = [v for v in self.new_customers.values() if v["id"] not in self.written]
        bulk.insert_customers(self.session, made, self.actor)
        self.written.update(str(v["id"]) for v in made)
        bulk.insert_cases(self.session, self.new_cases, self.actor)
        paid = self.new_paid
        self.new_cases, self.new_paid = [], []
        self.new_by_external, self.new_by_invoice = set(), set()
        for row, case_id in paid:
            try:
                with self.session.begin_nested():
                    self._pay(case_id, row.currency, row, row.amount_paid)
            except _REFUSED as exc:  # the case stays open with nothing paid; the row says why
                self.session.expire_all()
                result.counts[CREATED] -= 1
                result.fail(row.line, getattr(exc, "detail", None) or str(exc))


def _customer_patch(customer: Customer, row: CustomerRow) -> dict[str, Any]:
    """The row's values that differ from the stored customer's (an empty cell keeps it)."""
    return {
        name: value
        for name in _CUSTOMER_FIELDS
        if (value := getattr(row, name)) is not None and getattr(customer, name) != value
    }


def write_chunk(
    session: Session, rows: list[InvoiceRow], actor: Actor, *, source: str
) -> ChunkResult:
    """Upsert the chunk's rows (already validated); a refused row is left out alone."""
    result = ChunkResult()
    chunk = _Chunk(session, actor, source, rows)
    for row in rows:
        chunk.take(row, result)
    chunk.flush(result)
    return result
