"""Recovery case rules: creation, the automation update, the open-case list."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from payrec.domain import creditor_reference
from payrec.domain.cases import (
    OPEN,
    check_status_change,
    closes,
    default_issue_date,
    opening_status,
    outstanding,
    priority_rank,
    resumes,
)
from payrec.domain.cases import stops_contact as stops_contact_on
from payrec.domain.money import InvalidMoney, check_amount, quantize, scaled_text
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.cases import repository
from payrec.server.cases.replan import release_steps
from payrec.server.cases.schedule_view import schedule_info
from payrec.server.cases.schemas import CaseCreate, CaseOut, CaseUpdate
from payrec.server.cases.settlement import stop_contact
from payrec.server.charges import service as late_charges
from payrec.server.customers import service as customers
from payrec.server.errors import Conflict, Invalid, NotFound
from payrec.server.events.service import case_data, emit, emit_many, resolved_or_updated
from payrec.server.jsonio import exact_number, format_timestamp
from payrec.server.models import CaseNote, Customer, Policy, RecoveryCase
from payrec.server.models.base import MONEY_SCALE, new_id
from payrec.server.pagination import next_cursor


def to_out(case: RecoveryCase, customer: Customer) -> CaseOut:
    # built from stored, already valid values: construct without re-validating (hot in lists)
    return CaseOut.trusted_from_row(
        case,
        amount=quantize(case.amount, case.currency),
        amount_paid=quantize(case.amount_paid, case.currency),
        amount_outstanding=quantize(case.outstanding, case.currency),
        customer=customers.to_summary(customer),
        broken_promise=case.broken_promise_at is not None,
        creditor_reference=creditor_reference.for_case(case.id),
    )


def queue_page(
    session: Session,
    *,
    status: str | None,
    priority: str | None,
    offset: int,
    limit: int,
    include: str | None,
) -> dict[str, Any]:
    """A page of open cases in the `CaseList` shape; `include="schedule"` adds, per case,
    what the scheduler needs to plan it."""
    statuses = [status] if status else list(OPEN)
    rows, total = repository.pending_rows(
        session, statuses=statuses, priority=priority, offset=offset, limit=limit
    )
    page = _queue_page_of(rows, total, offset)
    late_charges.annotate_wire(session, page["cases"])
    if include == "schedule":
        info = schedule_info(session, [(row[0], row[1]) for row in rows])
        for case in page["cases"]:
            case["schedule"] = info.get(case["id"])
    return page


def _queue_page_of(rows: Sequence[Any], total: int, offset: int) -> dict[str, Any]:
    cases = [row_to_wire(row) for row in rows]
    return {"cases": cases, "total": total, "nextCursor": next_cursor(offset, len(rows), total)}


def row_to_wire(row: Sequence[Any]) -> dict[str, Any]:
    """A driver row of `repository.pending_rows` as JSON-ready data, without models (the
    queue's hot path): the keys and values of `CaseOut` (`tests/integration/test_backend_ops.py`
    compares the two on the wire, on SQLite and PostgreSQL)."""
    (
        case_id,
        customer_id,
        invoice_number,
        amount,
        amount_paid,
        currency,
        due_date,
        status,
        priority,
        policy_id,
        last_reminder_sent_at,
        resolved_at,
        created_at,
        updated_at,
        paused_until,
        promise_due,
        broken_promise_at,
        issue_date,
        _customer_id,
        name,
        email,
        phone,
        timezone,
        locale,
        opt_out_email,
        opt_out_sms,
        customer_policy_id,
    ) = row
    return {
        "id": case_id,
        "customerId": customer_id,
        "invoiceNumber": invoice_number,
        "amount": _money(amount, currency),
        "amountPaid": _money(amount_paid, currency),
        "amountOutstanding": _money(outstanding(amount, amount_paid), currency),
        "currency": currency,
        "dueDate": due_date,  # an ISO date: text on SQLite, a date on PostgreSQL
        "issueDate": issue_date,
        "status": status,
        "priority": priority,
        "policyId": policy_id,
        "lastReminderSentAt": _utc(last_reminder_sent_at),
        "resolvedAt": _utc(resolved_at),
        "createdAt": _utc(created_at),
        "updatedAt": _utc(updated_at),
        "customer": {
            "id": customer_id,
            "name": name,
            "email": email,
            "phone": phone,
            "timezone": timezone,
            "locale": locale,
            "optOutEmail": bool(opt_out_email),  # 0/1 on SQLite
            "optOutSms": bool(opt_out_sms),
            "policyId": customer_policy_id,
        },
        "schedule": None,
        "pausedUntil": _utc(paused_until),
        "promiseDue": promise_due,  # an ISO date: text on SQLite, a date on PostgreSQL
        "brokenPromise": broken_promise_at is not None,
        "creditorReference": creditor_reference.for_case(case_id),  # as CaseOut has it
    }


_MONEY_TEXT: dict[tuple[int, str], Any] = {}


def _money(scaled: int, currency: str) -> Any:
    """The exact wire number of a stored amount; amounts repeat (zero paid, common prices),
    so their texts are kept (bounded) instead of being formatted for every row."""
    key = (scaled, currency)
    number = _MONEY_TEXT.get(key)
    if number is None:
        if len(_MONEY_TEXT) >= 50_000:
            _MONEY_TEXT.clear()
        number = _MONEY_TEXT[key] = exact_number(scaled_text(scaled, MONEY_SCALE, currency))
    return number


def _utc(value: datetime | str | None) -> datetime | None:
    """A stored UTC time as the driver returns it (naive UTC text on SQLite)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def _timestamp(value: datetime | None) -> str | None:
    return None if value is None else format_timestamp(value)


def get(session: Session, case_id: str, *, for_update: bool = False) -> RecoveryCase:
    case = repository.get(session, case_id, for_update=for_update)
    if case is None:
        raise NotFound("recovery case", case_id)
    return case


def get_out(session: Session, case_id: str) -> CaseOut:
    case = get(session, case_id)
    return charged_out(session, [(case, customers.get(session, case.customer_id))])[0]


def charged_out(
    session: Session,
    rows: Sequence[tuple[RecoveryCase, Customer]],
    *,
    definitions: Mapping[str, dict[str, Any] | None] | None = None,
) -> list[CaseOut]:
    """Cases as `CaseOut` with their late charges (`charges`, `chargesOutstanding`,
    `totalDue`; `amountOutstanding` the principal left after the allocation order). The
    customers are the rows' own (not read again), as are policy `definitions` the caller
    already read (by id; None: known not to be stored)."""
    found = late_charges.for_cases(
        session,
        [case for case, _c in rows],
        {c.id: c.policy_id for _case, c in rows},
        customers={c.id: c for _case, c in rows},
        definitions=definitions,
    )
    outs = []
    for case, customer in rows:
        fields = late_charges.wire_fields(found[case.id])
        outs.append(
            to_out(case, customer).model_copy(
                update={
                    "amount_outstanding": fields["amountOutstanding"],
                    "charges": fields["charges"],
                    "charges_outstanding": fields["chargesOutstanding"],
                    "total_due": fields["totalDue"],
                    "late_charges": fields["lateCharges"],
                }
            )
        )
    return outs


def validated_amount(amount: object, currency: str, field: str = "amount") -> Decimal:
    try:
        return check_amount(amount, currency)  # type: ignore[arg-type]
    except InvalidMoney as exc:
        raise Invalid(str(exc), field=field) from exc
    except ArithmeticError as exc:  # decimal.InvalidOperation on absurd magnitudes
        raise Invalid("amount is out of range", field=field) from exc


def create(
    session: Session, data: CaseCreate, actor: Actor, *, document_id: str | None = None
) -> RecoveryCase:
    """Open a case (the one constructor: the API and extraction both call it); from a
    document, its audit entry says so and names the document."""
    customer = session.get(Customer, data.customer_id)
    if customer is None:
        raise Invalid("unknown customer", field="customerId")
    if data.invoice_number:
        refuse_duplicate(session, customer.id, data.invoice_number)
    if (
        data.policy_id
        and data.policy_id != "policy-default"
        and session.get(Policy, data.policy_id) is None
    ):
        raise Invalid("unknown policy", field="policyId")
    case = RecoveryCase(
        **case_values(
            customer_id=customer.id,
            invoice_number=data.invoice_number,
            amount=validated_amount(data.amount, data.currency),
            currency=data.currency,
            due_date=data.due_date,
            issue_date=data.issue_date,
            priority=data.priority,
            policy_id=data.policy_id,
        )
    )
    session.add(case)
    session.flush()
    record_change(
        session,
        actor,
        "case.created" if document_id is None else "case.created_from_document",
        case,
        after=_snapshot(case)
        if document_id is None
        else {**_snapshot(case), "documentId": document_id},
    )
    emit(session, "case.created", case_data(case))
    if data.notes:
        add_note(session, case, data.notes, actor)
    return case


def case_values(
    *,
    customer_id: str,
    invoice_number: str | None,
    amount: Decimal,
    currency: str,
    due_date: date,
    issue_date: date | None,
    priority: str,
    policy_id: str | None,
    external_id: str | None = None,
    today: date | None = None,
    case_id: str | None = None,
) -> dict[str, Any]:
    """The columns of a new case, the one constructor of a case row (`create` makes its
    model of them, the import inserts them in bulk): its opening status, issue date and
    priority rank follow the domain's rules. The amount must be validated already
    (`validated_amount`); `case_id`: an id made ahead (`new_ids`), else a new one."""
    today = today or datetime.now(UTC).date()
    return {
        "id": case_id or new_id("case"),
        "customer_id": customer_id,
        "invoice_number": invoice_number,
        "external_id": external_id,
        "amount": amount,
        "amount_paid": Decimal(0),
        "currency": currency,
        "due_date": due_date,
        "issue_date": issue_date or default_issue_date(due_date, today),
        "status": opening_status(due_date, today),
        "priority": priority,
        "priority_rank": priority_rank(priority),
        "policy_id": policy_id,
    }


def announce_opened(session: Session, opened: Sequence[Any]) -> None:
    """The `case.created` event of each case just opened in bulk (`create` emits its own):
    models, or rows with the same attributes."""
    emit_many(session, "case.created", (case_data(case) for case in opened))


class DuplicateCase(Conflict, code="duplicate-case"):
    """An open case for the same (customer, invoice number) exists (409, names it)."""

    def __init__(self, invoice_number: str, existing_id: str) -> None:
        super().__init__(
            f"invoice {invoice_number!r} already has an open case, {existing_id}",
            extra={"existingCaseId": existing_id},
        )
        self.existing_id = existing_id


def refuse_duplicate(
    session: Session, customer_id: str, invoice_number: str, *, exclude: str | None = None
) -> None:
    """One open case per (customer, invoice number): checked under the customer's lock, so
    two requests opening the same invoice at once see each other (PostgreSQL's row lock;
    SQLite's writers are serialised). Duplicates stored before the rule stay as they are."""
    existing = repository.open_case_for_invoice(
        session, customer_id, invoice_number, exclude=exclude
    )
    if existing is not None:
        raise DuplicateCase(invoice_number, existing)


def update(
    session: Session,
    case_id: str,
    data: CaseUpdate,
    actor: Actor,
    *,
    locked: RecoveryCase | None = None,
    may_write_off: bool = False,
    reason: str | None = None,
) -> RecoveryCase:
    """Apply an update; `locked` is the case when the caller already holds its lock.

    The status moves by `domain.cases.check_status_change`: RESOLVED only with nothing
    outstanding (payments settle cases), WRITTEN_OFF only when `may_write_off` (an ADMIN
    through the management API) and with a `reason`, which the audit entry and a note keep.
    """
    if reason is not None and data.status is None:
        raise Invalid("a reason goes with a status change", field="reason")
    case = locked if locked is not None and locked.id == case_id else None
    case = case or get(session, case_id, for_update=True)
    before = _snapshot(case)
    if data.status is not None:
        check_status_change(
            case.status,
            data.status,
            outstanding(case.amount, case.amount_paid),
            may_write_off=may_write_off,
            reason=reason,
        )
        if closes(case.status, data.status):
            case.resolved_at = datetime.now(UTC)
        case.status = data.status
    if data.priority is not None:
        case.priority = data.priority
        case.priority_rank = priority_rank(data.priority)
    if data.last_reminder_sent_at is not None:
        latest = case.last_reminder_sent_at
        if latest is None or data.last_reminder_sent_at > latest:
            case.last_reminder_sent_at = data.last_reminder_sent_at
    after = _snapshot(case)
    if before != after:
        record_change(
            session,
            actor,
            "case.updated",
            case,
            before=before,
            after={**after, "reason": reason} if reason else after,
        )
        emit(
            session,
            resolved_or_updated(before, after),
            case_data(case, before=before, **late_charges.event_fields(session, case)),
        )
        if reason:
            add_note(session, case, f"{data.status}: {reason}", actor)
    if data.notes:
        add_note(session, case, data.notes, actor)
    if data.status is not None and stops_contact_on(str(before["status"]), data.status):
        stop_contact(session, case, actor, reason=f"case {data.status}")
    if data.status is not None and resumes(str(before["status"]), data.status):
        release_steps(session, case, actor, reason=f"case resumed: {data.status}", waiting=False)
    session.flush()
    return case


def add_note(session: Session, case: RecoveryCase, body: str, actor: Actor) -> CaseNote:
    note = CaseNote(
        recovery_case_id=case.id, body=body, author=actor.name, service_name=actor.service_name
    )
    session.add(note)
    session.flush()
    record_change(session, actor, "case.note_added", note, after={"body": body})
    return note


def _snapshot(case: Any) -> dict[str, object]:
    """What the audit log shows of a case (a model, or anything with its column attributes);
    amounts in the currency's minor units, as the API answers them."""
    return {
        "status": case.status,
        "priority": case.priority,
        "amount": _audit_money(case.amount, case.currency),
        "amountPaid": _audit_money(case.amount_paid, case.currency),
        "currency": case.currency,
        "dueDate": case.due_date,
        "issueDate": case.issue_date,
        "invoiceNumber": case.invoice_number,
        "lastReminderSentAt": case.last_reminder_sent_at,
    }


snapshot = _snapshot


def _audit_money(value: Decimal | int | None, currency: str) -> Decimal | None:
    return None if value is None else quantize(Decimal(value), currency)
