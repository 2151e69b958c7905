"""The app's languages (en, de, fr, es): gettext catalogs read from the package's `.po` files
(compiled in memory with Babel on first use: nothing to build, `pip install` ships the `.po`),
and money and dates formatted by Babel for the signed-in user's language."""

from __future__ import annotations

import functools
import io
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_percent
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "de", "fr", "es")
_FORMAT_LOCALES = {"en": "en_US", "de": "de_DE", "fr": "fr_FR", "es": "es_ES"}


@functools.cache
def translations(language: str) -> NullTranslations:
    path = LOCALE_DIR / f"{language}.po"
    if language not in LANGUAGES or not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


@functools.cache
def _locale(name: str) -> Locale:
    """Parsed once: Babel would parse a locale name again on every number and date."""
    return Locale.parse(name)


@functools.cache
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


@dataclass(frozen=True)
class Formatter:
    """What a template needs to speak the user's language, and show times in their zone."""

    language: str
    zone: str = "UTC"

    @property
    def locale(self) -> Locale:
        return _locale(_FORMAT_LOCALES.get(self.language, "en_US"))

    @property
    def gettext(self) -> Callable[..., str]:
        catalog = translations(self.language)

        def _(message: str, **values: object) -> str:
            text = catalog.gettext(message)
            return text % values if values else text

        return _

    def money(self, amount: Decimal | None, currency: str) -> str:
        return format_currency(amount or Decimal(0), currency, locale=self.locale)

    def percent(self, value: Decimal) -> str:
        return format_percent(value, format="#,##0.0%", locale=self.locale)

    def day(self, value: date | None) -> str:
        return format_date(value, format="medium", locale=self.locale) if value else ""

    def moment(self, value: datetime | None) -> str:
        """A stored (UTC) time in the reader's zone, the zone shown: the `moment` filter."""
        if value is None:
            return ""
        zone = _zone(self.zone)
        shown = format_datetime(value, format="medium", tzinfo=zone, locale=self.locale)
        return f"{shown} {zone.key}"

    def local_moment(self, value: datetime) -> str:
        """A time in its own zone (the customer's), as the customer would read the clock."""
        return format_datetime(value, format="medium", tzinfo=value.tzinfo, locale=self.locale)


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else "en"


def language_from_header(header: str | None) -> str:
    """The first of the browser's languages (`Accept-Language`) the app speaks, else English."""
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, position, tag.strip().lower()[:2]))
    for _quality, _position, language in sorted(ranked):
        if language in LANGUAGES:
            return language
    return "en"
