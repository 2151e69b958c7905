"""Stored JSON (task metadata and results, audit entries) reads back exactly: no number ever
passes through a float, whether the driver hands over text or bytes."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import simplejson

from payrec.server.jsonio import _decimals_to_str, dumps, loads, to_plain


@pytest.mark.parametrize(
    "raw",
    [
        '{"amount": 0.1000, "n": 18446744073709551617}',
        b'{"amount": 0.1000, "n": 18446744073709551617}',
    ],
)
def test_numbers_read_back_exactly(raw: str | bytes) -> None:
    value = loads(raw)
    assert value == {"amount": Decimal("0.1000"), "n": 18446744073709551617}
    assert str(value["amount"]) == "0.1000"  # the digits as written, trailing zeros kept


def test_what_is_written_reads_back_the_same() -> None:
    value = {
        "rate": Decimal("12.345678901234567890123"),
        "tiny": Decimal("1E-30"),
        "list": [1, "x"],
    }
    assert loads(dumps(value)) == value


def test_malformed_json_is_refused() -> None:
    with pytest.raises(ValueError):
        loads('{"amount": }')


def _round_trip(value: object) -> object:
    return _decimals_to_str(simplejson.loads(dumps(value), use_decimal=True))


@pytest.mark.parametrize(
    "value",
    [
        {"amount": Decimal("1000.50"), "paid": Decimal("-0"), "big": Decimal("1E+3")},
        {"tiny": Decimal("1E-30"), "n": 18446744073709551617, "flag": True, "none": None},
        {"due": date(2026, 12, 31), "at": datetime(2026, 12, 4, 20, 1, 2, 345, tzinfo=UTC)},
        {"naive": datetime(2026, 12, 4, 20, 1, 2), "whole": datetime(2026, 1, 1, tzinfo=UTC)},
        {"london": datetime(2026, 12, 4, 9, tzinfo=ZoneInfo("Europe/London"))},
        {"berlin": datetime(2026, 12, 4, 9, tzinfo=ZoneInfo("Europe/Berlin"))},
        {"nested": {"list": [1, "x", Decimal("2.50"), [date(2026, 1, 2)]]}, "rate": 1.5},
        {"name": "Müller", "whole": Decimal("5"), "neg": Decimal("-12")},
        {"tuple": (1, 2), 3: "int key"},
        [Decimal("0.1000"), "text"],
    ],
)
def test_to_plain_gives_what_the_json_round_trip_gives(value: object) -> None:
    assert to_plain(value) == _round_trip(value)
    assert json.dumps(to_plain(value), default=str) == json.dumps(_round_trip(value), default=str)
