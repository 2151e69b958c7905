"""Stored JSON (task metadata and results, audit entries) reads back exactly: no number ever
passes through a float, whether the driver hands over text or bytes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payrec.server.jsonio import dumps, loads


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
