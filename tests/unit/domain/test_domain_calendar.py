"""Issue 17, item 5: the customer's public holidays and the send window a task carries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from payrec.domain.calendar import Placement, customer_country, holiday_calendar
from payrec.domain.policy import (
    Channel,
    DunningPolicy,
    PolicyError,
    PolicyStep,
    SendWindow,
    policy_from_dict,
    policy_to_dict,
)
from payrec.domain.schedule import due_steps, place_in_window

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = SendWindow(time(9), time(17), weekends=False)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def business(**kw: object) -> DunningPolicy:
    return DunningPolicy(
        "p", "P", (PolicyStep(1, Channel.EMAIL, "reminder-1"),), send_window=OFFICE,
        business_days_only=True, **kw,  # type: ignore[arg-type]
    )


def test_holiday_calendar_by_country_and_subdivision() -> None:
    assert date(2026, 10, 3) in holiday_calendar("DE")  # German Unity Day
    assert date(2026, 1, 6) not in holiday_calendar("DE")
    assert date(2026, 1, 6) in holiday_calendar("DE", "BY")  # Epiphany in Bavaria
    assert date(2026, 7, 4) in holiday_calendar("us")
    assert date(2031, 12, 25) in holiday_calendar("GB")  # any year, not only this one


def test_unknown_country_has_no_holidays_and_unknown_subdivision_falls_back() -> None:
    assert date(2026, 12, 25) not in holiday_calendar("XX")
    assert date(2026, 12, 25) not in holiday_calendar(None)
    assert date(2026, 10, 3) in holiday_calendar("DE", "ZZ")


def test_customer_country_from_field_or_locale() -> None:
    assert customer_country("de", "en_US") == "DE"
    assert customer_country(None, "de_DE") == "DE"
    assert customer_country("", "es-ES") == "ES"
    assert customer_country(None, "en") is None
    assert customer_country(None, None) is None


def test_a_holiday_moves_the_send_to_the_next_business_day_in_the_customers_zone() -> None:
    """1 May 2026 is a Friday and Labour Day in Germany, not in the United States."""
    evening = utc(2026, 4, 30, 22)  # Friday 00:00 in Berlin, Thursday 18:00 in New York
    german = Placement.of(business(), "Europe/Berlin", "DE")
    assert german.place(evening) == utc(2026, 5, 4, 7)  # Monday 09:00 CEST
    american = Placement.of(business(), "America/New_York", "US")
    assert american.place(evening) == utc(2026, 5, 1, 13)  # Friday 09:00 EDT


def test_skip_holidays_follows_business_days_unless_the_policy_says() -> None:
    friday_holiday = utc(2026, 5, 1, 8)  # 10:00 in Berlin
    assert not business(skip_holidays=False).skips_holidays
    assert Placement.of(business(skip_holidays=False), "Europe/Berlin", "DE").place(
        friday_holiday
    ) == friday_holiday
    every_day = DunningPolicy(
        "p", "P", (PolicyStep(1, Channel.EMAIL, "e"),), skip_holidays=True
    )
    # weekends allowed, the holiday is not: Saturday 08:00 in Berlin
    assert Placement.of(every_day, "Europe/Berlin", "DE").place(friday_holiday) == utc(
        2026, 5, 2, 6
    )
    assert not DunningPolicy("p", "P", (PolicyStep(1, Channel.EMAIL, "e"),)).skips_holidays


def test_a_retry_at_night_waits_for_the_next_morning() -> None:
    placement = Placement.of(business(), "Europe/Berlin", "DE")
    retry = utc(2026, 1, 13, 22, 30)  # Tuesday 23:30 in Berlin
    assert placement.place(retry) == utc(2026, 1, 14, 8)
    assert placement.place(utc(2026, 1, 14, 10)) == utc(2026, 1, 14, 10)  # inside: unchanged


def test_due_steps_skip_the_customers_holiday() -> None:
    decisions = due_steps(
        business(), date(2026, 4, 30), BERLIN, utc(2026, 5, 1, 8), (), holiday_calendar("DE")
    )
    assert [d.scheduled_at for d in decisions] == [utc(2026, 5, 4, 7)]


def test_place_in_window_takes_any_calendar_container() -> None:
    calendar = holiday_calendar("DE")
    at = place_in_window(utc(2026, 12, 24, 20), BERLIN, OFFICE, True, calendar)
    assert at == utc(2026, 12, 28, 8)  # 25th, 26th holidays, 26th/27th a weekend


def test_placement_round_trips_through_task_metadata() -> None:
    placement = Placement.of(business(), "Europe/Berlin", "DE", "BY")
    data = placement.to_dict()
    assert data["start"] == "09:00" and data["skipHolidays"] is True
    assert Placement.from_dict(data) == placement
    assert Placement.from_dict(None) is None
    assert Placement.from_dict({"start": "nine"}) is None


def test_policy_json_carries_skip_holidays() -> None:
    data = policy_to_dict(business(skip_holidays=False))
    assert data["skipHolidays"] is False
    assert policy_from_dict(data).skip_holidays is False
    assert policy_from_dict({**data, "skipHolidays": None}).skips_holidays is True
    with pytest.raises(PolicyError) as info:
        policy_from_dict({**data, "skipHolidays": "yes"})
    assert info.value.field == "skipHolidays"
