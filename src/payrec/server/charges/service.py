"""Late charges on cases: what a case owes beyond its principal, computed from its history
(payments, sent steps, waivers) by `domain.charges`; waivers; admin-added reference rates.

Integrators (customer page, exports, webhooks) call :func:`for_case` (one case) or
:func:`for_cases` (a page): they answer :class:`~payrec.domain.charges.compute.CaseCharges`
(lines, principal outstanding, charges outstanding, total due; ``error`` set when a rate or a
compensation sum is missing: shown, never read as zero).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.orm import Session

from payrec.domain.cases import is_terminal, outstanding
from payrec.domain.charges.compute import CaseCharges, CaseTerms, ChargeLine, Waiver, compute
from payrec.domain.charges.rates import RateTable, ReferenceRate, check_rate, shipped_table
from payrec.domain.charges.schemes import LateCharges, late_charges_from_dict
from payrec.domain.errors import DomainError
from payrec.domain.money import quantize
from payrec.domain.policy import DEFAULT_POLICY, PolicyError, policy_from_dict
from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.cases.settlement import stop_contact
from payrec.server.charges import repository
from payrec.server.charges.schemas import (
    CaseChargesOut,
    ChargeLineOut,
    RateCreate,
    RateList,
    RateOut,
    WaiverCreate,
    WaiverOut,
)
from payrec.server.errors import Conflict, NotFound
from payrec.server.models import ChargeWaiver, Customer, RecoveryCase, ReferenceRateRow

__all__ = [
    "CaseCharges",
    "add_rate",
    "annotate_wire",
    "for_case",
    "for_cases",
    "list_rates",
    "owed",
    "rate_table",
    "settled",
    "to_out",
    "waive",
    "waiver_out",
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


def rate_table(session: Session) -> RateTable:
    """The shipped rates plus those an admin added (an added one replaces a shipped one)."""
    added = [
        ReferenceRate(r.reference, r.valid_from, r.rate, r.source, shipped=False)
        for r in repository.added_rates(session)
    ]
    return shipped_table().with_rates(added)


class _Configs:
    """Resolves a case's `lateCharges`: the customer's override, else the case's policy,
    else the customer's policy, else the default policy (dangling ids fall through)."""

    def __init__(self, session: Session, cases: Sequence[_CaseRef]) -> None:
        self.customers = repository.customer_terms(session, sorted({c.customer_id for c in cases}))
        self.session = session
        self.policies: dict[str, LateCharges | None] = {}

    def _policy(self, policy_id: str) -> LateCharges | None:
        if policy_id not in self.policies:
            stored = repository.policy_definitions(self.session, [policy_id]).get(policy_id)
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
        return self.customers.get(case.customer_id, (None, False))[1]

    def of(self, case: _CaseRef, customer_policy_id: str | None) -> LateCharges:
        override = self.customers.get(case.customer_id, (None, False))[0]
        if override:
            return late_charges_from_dict(override)
        for policy_id in (case.policy_id, customer_policy_id, DEFAULT_POLICY.id):
            if policy_id:
                found = self._policy(policy_id)
                if found is not None:
                    return found
        return LateCharges()


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


def for_cases(
    session: Session,
    cases: Sequence[RecoveryCase | _CaseRef],
    customer_policy_ids: dict[str, str | None],
    *,
    today: date | None = None,
) -> dict[str, CaseCharges]:
    """Charges of a page of cases in a few queries (only cases whose scheme is on read
    their payments, steps and waivers)."""
    refs = [c if isinstance(c, _CaseRef) else _ref(c) for c in cases]
    configs = _Configs(session, refs)
    chosen = {c.id: configs.of(c, customer_policy_ids.get(c.customer_id)) for c in refs}
    on = [c.id for c in refs if chosen[c.id].is_on]
    payments = repository.payments_of(session, on)
    steps = repository.sent_steps_of(session, on)
    waivers = repository.waivers_of(session, on)
    rates = rate_table(session) if on else shipped_table()
    return {
        c.id: _compute(
            c,
            chosen[c.id],
            configs.business(c),
            rates,
            payments.get(c.id, []),
            steps.get(c.id, []),
            waivers.get(c.id, []),
            today,
        )
        for c in refs
    }


def for_case(
    session: Session,
    case: RecoveryCase,
    customer: Customer | None = None,
    *,
    today: date | None = None,
) -> CaseCharges:
    """The case's charges as of today (or as of its closing): the integrators' call."""
    policy_id = (
        customer.policy_id
        if customer is not None
        else (
            session.get(Customer, case.customer_id).policy_id  # type: ignore[union-attr]
        )
    )
    return for_cases(session, [case], {case.customer_id: policy_id}, today=today)[case.id]


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


# -- waivers and rates ---------------------------------------------------------------------


def waive(
    session: Session, case: RecoveryCase, body: WaiverCreate, actor: Actor
) -> tuple[ChargeWaiver, CaseCharges]:
    """Waive a kind of charge on the case from today on, with a reason (audited)."""
    before = for_case(session, case)
    if not before.applicable:
        raise Conflict("the case has no late charges to waive", code="no-late-charges")
    if any(w.kind == body.kind for w in repository.waivers_of(session, [case.id])[case.id]):
        raise Conflict(f"{body.kind} is already waived on this case", code="already-waived")
    waiver = ChargeWaiver(
        recovery_case_id=case.id,
        kind=body.kind,
        waived_on=_as_of(_ref(case), None),
        reason=body.reason.strip(),
        actor=actor.name,
    )
    session.add(waiver)
    session.flush()
    after = for_case(session, case)
    record(
        session,
        actor,
        action="charges.waived",
        entity_type="recovery_case",
        entity_id=case.id,
        case_id=case.id,
        before={"chargesOutstanding": str(before.outstanding)},
        after={
            "kind": body.kind,
            "reason": waiver.reason,
            "waived": str(after.waived - before.waived),
            "chargesOutstanding": str(after.outstanding),
        },
    )
    return waiver, after


def waiver_out(waiver: ChargeWaiver) -> WaiverOut:
    return WaiverOut(
        id=waiver.id,
        case_id=waiver.recovery_case_id,
        kind=waiver.kind,
        waived_on=waiver.waived_on,
        reason=waiver.reason,
        actor=waiver.actor,
        created_at=waiver.created_at,
    )


def list_rates(session: Session, reference: str | None = None) -> RateList:
    rates = [r for r in rate_table(session).all() if reference in (None, r.reference)]
    return RateList(
        rates=[
            RateOut(
                reference=r.reference,
                valid_from=r.valid_from,
                rate=r.rate,
                source=r.source,
                shipped=r.shipped,
            )
            for r in rates
        ]
    )


def add_rate(session: Session, body: RateCreate, actor: Actor) -> RateOut:
    """An admin adds a half-year's rate (409 when that half-year already has one)."""
    check_rate(body.reference, body.valid_from, body.rate)
    if rate_table(session).get(body.reference, body.valid_from) is not None:
        raise Conflict(
            f"{body.reference} already has a rate from {body.valid_from}",
            code="reference-rate-exists",
        )
    row = ReferenceRateRow(
        reference=body.reference,
        valid_from=body.valid_from,
        rate=body.rate,
        source=body.source.strip(),
        created_by=actor.name,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        action="reference_rate.added",
        entity_type="reference_rate",
        entity_id=row.id,
        after={
            "reference": row.reference,
            "validFrom": row.valid_from.isoformat(),
            "rate": str(row.rate),
            "source": row.source,
        },
    )
    return RateOut(
        reference=row.reference,
        valid_from=row.valid_from,
        rate=row.rate,
        source=row.source,
        shipped=False,
    )


def case_or_404(session: Session, case_id: str) -> RecoveryCase:
    case = session.get(RecoveryCase, case_id)
    if case is None:
        raise NotFound("recovery case", case_id)
    return case


def resolve_if_settled(session: Session, case: RecoveryCase, actor: Actor) -> bool:
    """A case with a scheme on resolves once it owes nothing (principal and charges): after
    a payment, or a waiver of what was left. Returns whether it resolved now."""
    if is_terminal(case.status) or not settled(session, case):
        return False
    before = case.status
    case.status = "RESOLVED"
    case.resolved_at = datetime.now(UTC)
    stop_contact(session, case, actor, reason="case settled")
    record(
        session,
        actor,
        action="case.resolved",
        entity_type="recovery_case",
        entity_id=case.id,
        case_id=case.id,
        before={"status": before},
        after={"status": "RESOLVED"},
    )
    return True
