"""Field types shared by every resource's schemas: exact money, UTC time, enums."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from payrec.domain.date_bounds import require_sane
from payrec.domain.money import is_valid_currency

MAX_EXPONENT = 30  # 1e400 would make exact decimal arithmetic fail, not just refuse


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00:00+14:00
        raise ValueError("timestamp is out of range") from exc


def _no_float(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number")
    if isinstance(value, float):  # never reached with our JSON parser; guard for direct use
        return Decimal(repr(value))
    return value


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    if value and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT:
        raise ValueError("is out of range")
    return value


def _currency(value: str) -> str:
    if not isinstance(value, str) or not is_valid_currency(value.upper()):
        raise ValueError("must be an ISO 4217 currency code such as USD or EUR")
    return value.upper()


UtcTimestamp = Annotated[
    datetime,
    AfterValidator(_to_utc),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
Amount = Annotated[
    Decimal,
    BeforeValidator(_no_float),
    AfterValidator(_finite),
    WithJsonSchema({"type": "number", "examples": [5000.00]}),
]
SaneDate = Annotated[
    date,
    AfterValidator(require_sane),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2026-03-31"]}),
]
"""A calendar date within `payrec.domain.date_bounds` (1970-01-01 .. 2200-12-31)."""
ExactNumber = Annotated[Decimal, WithJsonSchema({"type": "number"})]
"""A Decimal answered as an exact JSON number (pydantic would document a string)."""
Currency = Annotated[
    str,
    AfterValidator(_currency),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["USD"]}),
]
Name = Annotated[str, Field(min_length=1, max_length=300)]
FreeText = Annotated[str, Field(max_length=10_000)]
EntityId = Annotated[str, Field(min_length=1, max_length=40)]


class ApiModel(BaseModel):
    """camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", str_strip_whitespace=True
    )


class OutModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)
