"""Currency detection: ISO 4217 codes, symbols and local abbreviations."""

from __future__ import annotations

import re
from collections import Counter

ISO_CODES = frozenset(
    [
        "EUR", "USD", "GBP", "CHF", "JPY", "CNY", "INR", "CAD", "AUD", "NZD", "SEK", "NOK",
        "DKK", "PLN", "CZK", "HUF", "RON", "BGN", "HRK", "RUB", "UAH", "TRY", "ILS", "ZAR",
        "BRL", "MXN", "ARS", "CLP", "COP", "PEN", "SGD", "HKD", "KRW", "TWD", "THB", "MYR",
        "IDR", "PHP", "VND", "AED", "SAR", "QAR", "KWD", "EGP", "MAD", "NGN", "KES", "ISK",
        "DEM", "FRF", "NLG", "ESP", "ITL", "BEF", "ATS",
    ]
)

# symbol / abbreviation -> ISO code (ordered: longest first when matching)
SYMBOLS: dict[str, str] = {
    "US$": "USD", "C$": "CAD", "CA$": "CAD", "A$": "AUD", "AU$": "AUD", "NZ$": "NZD",
    "HK$": "HKD", "S$": "SGD", "R$": "BRL", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
    "₽": "RUB", "₩": "KRW", "₺": "TRY", "₪": "ILS", "zł": "PLN", "Kč": "CZK",
    "Rs.": "INR", "Rs": "INR", "INR": "INR", "$": "USD",
}
WORDS: dict[str, str] = {
    "euro": "EUR", "euros": "EUR", "dollars": "USD", "us dollars": "USD", "złotych": "PLN",
    "zloty": "PLN", "soles": "PEN", "reais": "BRL", "pounds sterling": "GBP", "rupees": "INR",
    "franken": "CHF",
}

_CODE_RE = re.compile(r"(?<![A-Za-z])(" + "|".join(sorted(ISO_CODES)) + r")(?![A-Za-z])")
_SYM_RE = re.compile(
    "|".join(
        (r"(?<![A-Za-z])" + re.escape(s) + r"(?![A-Za-z])") if s[0].isalpha() else re.escape(s)
        for s in sorted(SYMBOLS, key=len, reverse=True)
    )
)
_WORD_RE = re.compile(r"\b(" + "|".join(WORDS) + r")\b", re.IGNORECASE)


def currency_in(text: str) -> str | None:
    """The first currency mentioned in a short piece of text (e.g. an amount cell)."""
    m = _CODE_RE.search(text)
    s = _SYM_RE.search(text)
    if m and (not s or m.start() <= s.start()):
        return m.group(1)
    if s:
        return SYMBOLS[s.group(0)]
    w = _WORD_RE.search(text)
    return WORDS[w.group(1).lower()] if w else None


# pre-euro codes that are also common abbreviations: read only after a currency label
LEGACY = frozenset({"DEM", "FRF", "NLG", "ESP", "ITL", "BEF", "ATS"})


def count_currencies(text: str) -> Counter[str]:
    """How often each currency is mentioned in a text."""
    c: Counter[str] = Counter()
    for m in _CODE_RE.finditer(text):
        if m.group(1) not in LEGACY:  # "ESP" (espécie), "ATS": only when labelled
            c[m.group(1)] += 2
    for m in _SYM_RE.finditer(text):
        c[SYMBOLS[m.group(0)]] += 1
    for m in _WORD_RE.finditer(text):
        c[WORDS[m.group(1).lower()]] += 1
    return c


def is_valid_code(code: str) -> bool:
    return code.upper() in ISO_CODES
