"""How money received is allocated to a case (pure, Decimal only).

A payment first pays what the case still owes; anything above it is the customer's surplus,
kept as a credit. A reversed payment takes back what it paid (the case owes it again) and
whatever of its surplus is still unused. A credit pays another case up to what that case
owes. The final state depends only on the total received, never on how it was split
(`tests/unit/domain/test_allocation.py` checks it by property).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from payrec.domain.errors import Invalid

__all__ = ["Allocation", "CaseMoney", "allocate", "receive_all", "reverse", "use_credit"]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Allocation:
    applied: Decimal  # added to the case's amount paid
    surplus: Decimal  # kept as the customer's credit


@dataclass(frozen=True, slots=True)
class CaseMoney:
    amount: Decimal
    paid: Decimal
    credit: Decimal = ZERO  # the customer's surplus from this case's payments

    @property
    def outstanding(self) -> Decimal:
        return max(self.amount - self.paid, ZERO)

    @property
    def settled(self) -> bool:
        return self.paid >= self.amount


def allocate(outstanding: Decimal, payment: Decimal) -> Allocation:
    """Split a payment between what is owed and the surplus."""
    if payment <= 0:
        raise Invalid("a payment must be positive", field="amount")
    applied = min(payment, max(outstanding, ZERO))
    return Allocation(applied=applied, surplus=payment - applied)


def receive_all(amount: Decimal, payments: Iterable[Decimal]) -> CaseMoney:
    """The case after receiving these payments in order."""
    state = CaseMoney(amount, ZERO)
    for payment in payments:
        share = allocate(state.outstanding, payment)
        state = CaseMoney(amount, state.paid + share.applied, state.credit + share.surplus)
    return state


def reverse(paid: Decimal, credit_left: Decimal, allocation: Allocation) -> tuple[Decimal, Decimal]:
    """(amount paid, credit left) after reversing a payment allocated as `allocation`: its
    applied part is owed again, its surplus is withdrawn from the credit as far as unused."""
    return paid - allocation.applied, credit_left - min(credit_left, allocation.surplus)


def use_credit(credit_left: Decimal, outstanding: Decimal) -> Decimal:
    """How much of a credit pays a case that owes `outstanding`."""
    used = min(credit_left, max(outstanding, ZERO))
    if used <= 0:
        raise Invalid("nothing to apply: the credit is used up or the case owes nothing")
    return used
