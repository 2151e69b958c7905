"""The late-charges report: charges billed, collected, waived, outstanding per currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from payrec.domain.money import quantize
from payrec.domain.policy import DEFAULT_POLICY, PolicyError, policy_from_dict
from payrec.server.charges import repository
from payrec.server.charges.schemas import ChargesFigure, ChargesReport
from payrec.server.charges.service import CaseCharges, for_cases


def charged_cases(session: Session, *, as_of: date) -> dict[str, CaseCharges]:
    """The charges as of `as_of` of every case whose scheme may be on (read in pages of
    500); a case missing from the answer has no scheme: it owes `amount - paid`."""
    policies = repository.policies_with_late_charges(session)
    on = []
    for policy_id, definition in policies.items():
        try:
            if policy_from_dict({**definition, "id": policy_id}).late_charges.is_on:
                on.append(policy_id)
        except PolicyError:
            continue
    default_on = DEFAULT_POLICY.id in on or (
        DEFAULT_POLICY.id not in policies and DEFAULT_POLICY.late_charges.is_on
    )
    rows = repository.cases_with_charges(session, on, default_on)
    found: dict[str, CaseCharges] = {}
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        found.update(
            for_cases(
                session,
                [case for case, _p in chunk],
                {case.customer_id: p for case, p in chunk},
                today=as_of,
            )
        )
    return found


def owed_by_case(session: Session, *, as_of: date) -> dict[str, tuple[Decimal, Decimal]]:
    """(principal left after the allocation order, charges left) as of `as_of` of each case
    whose scheme applies: the reports use it instead of `amount - paid`."""
    return {
        case_id: (charges.principal_outstanding, charges.outstanding)
        for case_id, charges in charged_cases(session, as_of=as_of).items()
        if charges.applicable and charges.error is None
    }


def report(session: Session, *, as_of: date) -> ChargesReport:
    """Charges billed, collected, waived and outstanding per currency, as of `as_of`, over
    the cases whose scheme is on."""
    totals: dict[str, dict[str, Decimal]] = {}
    counts: dict[str, int] = {}
    errors = 0
    for charges in charged_cases(session, as_of=as_of).values():
        if charges.error is not None:
            errors += 1
        if not charges.lines:
            continue
        sums = totals.setdefault(charges.currency, {})
        counts[charges.currency] = counts.get(charges.currency, 0) + 1
        for key, value in (
            ("billed", charges.billed),
            ("collected", charges.collected),
            ("waived", charges.waived),
            ("outstanding", charges.outstanding),
            ("interest", charges.interest),
            ("compensation", charges.compensation),
            ("fees", charges.fees),
        ):
            sums[key] = sums.get(key, Decimal(0)) + value
    return ChargesReport(
        as_of=as_of,
        currencies=[
            ChargesFigure(
                currency=currency,
                cases=counts[currency],
                **{k: quantize(v, currency) for k, v in sums.items()},
            )
            for currency, sums in sorted(totals.items())
        ],
        errors=errors,
    )
