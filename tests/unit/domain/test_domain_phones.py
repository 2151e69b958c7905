"""Phone numbers read in the customer's country and written as E.164 (issue 17.10)."""

from __future__ import annotations

import pytest

from payrec.domain.errors import Invalid
from payrec.domain.phones import country_of, to_e164


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("030 1234567", "DE", "+49301234567"),
        ("030/1234567", "DE", "+49301234567"),
        ("0151 12345678", "DE", "+4915112345678"),
        ("0049 30 1234567", "DE", "+49301234567"),
        ("+49 (30) 123-4567", "US", "+49301234567"),
        ("(202) 555-0123", "US", "+12025550123"),
        ("001 202 555 0123", "US", "+12025550123"),  # 00 read as + even where it is 011
        ("612 345 678", "ES", "+34612345678"),
        ("01 23 45 67 89", "FR", "+33123456789"),
        ("+44 20 7946 0958", None, "+442079460958"),
    ],
)
def test_numbers_are_read_in_the_customer_country(raw: str, country: str | None, e164: str) -> None:
    assert to_e164(raw, country) == e164


@pytest.mark.parametrize(
    ("raw", "country", "reason"),
    [
        ("12", "DE", "not a valid number in DE"),
        ("+1-555-0123", "US", "not a valid number"),
        ("+49 1", None, "not a valid number"),
        ("030 1234567", None, "no country code"),
        ("", "DE", "1 to 40 characters"),
        ("0" * 41, "DE", "1 to 40 characters"),
    ],
)
def test_invalid_numbers_are_refused_with_the_reason(
    raw: str, country: str | None, reason: str
) -> None:
    with pytest.raises(Invalid, match=reason) as refused:
        to_e164(raw, country)
    assert refused.value.status == 422


@pytest.mark.parametrize(
    ("locale", "timezone", "country"),
    [
        ("de_DE", "UTC", "DE"),
        ("es-ES", None, "ES"),
        ("de", "Europe/Berlin", "DE"),
        ("en", "America/Chicago", "US"),
        ("en", "UTC", None),
        (None, None, None),
    ],
)
def test_country_from_locale_territory_else_time_zone(
    locale: str | None, timezone: str | None, country: str | None
) -> None:
    assert country_of(locale, timezone) == country
