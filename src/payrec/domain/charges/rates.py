"""Reference rates by half-year: the shipped, sourced table plus rates an admin adds.

A rate covers the half-year it starts (1 January or 1 July) and nothing else: a day whose
half-year has no rate raises :class:`RateMissing`; a missing rate is never read as zero.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from payrec.domain.errors import Conflict, Invalid

__all__ = [
    "REFERENCES",
    "RateMissing",
    "RateTable",
    "ReferenceRate",
    "half_year_start",
    "shipped_rates",
    "shipped_table",
]

REFERENCES = ("ECB_MRO", "BOE_BASE", "DE_BASIS")


class RateMissing(Conflict, code="reference-rate-missing"):
    """No reference rate for a half-year a case needs (409 `reference-rate-missing`)."""


@dataclass(frozen=True, slots=True)
class ReferenceRate:
    reference: str
    valid_from: date
    rate: Decimal
    source: str
    shipped: bool = True


def half_year_start(day: date) -> date:
    """1 January or 1 July of the half-year that holds ``day``."""
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def check_rate(reference: str, valid_from: date, rate: Decimal) -> None:
    """A rate an admin adds: a known reference, a half-year start, a sane percentage."""
    if reference not in REFERENCES:
        raise Invalid(f"unknown reference {reference!r}", field="reference")
    if valid_from != half_year_start(valid_from) or valid_from.day != 1:
        raise Invalid("must be 1 January or 1 July", field="validFrom")
    if not rate.is_finite() or not Decimal(-20) <= rate <= Decimal(100):
        raise Invalid("must be a percentage between -20 and 100", field="rate")


class RateTable:
    """Rates by (reference, half-year start)."""

    def __init__(self, rates: Iterable[ReferenceRate]) -> None:
        self._rates: dict[tuple[str, date], ReferenceRate] = {}
        for rate in rates:
            self._rates[(rate.reference, rate.valid_from)] = rate

    def with_rates(self, rates: Iterable[ReferenceRate]) -> RateTable:
        return RateTable([*self._rates.values(), *rates])

    def get(self, reference: str, valid_from: date) -> ReferenceRate | None:
        return self._rates.get((reference, valid_from))

    def rate_on(self, reference: str, day: date) -> ReferenceRate:
        start = half_year_start(day)
        found = self._rates.get((reference, start))
        if found is None:
            half = "H1" if start.month == 1 else "H2"
            raise RateMissing(
                f"no {reference} reference rate for {start.year}-{half} (from {start}); "
                "an admin adds it with POST /api/v1/reference-rates",
                extra={"reference": reference, "validFrom": start.isoformat()},
            )
        return found

    def all(self) -> list[ReferenceRate]:
        return sorted(self._rates.values(), key=lambda r: (r.reference, r.valid_from))


def _parse(raw: Mapping[str, Any], sources: Mapping[str, str]) -> ReferenceRate:
    reference = str(raw["reference"])
    return ReferenceRate(
        reference=reference,
        valid_from=date.fromisoformat(str(raw["from"])),
        rate=Decimal(str(raw["rate"])),
        source=str(raw.get("source") or sources[reference]),
    )


@cache
def shipped_rates() -> tuple[ReferenceRate, ...]:
    """The rates shipped in ``reference_rates.json`` (each with its source)."""
    text = resources.files(__package__).joinpath("reference_rates.json").read_text("utf-8")
    data = json.loads(text)
    sources = {name: str(ref["source"]) for name, ref in data["references"].items()}
    return tuple(_parse(raw, sources) for raw in data["rates"])


def shipped_table() -> RateTable:
    return RateTable(shipped_rates())
