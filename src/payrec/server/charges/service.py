"""Late charges on cases: what a case owes beyond its principal, computed from its history
(payments, sent steps, waivers) by `domain.charges`; waivers; admin-added reference rates.

Integrators (customer page, exports, webhooks) call :func:`for_case` (one case) or
:func:`for_cases` (a page): they answer :class:`~payrec.domain.charges.compute.CaseCharges`
(lines, principal outstanding, charges outstanding, total due; ``error`` set when a rate or a
compensation sum is missing: shown, never read as zero).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.orm import Session

from payrec.domain.cases import is_terminal, outstanding
from payrec.domain.charges.compute import CaseCharges, CaseTerms, ChargeLine, Waiver, compute
from payrec.domain.charges.rates import RateTable, ReferenceRate, shipped_table
from payrec.domain.charges.schemes import LateCharges, late_charges_from_dict
from payrec.domain.errors import DomainError
from payrec.domain.money import quantize
from payrec.domain.policy import DEFAULT_POLICY, PolicyError, policy_from_dict
from payrec.server.charges import repository
from payrec.server.charges.memo import MEMO_CASES, CaseKey, Memo, held, session_memo
from payrec.server.charges.schemas import (
    CaseChargesOut,
    ChargeLineOut,
)
from payrec.server.models import (
    ChargeWaiver,
    Customer,
    Payment,
    Policy,
    RecoveryCase,
    ReferenceRateRow,
    Reminder,
)

__all__ = [
    "CaseCharges",
    "CaseRef",
    "annotate_wire",
    "event_fields",
    "for_case",
    "for_cases",
    "owed",
    "rate_table",
    "settled",
    "to_out",
    "warm",
    "wire_fields",
]


@dataclass(frozen=True, slots=True)
class _CaseRef:
    id: str
    customer_id: str
    policy_id: str | None
    amount: Decimal
    amount_paid: Decimal
    currency: str
    due_date: date
    status: str
    resolved_at: datetime | None


CaseRef = _CaseRef
"""What the computation needs of a case, for callers that read cases as rows (exports)."""


def _ref(case: RecoveryCase) -> _CaseRef:
    return _CaseRef(
        case.id,
        case.customer_id,
        case.policy_id,
        case.amount,
        case.amount_paid,
        case.currency,
        case.due_date,
        case.status,
        case.resolved_at,
    )


def _added_rates_table(session: Session) -> RateTable:
    added = [
        ReferenceRate(r.reference, r.valid_from, r.rate, r.source, shipped=False)
        for r in repository.added_rates(session)
    ]
    return shipped_table().with_rates(added)


def rate_table(session: Session) -> RateTable:
    """The shipped rates plus those an admin added (an added one replaces a shipped one)."""
    memo = session_memo(session)
    if memo.rates is None:
        memo.rates = _added_rates_table(session)
    return memo.rates


def _load_customers(session: Session, memo: Memo, customer_ids: Iterable[str]) -> None:
    missing = sorted({c for c in customer_ids if c not in memo.customers})
    for start in range(0, len(missing), 500):
        memo.customers.update(repository.customer_terms(session, missing[start : start + 500]))


def warm(session: Session, case_ids: Sequence[str]) -> None:
    """Read the terms (customer's override, business flag, policy) of many cases at once,
    before a unit of work asks for their charges one case at a time (a bank statement)."""
    memo = session_memo(session)
    ids = sorted(set(case_ids))
    for start in range(0, len(ids), 500):
        for customer_id, terms in repository.customer_terms_of_cases(
            session, ids[start : start + 500]
        ).items():
            memo.customers.setdefault(customer_id, terms)


class _Configs:
    """Resolves a case's `lateCharges`: the customer's override, else the case's policy,
    else the customer's policy, else the default policy (dangling ids fall through)."""

    def __init__(
        self,
        session: Session,
        cases: Sequence[_CaseRef],
        customers: Mapping[str, Customer] | None = None,
        definitions: Mapping[str, dict[str, Any] | None] | None = None,
    ) -> None:
        self.session = session
        self.memo = session_memo(session)
        # customers and policy definitions the caller already read cost no query here
        for cid, c in (customers or {}).items():
            self.memo.customers.setdefault(cid, (c.late_charges, bool(c.is_business), c.policy_id))
        _load_customers(session, self.memo, (c.customer_id for c in cases))
        self.customers = self.memo.customers
        self.policies = self.memo.policies
        self.definitions = definitions or {}

    def _policy(self, policy_id: str) -> LateCharges | None:
        if policy_id not in self.policies:
            stored = (
                self.definitions[policy_id]
                if policy_id in self.definitions
                else repository.policy_definitions(self.session, [policy_id]).get(policy_id)
            )
            if stored is not None:
                try:
                    found: LateCharges | None = policy_from_dict(
                        {**stored, "id": policy_id}
                    ).late_charges
                except PolicyError:
                    found = None
            else:
                found = DEFAULT_POLICY.late_charges if policy_id == DEFAULT_POLICY.id else None
            self.policies[policy_id] = found
        return self.policies[policy_id]

    def business(self, case: _CaseRef) -> bool:
        return self.customers.get(case.customer_id, (None, False, None))[1]

    def customer_policy(self, case: _CaseRef) -> str | None:
        return self.customers.get(case.customer_id, (None, False, None))[2]

    def of(self, case: _CaseRef, customer_policy_id: str | None) -> LateCharges:
        override = self.customers.get(case.customer_id, (None, False, None))[0]
        if override:
            return late_charges_from_dict(override)
        for policy_id in (case.policy_id, customer_policy_id, DEFAULT_POLICY.id):
            if policy_id:
                found = self._policy(policy_id)
                if found is not None:
                    return found
        return LateCharges()


def charge_day(case: RecoveryCase) -> date:
    """The day a case's charges are counted to: today, or the day a closed case closed."""
    return _as_of(_ref(case), None)


def _as_of(case: _CaseRef, today: date | None) -> date:
    if is_terminal(case.status) and case.resolved_at is not None:
        return case.resolved_at.date()  # a closed case's charges stop when it closed
    return today or datetime.now(UTC).date()


def _none(case: _CaseRef, config: LateCharges) -> CaseCharges:
    paid = min(case.amount, case.amount_paid)
    return CaseCharges(
        config.scheme.value,
        case.currency,
        applicable=False,
        principal=case.amount,
        principal_paid=paid,
    )


def _compute(
    case: _CaseRef,
    config: LateCharges,
    business: bool,
    rates: RateTable,
    payments: Sequence[tuple[date, Decimal]],
    steps: Sequence[date],
    waivers: Iterable[ChargeWaiver],
    today: date | None,
) -> CaseCharges:
    if not config.is_on:
        return _none(case, config)
    try:
        return compute(
            CaseTerms(case.amount, case.currency, case.due_date, business),
            config,
            rates,
            as_of=_as_of(case, today),
            payments=payments,
            steps=steps,
            waivers=[Waiver(w.kind, w.waived_on) for w in waivers],
        )
    except DomainError as exc:  # a missing rate or compensation sum: shown on the case
        failed = _none(case, config)
        failed.applicable = True
        failed.error, failed.error_code = exc.detail, exc.code
        return failed


def _flush_pending(session: Session) -> None:
    """Flush a payment, reminder or waiver not yet written (it drops what it changes from
    the memo): a result is never answered from before it."""
    if held(session) and any(
        isinstance(o, Payment | ChargeWaiver | Reminder | Customer | Policy | ReferenceRateRow)
        for o in (*session.new, *session.dirty, *session.deleted)
    ):
        session.flush()


def _key(case: _CaseRef, customer_policy_id: str | None, as_of: date) -> CaseKey:
    return (
        case.customer_id,
        case.policy_id,
        customer_policy_id,
        case.amount,
        case.amount_paid,
        case.currency,
        case.due_date,
        case.status,
        as_of,
    )


def for_cases(
    session: Session,
    cases: Sequence[RecoveryCase | _CaseRef],
    customer_policy_ids: dict[str, str | None] | None = None,
    *,
    today: date | None = None,
    customers: Mapping[str, Customer] | None = None,
    definitions: Mapping[str, dict[str, Any] | None] | None = None,
) -> dict[str, CaseCharges]:
    """Charges of a page of cases in a few queries (only cases whose scheme is on read
    their payments, steps and waivers); a case asked for again in the same unit of work, in
    the same state, is answered from the session's memo. `customer_policy_ids` (the
    customers' policies), `customers` (by id) and policy `definitions` (by id, None for a
    policy known not to be stored) that the caller already holds are not read again."""
    refs = [c if isinstance(c, _CaseRef) else _ref(c) for c in cases]
    _flush_pending(session)
    configs = _Configs(session, refs, customers, definitions)
    memo = configs.memo
    assert memo.charges is not None
    given = customer_policy_ids or {}
    found: dict[str, CaseCharges] = {}
    keys: dict[str, CaseKey] = {}
    todo: list[_CaseRef] = []
    for c in refs:
        policy_id = given[c.customer_id] if c.customer_id in given else configs.customer_policy(c)
        keys[c.id] = key = _key(c, policy_id, _as_of(c, today))
        cached = memo.charges.get(c.id)
        if cached is not None and cached[0] == key:
            found[c.id] = cached[1]
        else:
            todo.append(c)
    if not todo:
        return found
    chosen = {c.id: configs.of(c, keys[c.id][2]) for c in todo}
    on = [c.id for c in todo if chosen[c.id].is_on]
    payments = repository.payments_of(session, on)
    steps = repository.sent_steps_of(session, on)
    waivers = repository.waivers_of(session, on)
    rates = rate_table(session) if on else shipped_table()
    # the reads above may have flushed (and so dropped entries): store after them
    memo = session_memo(session)
    assert memo.charges is not None
    if len(memo.charges) > MEMO_CASES:  # a long report: keep the memo bounded
        memo.charges.clear()
    for c in todo:
        found[c.id] = _compute(
            c,
            chosen[c.id],
            configs.business(c),
            rates,
            payments.get(c.id, []),
            steps.get(c.id, []),
            waivers.get(c.id, []),
            today,
        )
        memo.charges[c.id] = (keys[c.id], found[c.id])
    return found


def for_case(
    session: Session,
    case: RecoveryCase,
    customer: Customer | None = None,
    *,
    today: date | None = None,
) -> CaseCharges:
    """The case's charges as of today (or as of its closing): the integrators' call."""
    policies = {case.customer_id: customer.policy_id} if customer is not None else None
    return for_cases(session, [case], policies, today=today)[case.id]


def owed(session: Session, case: RecoveryCase) -> Decimal:
    """What a payment may cover: the total due with a scheme on, else the principal left.
    While a reference rate is missing (an error the case shows to the admin) a payment is
    still recorded, up to the principal left: money received is never refused, and once the
    rate is added the scheme's order allocates every payment again."""
    charges = for_case(session, case)
    if charges.error is not None or not charges.applicable:
        return case.outstanding
    return charges.total_due


def settled(session: Session, case: RecoveryCase) -> bool:
    """Whether the case owes nothing: principal and, with a scheme on, every charge."""
    charges = for_case(session, case)
    if not charges.applicable:
        return outstanding(case.amount, case.amount_paid) == 0
    return charges.error is None and charges.total_due == 0


# -- wire ----------------------------------------------------------------------------------


def event_fields(session: Session, case: RecoveryCase) -> dict[str, Any]:
    """A webhook's added fields for a case (`case.updated`, `case.resolved`,
    `payment.recorded`): the late charges left and the total due, as strings like the
    payload's other amounts (with no scheme: "0.00" and the principal left)."""
    charges = for_case(session, case)
    return {
        "chargesOutstanding": str(quantize(charges.outstanding, case.currency)),
        "totalDue": str(quantize(charges.total_due, case.currency)),
    }


def _line_wire(line: ChargeLine) -> dict[str, Any]:
    return {
        "kind": line.kind,
        "amount": line.amount,
        "currency": line.currency,
        "rate": line.rate,
        "fromDate": line.from_date,
        "toDate": line.to_date,
        "base": line.base,
        "days": line.days,
        "referenceRate": line.reference_rate,
        "margin": line.margin,
        "waived": line.waived,
        "paid": line.paid,
        "outstanding": line.outstanding,
    }


def wire_fields(charges: CaseCharges) -> dict[str, Any]:
    """The case JSON's fields: `charges`, `chargesOutstanding`, `totalDue`, and
    `amountOutstanding` as the principal left after the allocation order."""
    currency = charges.currency
    return {
        "amountOutstanding": quantize(charges.principal_outstanding, currency),
        "charges": [_line_wire(x) for x in charges.lines],
        "chargesOutstanding": quantize(charges.outstanding, currency),
        "totalDue": quantize(charges.total_due, currency),
        "lateCharges": {
            "scheme": charges.scheme,
            "applicable": charges.applicable,
            "note": charges.note,
            "error": charges.error,
            "errorCode": charges.error_code,
        },
    }


def annotate_wire(session: Session, cases: list[dict[str, Any]]) -> None:
    """Add the charge fields to a page of case JSON dicts (the queue, the lists)."""
    refs = [
        _CaseRef(
            c["id"],
            c["customerId"],
            c["policyId"],
            _number(c["amount"]),
            _number(c["amountPaid"]),
            c["currency"],
            _date(c["dueDate"]),
            c["status"],
            c["resolvedAt"],
        )
        for c in cases
    ]
    policies = {c["customerId"]: c["customer"].get("policyId") for c in cases}
    found = for_cases(session, refs, policies)
    for case in cases:
        case.update(wire_fields(found[case["id"]]))


def _number(value: Any) -> Decimal:
    """A wire amount: a Decimal, or the exact JSON fragment the queue writes."""
    if isinstance(value, Decimal):
        return value
    return Decimal(orjson.dumps(value).decode())


def _date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def to_out(case_id: str, charges: CaseCharges) -> CaseChargesOut:
    return CaseChargesOut(
        case_id=case_id,
        scheme=charges.scheme,
        applicable=charges.applicable,
        note=charges.note,
        currency=charges.currency,
        principal=charges.principal,
        principal_outstanding=charges.principal_outstanding,
        charges=[ChargeLineOut.model_validate(_line_wire(x)) for x in charges.lines],
        interest=charges.interest,
        compensation=charges.compensation,
        fees=charges.fees,
        charges_billed=charges.billed,
        charges_collected=charges.collected,
        charges_waived=charges.waived,
        charges_outstanding=charges.outstanding,
        total_due=charges.total_due,
        current_rate=charges.current_rate,
        error=charges.error,
        error_code=charges.error_code,
    )
