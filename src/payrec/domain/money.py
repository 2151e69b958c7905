"""Exact money rules: ISO 4217 currencies, minor units, validation, locale formatting.

Minor units come from ISO 4217 (list one), not from CLDR: babel's
``get_currency_precision`` follows CLDR and disagrees for a dozen currencies
(IQD is 3 in ISO, 0 in CLDR; RSD, IRR, LAK ... are 2 in ISO, 0 in CLDR).
Amounts are ``Decimal`` only; a float is rejected, never converted.
"""

from __future__ import annotations

import copy
import decimal
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from babel.numbers import format_currency

from payrec.domain.errors import DomainError
from payrec.domain.i18n import parse_locale

__all__ = [
    "ACTIVE_CURRENCIES",
    "MAX_INTEGER_DIGITS",
    "MINOR_UNITS",
    "InvalidMoney",
    "check_amount",
    "format_money",
    "from_minor_units",
    "is_valid_currency",
    "minor_units",
    "quantize",
    "scaled_text",
    "to_minor_units",
]


class InvalidMoney(DomainError, ValueError):
    """An amount or currency that breaks the money rules (HTTP 422)."""

    status = 422
    code = "invalid-money"
    title = "Validation failed"


MAX_INTEGER_DIGITS = 15
"""Largest accepted amount has 15 integer digits (fits NUMERIC(19, 4))."""

_ISO_4217: dict[int, str] = {
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
    4: "CLF UYW",
    2: (
        "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP "
        "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB "
        "EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES "
        "KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR "
        "MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD "
        "RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP "
        "TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
    ),
}

MINOR_UNITS: Mapping[str, int] = {
    code: digits for digits, codes in _ISO_4217.items() for code in codes.split()
}
"""Active ISO 4217 codes with minor units (funds/metals with no minor unit left out)."""

ACTIVE_CURRENCIES: frozenset[str] = frozenset(MINOR_UNITS)

_CONTEXT = decimal.Context(prec=60, rounding=ROUND_HALF_UP)


def is_valid_currency(code: object) -> bool:
    """True for an active ISO 4217 code in upper case (``"USD"``), else False."""
    return isinstance(code, str) and code in MINOR_UNITS


def minor_units(currency: str) -> int:
    """Decimal places of the currency's minor unit (JPY 0, USD 2, KWD 3)."""
    try:
        return MINOR_UNITS[currency]
    except (KeyError, TypeError):
        raise InvalidMoney(f"unknown currency {currency!r}: not an ISO 4217 code") from None


def _require_decimal(amount: object) -> Decimal:
    if not isinstance(amount, Decimal):
        raise InvalidMoney(f"amount must be a Decimal, got {type(amount).__name__}")
    if not amount.is_finite():
        raise InvalidMoney(f"amount must be a finite number, got {amount}")
    return amount


def quantize(amount: Decimal, currency: str, rounding: str = ROUND_HALF_UP) -> Decimal:
    """Round ``amount`` to the currency's minor units (``5000`` USD -> ``5000.00``)."""
    exp = Decimal(1).scaleb(-minor_units(currency))
    return _require_decimal(amount).quantize(exp, rounding=rounding, context=_CONTEXT)


def scaled_text(scaled: int, scale: int, currency: str) -> str:
    """The decimal text of an amount stored as ``scaled`` units of ``10**-scale``, written to
    the currency's minor units exactly as ``str(quantize(...))`` writes it
    (``scaled_text(50000000, 4, "USD") == "5000.00"``), without building Decimals."""
    digits = minor_units(currency)
    if digits == 2 and scale == 4 and scaled >= 0 and not scaled % 100:  # most amounts
        cents = scaled // 100
        return f"{cents // 100}.{cents % 100:02d}"
    whole, fraction = divmod(abs(scaled), 10**scale)
    padded = f"{fraction:0{scale}d}" if scale else ""
    if digits > scale or padded[digits:].strip("0"):  # needs rounding or padding: rare
        return str(quantize(Decimal(scaled).scaleb(-scale), currency))
    sign = "-" if scaled < 0 else ""
    return f"{sign}{whole}.{padded[:digits]}" if digits else f"{sign}{whole}"


def check_amount(amount: Decimal, currency: str, *, allow_zero: bool = False) -> Decimal:
    """Validate an amount in a currency; return it quantized to the minor units.

    Rejects floats, NaN/Infinity, negative amounts, zero (unless ``allow_zero``), more
    decimal places than the currency has, more than ``MAX_INTEGER_DIGITS`` integer digits,
    and unknown currencies. Trailing zeros are fine (``5.000`` USD is ``5.00``).
    """
    value = _require_decimal(amount)
    digits = minor_units(currency)
    if value < 0:
        raise InvalidMoney(f"amount must not be negative, got {value}")
    if value == 0 and not allow_zero:
        raise InvalidMoney("amount must be greater than zero")
    if value != value.quantize(Decimal(1).scaleb(-digits), context=_CONTEXT):
        raise InvalidMoney(
            f"amount {value} has more decimal places than {currency} allows ({digits})"
        )
    if value.adjusted() >= MAX_INTEGER_DIGITS:
        raise InvalidMoney(f"amount {value} is too large (max {MAX_INTEGER_DIGITS} digits)")
    return quantize(value, currency)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Exact integer count of minor units (``12.34`` USD -> ``1234``); rejects extra digits."""
    value = _require_decimal(amount)
    scaled = value.scaleb(minor_units(currency), context=_CONTEXT)
    if scaled != scaled.to_integral_value(context=_CONTEXT):
        raise InvalidMoney(f"amount {value} has more decimal places than {currency} allows")
    return int(scaled)


def from_minor_units(units: int, currency: str) -> Decimal:
    """Inverse of :func:`to_minor_units` (``1234`` USD -> ``Decimal("12.34")``)."""
    return quantize(Decimal(units).scaleb(-minor_units(currency), context=_CONTEXT), currency)


def format_money(amount: Decimal, currency: str, locale: str | Locale = "en_US") -> str:
    """Locale-formatted amount with exactly the ISO minor units (``5.000,00 $`` in de_DE).

    An unknown or malformed locale falls back to ``en_US`` rather than failing a send.
    """
    value = quantize(amount, currency)
    loc = parse_locale(locale)
    pattern = copy.copy(loc.currency_formats["standard"])
    digits = minor_units(currency)
    pattern.frac_prec = (digits, digits)
    return format_currency(value, currency, format=pattern, locale=loc, currency_digits=False)
