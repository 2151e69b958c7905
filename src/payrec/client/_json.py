"""JSON codec of the client: exact money, UTC timestamps.

* :class:`~decimal.Decimal` is written as a bare JSON number with its exact digits
  (``Decimal("5000.00")`` -> ``5000.00``); NaN and infinities are rejected.
* Responses are parsed with ``parse_float=Decimal``: no float ever holds a JSON number with a
  fraction.
* ``datetime`` is written as RFC 3339 UTC with ``Z`` (a naive datetime is taken as UTC, as the
  backend does); ``date`` as ``YYYY-MM-DD``.
"""

from __future__ import annotations

import enum
import json
import math
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "format_datetime", "loads"]


def format_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with ``Z``; a naive ``value`` is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def _encode_decimal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"cannot send non-finite Decimal {value!r} as JSON")
    return str(value)


def _encode(value: Any, out: list[str]) -> None:
    # bool before int: bool is a subclass of int.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, enum.Enum):
        _encode(value.value, out)
    elif isinstance(value, Decimal):
        out.append(_encode_decimal(value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, float):
        # Not money (money is Decimal); e.g. an extraction's confidence score.
        if not math.isfinite(value):
            raise ValueError(f"cannot send non-finite float {value!r} as JSON")
        out.append(float.__repr__(value))
    elif isinstance(value, datetime):
        out.append(json.dumps(format_datetime(value)))
    elif isinstance(value, date):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, uuid.UUID):
        out.append(json.dumps(str(value)))
    elif isinstance(value, Mapping):
        out.append("{")
        first = True
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"JSON object keys must be str, not {type(key).__name__}")
            if not first:
                out.append(",")
            first = False
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"object of type {type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> str:
    """Serialise ``value`` to compact JSON (Decimal exact, datetimes UTC)."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON number {name}")


def loads(text: str | bytes) -> Any:
    """Parse JSON, numbers with a fraction or exponent as :class:`~decimal.Decimal`."""
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
