"""Allocation of payments, surplus credits and reversals (issue 15, item 5)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payrec.domain.allocation import Allocation, allocate, receive_all, reverse, use_credit
from payrec.domain.errors import Invalid

D = Decimal


def test_an_overpayment_settles_and_keeps_the_surplus() -> None:
    assert allocate(D("100.00"), D("120.50")) == Allocation(D("100.00"), D("20.50"))
    assert allocate(D("100.00"), D("40.00")) == Allocation(D("40.00"), D("0"))
    assert allocate(D("0"), D("5")) == Allocation(D("0"), D("5"))
    with pytest.raises(Invalid):
        allocate(D("1"), D("0"))


def test_a_reversal_owes_again_and_withdraws_the_unused_surplus() -> None:
    assert reverse(D("100"), D("20.50"), Allocation(D("100"), D("20.50"))) == (D("0"), D("0"))
    assert reverse(D("100"), D("5"), Allocation(D("60"), D("20"))) == (D("40"), D("0"))


def test_a_credit_pays_up_to_what_is_owed() -> None:
    assert use_credit(D("20"), D("50")) == D("20")
    assert use_credit(D("80"), D("50")) == D("50")
    with pytest.raises(Invalid):
        use_credit(D("0"), D("50"))


cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: D(c) / 100)


@given(amount=cents, total=cents, data=st.data())
def test_any_split_of_the_payments_gives_the_same_final_state(
    amount: Decimal, total: Decimal, data: st.DataObject
) -> None:
    cuts = data.draw(st.lists(st.integers(1, int(total * 100) - 1), unique=True, max_size=8)
                     if total > D("0.01") else st.just([]))
    bounds = [0, *sorted(cuts), int(total * 100)]
    parts = [D(b - a) / 100 for a, b in itertools.pairwise(bounds)]
    assert sum(parts) == total
    state = receive_all(amount, data.draw(st.permutations(parts)))
    assert state.paid == min(total, amount)
    assert state.credit == max(total - amount, D(0))
    assert state.paid + state.credit == total
    assert state.settled == (total >= amount)
