"""Number, date, currency and payment-term parser tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from payrec.extraction.currency import count_currencies, currency_in
from payrec.extraction.dates import find_dates, parse_date, payment_terms_days
from payrec.extraction.numbers import find_numbers, parse_amount


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("1.234,56", None, "1234.56"),
        ("1,234.56", None, "1234.56"),
        ("1 234,56", None, "1234.56"),
        ("1\u00a0234,56 €", None, "1234.56"),
        ("1'234.56", None, "1234.56"),
        ("$4.11", None, "4.11"),
        ("€ 399,00", None, "399.00"),
        ("29.99 € TTC", None, "29.99"),
        ("-9,32", None, "-9.32"),
        ("(12.00)", None, "-12.00"),
        ("100,00-", None, "-100.00"),
        ("Rs 1939", None, "1939"),
        ("9,9000", None, "9.9000"),
        ("37.763,70", None, "37763.70"),
        ("1.234.567", None, "1234567"),
        ("1,234", None, "1234"),
        ("1,234", ",", "1.234"),
        ("EUR 49,99", None, "49.99"),
        ("1 234 567,89 zł", None, "1234567.89"),
    ],
)
def test_parse_amount(text: str, hint: str | None, expected: str) -> None:
    value = parse_amount(text, hint)  # type: ignore[arg-type]
    assert value == Decimal(expected)
    assert isinstance(value, Decimal)


@pytest.mark.parametrize("text", ["", "abc", "12/03/2020", "--"])
def test_parse_amount_rejects(text: str) -> None:
    assert parse_amount(text) is None


def test_find_numbers_skips_dates_and_flags_percent() -> None:
    found = find_numbers("Tax 15% on $ 112.90 $16.94 due 05.03.2018")
    values = [(n.value, n.percent) for n in found]
    assert values == [(Decimal("15"), True), (Decimal("112.90"), False), (Decimal("16.94"), False)]


def test_find_numbers_does_not_glue_columns() -> None:
    # "1 278.61" is a quantity and a price in two columns, not 1278.61
    assert [n.value for n in find_numbers("Total 1 278.61 40.39 319.00")] == [
        Decimal("1"),
        Decimal("278.61"),
        Decimal("40.39"),
        Decimal("319.00"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("05.03.2018", date(2018, 3, 5)),
        ("21.05.14", date(2014, 5, 21)),
        ("2014-07-03", date(2014, 7, 3)),
        ("20-10-2015", date(2015, 10, 20)),
        ("03/20/2023", date(2023, 3, 20)),
        ("August 3 , 2014", date(2014, 8, 3)),
        ("Jan 1, 2022", date(2022, 1, 1)),
        ("19 april 2014", date(2014, 4, 19)),
        ("7. Mai 2014", date(2014, 5, 7)),
        ("24. Januar 2014", date(2014, 1, 24)),
        ("02 Juillet 2015", date(2015, 7, 2)),
        ("1er août 2020", date(2020, 8, 1)),
        ("3 de marzo de 2023", date(2023, 3, 3)),
        ("15 de septiembre de 2022", date(2022, 9, 15)),
        ("12 maart 2021", date(2021, 3, 12)),
        ("1 stycznia 2023", date(2023, 1, 1)),
        ("5 października 2021", date(2021, 10, 5)),
        ("16 Dezember 2019", date(2019, 12, 16)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_day_month_order_hint() -> None:
    assert parse_date("04/05/2023") == date(2023, 5, 4)  # European default
    assert parse_date("04/05/2023", "mdy") == date(2023, 4, 5)
    assert find_dates("04/05/2023")[0].ambiguous


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Payment terms: Net 30 days", 30),
        ("net 45", 45),
        ("Zahlbar innerhalb 30 Tagen netto", 30),
        ("14 Tage netto", 14),
        ("Paiement à 30 jours", 30),
        ("betaling binnen 14 dagen", 14),
        ("Plazo de 60 días", 60),
        ("Termin płatności: 7 dni", 7),
        ("Thank you for your business", None),
    ],
)
def test_payment_terms(text: str, days: int | None) -> None:
    assert payment_terms_days(text) == days


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Total EUR 34,73", "EUR"),
        ("€ 717,97", "EUR"),
        ("$127.50", "USD"),
        ("£ 12.00", "GBP"),
        ("Rs 1939", "INR"),
        ("₹ 500", "INR"),
        ("120,00 zł", "PLN"),
        ("CHF 1'200.00", "CHF"),
        ("C$ 10.00", "CAD"),
        ("no money here", None),
    ],
)
def test_currency_in(text: str, code: str | None) -> None:
    assert currency_in(text) == code


def test_count_currencies_prefers_codes() -> None:
    counts = count_currencies("Amounts in EUR. Total € 10,00; fee € 1,00")
    assert counts.most_common(1)[0][0] == "EUR"
