"""Where and when a customer may be contacted, as data a task carries: the customer's zone,
the policy's window and day rules, and the public holidays of the customer's country.

A planned task keeps its :class:`Placement` in ``metadata.placement``, so that a retry after a
transient failure and a send caught up after an outage are placed back inside the same
window (:meth:`Placement.place`, i.e. :func:`payrec.domain.schedule.place_in_window`) by
whoever moves the task, without fetching the policy again.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_data

from payrec.domain.policy import DunningPolicy, SendWindow
from payrec.domain.schedule import place_in_window

__all__ = ["Placement", "customer_country", "holiday_calendar"]

NO_HOLIDAYS: frozenset[date] = frozenset()


def customer_country(country: object, locale: object) -> str | None:
    """The customer's ISO 3166 country: the one given, else the territory of its locale
    (``de_DE`` -> ``DE``), else None."""
    if isinstance(country, str) and country.strip():
        return country.strip().upper()
    if isinstance(locale, str):
        parts = locale.replace("-", "_").split("_")
        if len(parts) >= 2 and len(parts[-1]) == 2 and parts[-1].isalpha():
            return parts[-1].upper()
    return None


@lru_cache(maxsize=256)
def holiday_calendar(country: str | None, subdivision: str | None = None) -> Container[date]:
    """The public holidays of ``country`` (and ``subdivision`` when known), any year.

    An unknown subdivision falls back to the country's national holidays; an unknown or
    missing country has none.
    """
    if not country:
        return NO_HOLIDAYS
    try:
        if subdivision:
            try:
                return holiday_data.country_holidays(country.upper(), subdiv=subdivision.upper())
            except NotImplementedError:
                pass
        return holiday_data.country_holidays(country.upper())
    except NotImplementedError:
        return NO_HOLIDAYS


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class Placement:
    """The send window of one customer under one policy."""

    timezone: str
    window: SendWindow
    business_days_only: bool = False
    skip_holidays: bool = False
    country: str | None = None
    subdivision: str | None = None

    @classmethod
    def of(
        cls,
        policy: DunningPolicy,
        timezone: str,
        country: str | None = None,
        subdivision: str | None = None,
    ) -> Placement:
        return cls(
            timezone=timezone,
            window=policy.send_window,
            business_days_only=policy.business_days_only,
            skip_holidays=policy.skips_holidays,
            country=country,
            subdivision=subdivision,
        )

    @property
    def holidays(self) -> Container[date]:
        return holiday_calendar(self.country, self.subdivision) if self.skip_holidays else ()

    def place(self, earliest: datetime) -> datetime:
        """The first instant >= ``earliest`` this customer may be contacted (UTC)."""
        return place_in_window(
            earliest,
            _zone(self.timezone),
            self.window,
            business_days_only=self.business_days_only,
            holidays=self.holidays,
            skip_holidays=self.skip_holidays,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "start": self.window.start.isoformat("minutes"),
            "end": self.window.end.isoformat("minutes"),
            "weekends": self.window.weekends,
            "businessDaysOnly": self.business_days_only,
            "skipHolidays": self.skip_holidays,
            "country": self.country,
            "subdivision": self.subdivision,
        }

    @classmethod
    def from_dict(cls, data: object) -> Placement | None:
        """The placement a task carries, or None when it carries none (or a broken one)."""
        if not isinstance(data, Mapping):
            return None
        try:
            window = SendWindow(
                start=time.fromisoformat(str(data["start"])),
                end=time.fromisoformat(str(data["end"])),
                weekends=bool(data.get("weekends", True)),
            )
        except (KeyError, ValueError):
            return None
        country, subdivision = data.get("country"), data.get("subdivision")
        return cls(
            timezone=str(data.get("timezone") or "UTC"),
            window=window,
            business_days_only=bool(data.get("businessDaysOnly")),
            skip_holidays=bool(data.get("skipHolidays")),
            country=str(country) if country else None,
            subdivision=str(subdivision) if subdivision else None,
        )
