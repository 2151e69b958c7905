"""Customers' phone numbers: validated and written as E.164 with the customer's country.

``"030 1234567"`` for a customer in Germany is ``+49301234567``: a number written the national
way is read in the customer's country, which comes from the locale's territory (``de_DE``) or,
for a bare language (``de``), from the time zone (``Europe/Berlin``). A number with ``+`` (or
the ``00`` international prefix) needs no country. Validity is libphonenumber's (the number
plan of the country, not just its length): a number it does not call valid is refused with
the reason, never stored.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import phonenumbers
from babel import Locale, UnknownLocaleError

from payrec.domain.errors import Invalid

__all__ = ["country_of", "to_e164"]

_MAX_INPUT = 40


@cache
def _zone_countries() -> dict[str, str]:
    """IANA zone → ISO 3166 country, from the tz database's zone.tab (shipped by tzdata)."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    countries: dict[str, str] = {}
    for line in table.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            countries[fields[2]] = fields[0]
    return countries


def country_of(locale: str | None, timezone: str | None = None) -> str | None:
    """The customer's country (ISO 3166 alpha-2) from the locale's territory, else the zone."""
    if locale:
        try:
            territory = Locale.parse(locale.replace("-", "_")).territory
        except (UnknownLocaleError, ValueError, TypeError):
            territory = None
        if territory and territory.isalpha():
            return territory.upper()
    if timezone:
        return _zone_countries().get(timezone)
    return None


def _parse(text: str, country: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def to_e164(raw: str, country: str | None, *, field: str = "phone") -> str:
    """The number in E.164 (``+49301234567``), or Invalid (a 422) saying why it is refused."""
    text = raw.strip()
    if not text or len(text) > _MAX_INPUT:
        raise Invalid(f"phone number must be 1 to {_MAX_INPUT} characters", field=field)
    number = _parse(text, country)
    if number is None and text.startswith("00"):
        # 00 is the international prefix in most of the world, also where it is not (US: 011)
        number = _parse("+" + text[2:], None)
    if number is None:
        if not text.startswith(("+", "00")) and country is None:
            raise Invalid(
                f"phone number {text!r} has no country code (+…) and the customer's locale "
                "and time zone name no country to read it in",
                field=field,
            )
        where = f" in {country}" if country and not text.startswith(("+", "00")) else ""
        raise Invalid(f"phone number {text!r} is not a valid number{where}", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
