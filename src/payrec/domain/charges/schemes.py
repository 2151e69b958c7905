"""Charge schemes as data: which reference rate, what margin, what fixed compensation.

A policy's (or a customer's) ``lateCharges`` is a :class:`LateCharges`:
``{"scheme": "EU_B2B", "allocationOrder": ["COSTS", "INTEREST", "PRINCIPAL"], ...}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from payrec.domain.errors import Invalid

__all__ = [
    "DEFAULT_ORDER",
    "SCHEMES",
    "Bucket",
    "LateCharges",
    "Scheme",
    "SchemeRule",
    "late_charges_from_dict",
    "late_charges_to_dict",
    "uk_fixed_sum",
]


class Scheme(StrEnum):
    NONE = "NONE"
    EU_B2B = "EU_B2B"
    UK_B2B = "UK_B2B"
    DE_B2B = "DE_B2B"
    DE_B2C = "DE_B2C"
    FIXED = "FIXED"
    CUSTOM = "CUSTOM"


class Bucket(StrEnum):
    """What a payment pays: COSTS (compensation and fees), INTEREST, PRINCIPAL."""

    COSTS = "COSTS"
    INTEREST = "INTEREST"
    PRINCIPAL = "PRINCIPAL"


DEFAULT_ORDER: tuple[Bucket, ...] = (Bucket.COSTS, Bucket.INTEREST, Bucket.PRINCIPAL)
"""§ 367 (1) BGB: costs first, then interest, then the principal."""


@dataclass(frozen=True, slots=True)
class SchemeRule:
    """A statutory scheme: reference + margin (points), compensation, who it applies to.

    ``fixed_at_start``: the rate of the half-year the debt became overdue holds for the
    whole debt (UK); otherwise each half-year uses its own rate (EU, DE).
    """

    reference: str | None
    margin: Decimal
    compensation: Mapping[str, Decimal]
    business_only: bool
    fixed_at_start: bool = False
    uk_sums: bool = False


SCHEMES: Mapping[Scheme, SchemeRule] = {
    Scheme.EU_B2B: SchemeRule("ECB_MRO", Decimal(8), {"EUR": Decimal(40)}, True),
    Scheme.UK_B2B: SchemeRule("BOE_BASE", Decimal(8), {}, True, fixed_at_start=True, uk_sums=True),
    Scheme.DE_B2B: SchemeRule("DE_BASIS", Decimal(9), {"EUR": Decimal(40)}, True),
    Scheme.DE_B2C: SchemeRule("DE_BASIS", Decimal(5), {}, False),
}

_DAY_COUNTS = {"ACT_365": 365, "ACT_360": 360}
_KEYS = {
    "scheme",
    "allocationOrder",
    "dayCount",
    "annualRate",
    "compensation",
    "flatFee",
    "percentFee",
}


@dataclass(frozen=True, slots=True)
class LateCharges:
    """A scheme and its settings; ``compensation`` (case currency) overrides the scheme's
    fixed sum (``0`` turns it off); FIXED charges ``flat_fee`` + ``percent_fee`` % of the
    outstanding principal per sent step; CUSTOM charges ``annual_rate`` %."""

    scheme: Scheme = Scheme.NONE
    allocation_order: tuple[Bucket, ...] = DEFAULT_ORDER
    day_count: str = "ACT_365"
    annual_rate: Decimal | None = None
    compensation: Decimal | None = None
    flat_fee: Decimal | None = None
    percent_fee: Decimal | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_on(self) -> bool:
        return self.scheme is not Scheme.NONE

    @property
    def days_in_year(self) -> int:
        return _DAY_COUNTS[self.day_count]

    @property
    def rule(self) -> SchemeRule | None:
        return SCHEMES.get(self.scheme)


def _decimal(raw: object, fld: str, *, maximum: Decimal) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | str | Decimal):
        raise Invalid("must be a decimal number (a float is refused)", field=fld)
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise Invalid("must be a decimal number", field=fld) from None
    if not value.is_finite() or value < 0 or value > maximum:
        raise Invalid(f"must be between 0 and {maximum}", field=fld)
    return value


def late_charges_from_dict(raw: object, fld: str = "lateCharges") -> LateCharges:
    """Parse ``lateCharges``; 422 naming the field. Amounts are Decimals or strings."""
    if not isinstance(raw, Mapping):
        raise Invalid("must be an object", field=fld)
    unknown = set(raw) - _KEYS
    if unknown:
        raise Invalid(f"unknown field(s): {', '.join(sorted(unknown))}", field=fld)
    try:
        scheme = Scheme(raw.get("scheme", "NONE"))
    except ValueError:
        names = ", ".join(s.value for s in Scheme)
        raise Invalid(f"must be one of {names}", field=f"{fld}.scheme") from None
    order = DEFAULT_ORDER
    if raw.get("allocationOrder") is not None:
        given = raw["allocationOrder"]
        try:
            order = tuple(Bucket(b) for b in given)
        except (ValueError, TypeError):
            order = ()
        if sorted(order) != sorted(DEFAULT_ORDER):
            raise Invalid(
                "must list COSTS, INTEREST and PRINCIPAL once each", field=f"{fld}.allocationOrder"
            )
    day_count = raw.get("dayCount", "ACT_365")
    if day_count not in _DAY_COUNTS:
        raise Invalid("must be ACT_365 or ACT_360", field=f"{fld}.dayCount")
    big = Decimal("1e12")
    values: dict[str, Decimal | None] = {}
    for key, limit in (
        ("annualRate", Decimal(100)),
        ("compensation", big),
        ("flatFee", big),
        ("percentFee", Decimal(100)),
    ):
        given = raw.get(key)
        values[key] = None if given is None else _decimal(given, f"{fld}.{key}", maximum=limit)
    if scheme is Scheme.CUSTOM and values["annualRate"] is None:
        raise Invalid("CUSTOM needs annualRate (percent per year)", field=f"{fld}.annualRate")
    if scheme is Scheme.FIXED and values["flatFee"] is None and values["percentFee"] is None:
        raise Invalid("FIXED needs flatFee and/or percentFee", field=f"{fld}.flatFee")
    return LateCharges(
        scheme=scheme,
        allocation_order=order,
        day_count=str(day_count),
        annual_rate=values["annualRate"],
        compensation=values["compensation"],
        flat_fee=values["flatFee"],
        percent_fee=values["percentFee"],
    )


def late_charges_to_dict(config: LateCharges) -> dict[str, Any]:
    out: dict[str, Any] = {
        "scheme": config.scheme.value,
        "allocationOrder": [b.value for b in config.allocation_order],
        "dayCount": config.day_count,
    }
    for key, value in (
        ("annualRate", config.annual_rate),
        ("compensation", config.compensation),
        ("flatFee", config.flat_fee),
        ("percentFee", config.percent_fee),
    ):
        if value is not None:
            out[key] = str(value)
    return out


def uk_fixed_sum(invoice_amount: Decimal) -> Decimal:
    """Late Payment Act s.5A: GBP 40 under 1,000; 70 under 10,000; 100 from 10,000."""
    if invoice_amount < 1000:
        return Decimal(40)
    if invoice_amount < 10000:
        return Decimal(70)
    return Decimal(100)
