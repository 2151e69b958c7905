"""A new customer's locale from what their invoice shows: its language and VAT id's country."""

from __future__ import annotations

from babel import Locale, UnknownLocaleError

# a language's usual country when the document names none
_DEFAULT_TERRITORY = {
    "en": "GB", "de": "DE", "fr": "FR", "es": "ES", "it": "IT", "nl": "NL", "pt": "PT",
    "pl": "PL",
}
_VAT_PREFIX_TERRITORY = {"EL": "GR"}  # Greece's VAT prefix is not its ISO code


def locale_for(language: str | None, vat_id: str | None) -> str | None:
    """``fr`` + ``BE0123456789`` → ``fr_BE``; ``pt`` alone → ``pt_PT``; None if unknown."""
    if not language or not language.isalpha() or len(language) != 2:
        return None
    lang = language.lower()
    candidates = []
    prefix = (vat_id or "")[:2].upper()
    if prefix.isalpha() and len(prefix) == 2:
        candidates.append(_VAT_PREFIX_TERRITORY.get(prefix, prefix))
    if lang in _DEFAULT_TERRITORY:
        candidates.append(_DEFAULT_TERRITORY[lang])
    for territory in candidates:
        code = f"{lang}_{territory}"
        try:
            Locale.parse(code)
        except (UnknownLocaleError, ValueError):
            continue
        return code
    return None
