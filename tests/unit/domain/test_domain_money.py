"""Money: ISO 4217 minor units, validation, exact quantizing, locale formatting."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payrec.domain.money import (
    ACTIVE_CURRENCIES,
    InvalidMoney,
    check_amount,
    format_money,
    from_minor_units,
    is_valid_currency,
    minor_units,
    quantize,
    to_minor_units,
)

D = Decimal


@pytest.mark.parametrize(
    ("currency", "digits"),
    [("JPY", 0), ("KRW", 0), ("USD", 2), ("EUR", 2), ("GBP", 2), ("KWD", 3), ("BHD", 3),
     ("IQD", 3), ("CLF", 4), ("ISK", 0), ("RSD", 2)],
)  # fmt: skip
def test_minor_units(currency: str, digits: int) -> None:
    assert minor_units(currency) == digits


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (D("5000"), "USD", D("5000.00")),
        (D("5000.5"), "USD", D("5000.50")),
        (D("0.005"), "USD", D("0.01")),  # half up
        (D("1.5"), "JPY", D("2")),
        (D("12.3456"), "KWD", D("12.346")),
        (D("-2.345"), "EUR", D("-2.35")),
    ],
)
def test_quantize(amount: Decimal, currency: str, expected: Decimal) -> None:
    result = quantize(amount, currency)
    assert result == expected
    assert result.as_tuple().exponent == -minor_units(currency)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (D("5000"), "USD", "5000.00"),
        (D("0.01"), "USD", "0.01"),
        (D("1.230"), "KWD", "1.230"),
        (D("5.000"), "USD", "5.00"),  # trailing zeros are not extra precision
        (D("100"), "JPY", "100"),
        (D("999999999999999.99"), "USD", "999999999999999.99"),
    ],
)
def test_check_amount_accepts(amount: Decimal, currency: str, expected: str) -> None:
    assert str(check_amount(amount, currency)) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        (D("0.001"), "USD", "more decimal places than USD allows"),
        (D("1.5"), "JPY", "more decimal places than JPY allows"),
        (D("1.0001"), "KWD", "more decimal places"),
        (D("0"), "USD", "greater than zero"),
        (D("-1.00"), "USD", "negative"),
        (D("NaN"), "USD", "finite"),
        (D("Infinity"), "USD", "finite"),
        (D("1E+15"), "USD", "too large"),
        (D("10"), "ZZZ", "unknown currency"),
        (D("10"), "usd", "unknown currency"),
        (D("10"), "XAU", "unknown currency"),  # no minor unit: not for invoices
    ],
)
def test_check_amount_rejects(amount: Decimal, currency: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        check_amount(amount, currency)
    assert isinstance(info.value, InvalidMoney) and info.value.status == 422


def test_check_amount_zero_when_allowed() -> None:
    assert check_amount(D("0"), "EUR", allow_zero=True) == D("0.00")


@pytest.mark.parametrize("value", [1.5, 1, "1.50", None])
def test_no_floats_or_other_types(value: object) -> None:
    with pytest.raises(InvalidMoney, match="Decimal"):
        check_amount(value, "USD")  # type: ignore[arg-type]
    with pytest.raises(InvalidMoney, match="Decimal"):
        quantize(value, "USD")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "valid"),
    [("USD", True), ("EUR", True), ("JPY", True), ("XOF", True), ("ZWG", True),
     ("usd", False), ("ZZZ", False), ("HRK", False), ("", False), (None, False), (840, False)],
)  # fmt: skip
def test_is_valid_currency(code: object, valid: bool) -> None:
    assert is_valid_currency(code) is valid


def test_active_currency_list_is_sane() -> None:
    assert 150 < len(ACTIVE_CURRENCIES) < 200
    assert all(len(c) == 3 and c.isupper() for c in ACTIVE_CURRENCIES)


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (D("5000"), "USD", "en_US", "$5,000.00"),
        (D("5000"), "EUR", "de_DE", "5.000,00\xa0€"),
        (D("5000"), "EUR", "de-DE", "5.000,00\xa0€"),
        (D("1234.5"), "EUR", "fr_FR", "1\u202f234,50\xa0€"),
        (D("1234.5"), "EUR", "es_ES", "1.234,50\xa0€"),
        (D("5000"), "JPY", "en_US", "¥5,000"),
        (D("1000.5"), "IQD", "en_US", "IQD1,000.500"),  # ISO 3 digits, not CLDR's 0
        (D("12.345"), "KWD", "en_US", "KWD12.345"),
        (D("5000"), "USD", "not-a-locale", "$5,000.00"),
    ],
)
def test_format_money(amount: Decimal, currency: str, locale: str, expected: str) -> None:
    assert format_money(amount, currency, locale) == expected


def test_minor_unit_conversion() -> None:
    assert to_minor_units(D("12.34"), "USD") == 1234
    assert to_minor_units(D("500"), "JPY") == 500
    assert to_minor_units(D("1.234"), "KWD") == 1234
    assert from_minor_units(1234, "USD") == D("12.34")
    with pytest.raises(InvalidMoney):
        to_minor_units(D("0.001"), "USD")


CURRENCIES = st.sampled_from(sorted(ACTIVE_CURRENCIES))
AMOUNTS = st.decimals(
    min_value=D("-1e12"), max_value=D("1e12"), allow_nan=False, allow_infinity=False, places=6
)


@given(amount=AMOUNTS, currency=CURRENCIES)
def test_quantize_is_idempotent(amount: Decimal, currency: str) -> None:
    once = quantize(amount, currency)
    assert quantize(once, currency) == once
    assert once.as_tuple().exponent == -minor_units(currency)
    assert abs(once - amount) <= D(1).scaleb(-minor_units(currency)) / 2


@given(amount=AMOUNTS, currency=CURRENCIES)
def test_quantized_positive_amounts_pass_check(amount: Decimal, currency: str) -> None:
    value = quantize(abs(amount), currency)
    if value > 0:
        assert check_amount(value, currency) == value
        assert from_minor_units(to_minor_units(value, currency), currency) == value
