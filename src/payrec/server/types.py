"""Field types shared by every resource's schemas: exact money, UTC time, enums."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Self, cast

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

    @classmethod
    def from_row(cls, row: object, /, **fields: Any) -> Self:
        """This shape from a stored row: each field is the row's attribute of the same name,
        unless `fields` gives it (a renamed column, a rounded amount, a computed value); a
        field with a default that the row does not have keeps its default."""
        return cls(**cls._row_values(row, fields))

    @classmethod
    def trusted_from_row(cls, row: object, /, **fields: Any) -> Self:
        """`from_row` without re-validating: for stored, already valid values (hot in lists)."""
        return cast(Self, cls.model_construct(**cls._row_values(row, fields)))

    @classmethod
    def _row_values(cls, row: object, fields: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, required in _field_names(cls):
            if name in fields:
                values[name] = fields[name]
            elif required:
                values[name] = getattr(row, name)
            elif (value := getattr(row, name, _ABSENT)) is not _ABSENT:
                values[name] = value
        return values


_ABSENT = object()


@functools.cache
def _field_names(model: type[BaseModel]) -> tuple[tuple[str, bool], ...]:
    """Each field's name and whether it is required (read once per shape: hot in lists)."""
    return tuple((name, info.is_required()) for name, info in model.model_fields.items())
