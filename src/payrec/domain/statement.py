"""A customer's statement: what is owed, per currency, from the customer's cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from payrec.domain.cases import is_terminal, outstanding
from payrec.domain.money import quantize


@dataclass(frozen=True)
class StatementLine:
    """`principal_left` and `charges_left` as the case's late-charge allocation has them
    (payments pay costs, then interest, then principal under a scheme); without them the
    principal left is `amount - paid` and there are no charges."""

    currency: str
    amount: Decimal
    paid: Decimal
    due_date: date
    status: str
    principal_left: Decimal | None = None
    charges_left: Decimal = Decimal(0)


@dataclass(frozen=True)
class CurrencyTotal:
    """`outstanding` counts open cases only (a written-off balance is no longer owed);
    `overdue` is the part of it past its due date; `paid` counts every case."""

    currency: str
    cases: int
    open_cases: int
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    overdue: Decimal
    charges: Decimal = Decimal(0)  # late charges the open cases still owe

    @property
    def total_due(self) -> Decimal:
        return self.outstanding + self.charges


@dataclass
class _Sums:
    cases: int = 0
    open_cases: int = 0
    amount: Decimal = Decimal(0)
    paid: Decimal = Decimal(0)
    outstanding: Decimal = Decimal(0)
    overdue: Decimal = Decimal(0)
    charges: Decimal = Decimal(0)


def totals(lines: Iterable[StatementLine], *, today: date) -> list[CurrencyTotal]:
    """Per currency (alphabetical), amounts in the currency's minor units."""
    sums: dict[str, _Sums] = {}
    for line in lines:
        entry = sums.setdefault(line.currency, _Sums())
        is_open = not is_terminal(line.status)
        principal = (
            outstanding(line.amount, line.paid)
            if line.principal_left is None
            else line.principal_left
        )
        owed = principal if is_open else Decimal(0)
        entry.charges += line.charges_left if is_open else Decimal(0)
        entry.cases += 1
        entry.open_cases += int(is_open)
        entry.amount += line.amount
        entry.paid += line.paid
        entry.outstanding += owed
        if line.due_date < today:
            entry.overdue += owed
    return [
        CurrencyTotal(
            currency=currency,
            cases=v.cases,
            open_cases=v.open_cases,
            amount=quantize(v.amount, currency),
            paid=quantize(v.paid, currency),
            outstanding=quantize(v.outstanding, currency),
            overdue=quantize(v.overdue, currency),
            charges=quantize(v.charges, currency),
        )
        for currency, v in sorted(sums.items())
    ]
