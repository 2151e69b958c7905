"""Locale helpers shared by money formatting and templates."""

from __future__ import annotations

from collections.abc import Iterable

from babel import Locale, UnknownLocaleError

__all__ = ["DEFAULT_LANGUAGE", "DEFAULT_LOCALE", "parse_locale", "pick_language"]

DEFAULT_LOCALE = "en_US"
DEFAULT_LANGUAGE = "en"


def parse_locale(locale: str | Locale | None) -> Locale:
    """A babel Locale for ``de_DE`` / ``de-DE`` / ``de``; unknown or malformed -> en_US."""
    if isinstance(locale, Locale):
        return locale
    if locale:
        try:
            return Locale.parse(locale.strip().replace("-", "_"))
        except (UnknownLocaleError, ValueError, TypeError):
            pass
    return Locale.parse(DEFAULT_LOCALE)


def pick_language(locale: str | Locale | None, available: Iterable[str]) -> str:
    """The language of ``locale`` if available (``de_DE`` -> ``de``), else ``en``."""
    languages = set(available)
    language = parse_locale(locale).language
    return language if language in languages else DEFAULT_LANGUAGE
