"""A customer's statement: open balances per currency, overdue part, closed cases owe nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from payrec.domain.statement import StatementLine, totals

TODAY = date(2026, 3, 10)


def _line(
    currency: str, amount: str, paid: str, due: date, status: str = "OVERDUE"
) -> StatementLine:
    return StatementLine(currency, Decimal(amount), Decimal(paid), due, status)


def test_open_balances_per_currency_with_their_overdue_part() -> None:
    result = totals(
        [
            _line("EUR", "100.00", "25.50", date(2026, 3, 1)),
            _line("EUR", "40.00", "0", date(2026, 4, 1), "PENDING"),
            _line("USD", "0.30", "0.10", date(2026, 2, 1)),
        ],
        today=TODAY,
    )
    assert [t.currency for t in result] == ["EUR", "USD"]
    eur, usd = result
    assert (eur.cases, eur.open_cases) == (2, 2)
    assert eur.amount == Decimal("140.00") and eur.paid == Decimal("25.50")
    assert eur.outstanding == Decimal("114.50") and eur.overdue == Decimal("74.50")
    assert usd.outstanding == Decimal("0.20") == usd.overdue


def test_closed_cases_count_but_owe_nothing() -> None:
    (jpy,) = totals(
        [
            _line("JPY", "1000", "0", date(2026, 1, 1), "WRITTEN_OFF"),
            _line("JPY", "500", "500", date(2026, 1, 1), "RESOLVED"),
            _line("JPY", "300", "0", date(2026, 3, 10), "PENDING"),  # due today: not overdue
        ],
        today=TODAY,
    )
    assert (jpy.cases, jpy.open_cases) == (3, 1)
    assert jpy.outstanding == Decimal("300") and jpy.overdue == Decimal("0")
    assert jpy.paid == Decimal("500")


def test_no_cases_no_lines() -> None:
    assert totals([], today=TODAY) == []
