"""The app speaks en, de, fr and es: every message the pages use is in every catalog, and
money and dates follow the user's language (Babel)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from payrec.server.web import i18n
from payrec.server.web.i18n import Formatter, language_from_header

WEB = Path(i18n.__file__).parent
_MESSAGE = re.compile(r"""_\((?:"([^"]+)"|'([^']+)')""")


def _used_messages() -> set[str]:
    found: set[str] = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("*.py")]:
        for match in _MESSAGE.finditer(path.read_text()):
            found.add(match.group(1) or match.group(2))
    found.add("The form has expired or was not sent from this app. Reload the page and try again.")
    return found


@pytest.mark.parametrize("language", ["de", "fr", "es"])
def test_every_message_the_pages_use_is_translated(language: str) -> None:
    with (WEB / "locale" / f"{language}.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id: m.string for m in catalog if m.id}
    missing = sorted(m for m in _used_messages() if not translated.get(m))
    assert missing == []
    for message, text in translated.items():  # placeholders survive the translation
        assert sorted(re.findall(r"%\(\w+\)s", str(message))) == sorted(
            re.findall(r"%\(\w+\)s", str(text))
        )


def test_money_dates_and_words_in_the_users_language() -> None:
    german, french = Formatter("de"), Formatter("fr")
    assert german.gettext("Worklist") == "Arbeitsliste"
    assert german.gettext("Page %(page)s of %(pages)s", page=2, pages=5) == "Seite 2 von 5"
    assert german.money(Decimal("1234.50"), "EUR") == "1.234,50\xa0€"
    assert german.day(date(2026, 3, 4)) == "04.03.2026"
    assert french.gettext("Sign out") == "Se déconnecter"
    assert Formatter("en").money(Decimal("5000"), "USD") == "$5,000.00"
    assert Formatter("xx").gettext("Worklist") == "Worklist"


def test_the_sign_in_page_speaks_the_browsers_language() -> None:
    assert language_from_header("de-DE,de;q=0.9,en;q=0.8") == "de"
    assert language_from_header("nl-NL, fr;q=0.7, es;q=0.9") == "es"
    assert language_from_header("ja") == "en" and language_from_header(None) == "en"


def test_times_show_in_the_readers_zone_with_the_zone_named() -> None:
    noon = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert Formatter("en").moment(noon) == "Jan 15, 2026, 12:00:00\u202fPM UTC"
    assert Formatter("de", "Europe/Berlin").moment(noon) == "15.01.2026, 13:00:00 Europe/Berlin"
    assert Formatter("en", "Asia/Tokyo").moment(noon).endswith("9:00:00\u202fPM Asia/Tokyo")
    assert Formatter("en", "Not/AZone").moment(noon).endswith(" UTC")  # never a 500
    assert Formatter("en", "Asia/Tokyo").moment(None) == ""
