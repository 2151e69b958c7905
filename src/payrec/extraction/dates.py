"""Date parsing: numeric formats, month names in several languages, payment terms."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

DayOrder = Literal["dmy", "mdy"] | None

_MONTHS: dict[str, int] = {}


def _add(month: int, *names: str) -> None:
    for n in names:
        _MONTHS[n] = month


# English, German, French, Dutch, Spanish, Italian, Portuguese, Polish (nominative + genitive).
_add(1, "january", "jan", "januar", "janvier", "janv", "januari", "enero", "ene", "gennaio",
     "janeiro", "styczen", "stycznia", "sty", "jänner", "janner")
_add(2, "february", "feb", "februar", "fevrier", "fevr", "fev", "februari", "febrero", "febbraio",
     "fevereiro", "luty", "lutego", "lut")
_add(3, "march", "mar", "marz", "maerz", "mars", "maart", "marzo", "marco", "marzec", "marca",
     "mrt")
_add(4, "april", "apr", "avril", "avr", "abril", "abr", "aprile", "kwiecien", "kwietnia", "kwi")
_add(5, "may", "mai", "mei", "mayo", "maggio", "maio", "maj", "maja")
_add(6, "june", "jun", "juni", "juin", "junio", "giugno", "junho", "czerwiec", "czerwca", "cze")
_add(7, "july", "jul", "juli", "juillet", "juil", "julio", "luglio", "julho", "lipiec", "lipca",
     "lip")
_add(8, "august", "aug", "aout", "augustus", "agosto", "ago", "sierpien", "sierpnia", "sie")
_add(9, "september", "sep", "sept", "septembre", "septiembre", "setiembre", "settembre",
     "setembro", "wrzesien", "wrzesnia", "wrz")
_add(10, "october", "oct", "oktober", "okt", "octobre", "oktober", "octubre", "ottobre",
     "outubro", "pazdziernik", "pazdziernika", "paz")
_add(11, "november", "nov", "novembre", "noviembre", "novembro", "listopad", "listopada", "lis")
_add(12, "december", "dec", "dezember", "dez", "decembre", "diciembre", "dic", "dicembre",
     "dezembro", "grudzien", "grudnia", "gru")


def fold(text: str) -> str:
    """Lower-case and strip accents (keeps length stable for ASCII-mappable text)."""
    nfkd = unicodedata.normalize("NFKD", text)
    out = "".join(c for c in nfkd if not unicodedata.combining(c))
    out = out.lower().replace("ß", "ss").replace("ł", "l")
    return out.replace("\u2019", "'").replace("\u2018", "'").replace("\u00a0", " ")


_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_NUMERIC_RE = re.compile(
    r"(?<![\d.,/])(\d{1,4})\s?([./-])\s?(\d{1,2})\s?\2\s?(\d{2,4})(?![\d/]|[.,]\d)"
)
_DAY_MONTH_RE = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:st|nd|rd|th|er|e)?\.?\s*(?:de\s+)?({_MONTH_ALT})\.?,?\s*(?:de\s+)?(\d{{4}})(?!\d)"
)
_MONTH_DAY_RE = re.compile(
    rf"\b({_MONTH_ALT})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(\d{{4}})(?!\d)"
)


@dataclass(frozen=True, slots=True)
class DateMatch:
    value: date
    start: int
    end: int
    ambiguous: bool  # day/month order guessed


def _mk(y: int, m: int, d: int) -> date | None:
    if y < 100:
        y += 2000 if y < 70 else 1900
    if not 1900 <= y <= 2100:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def find_dates(text: str, order: DayOrder = None) -> list[DateMatch]:
    """All dates found in text (numeric and with month names)."""
    folded = fold(text)
    found: list[DateMatch] = []
    for m in _NUMERIC_RE.finditer(folded):
        a, sep, b, c = m.group(1), m.group(2), m.group(3), m.group(4)
        ai, bi, ci = int(a), int(b), int(c)
        ambiguous = False
        if len(a) == 4:
            if len(c) > 2:
                continue
            value = _mk(ai, bi, ci)
        elif len(c) in (2, 4):
            if sep == "." or ai > 12:
                value = _mk(ci, bi, ai)
            elif bi > 12:
                value = _mk(ci, ai, bi)
            else:
                ambiguous = ai != bi
                value = _mk(ci, ai, bi) if order == "mdy" else _mk(ci, bi, ai)
        else:
            continue
        if value is not None:
            found.append(DateMatch(value, m.start(), m.end(), ambiguous))
    for m in _DAY_MONTH_RE.finditer(folded):
        value = _mk(int(m.group(3)), _MONTHS[m.group(2)], int(m.group(1)))
        if value is not None:
            found.append(DateMatch(value, m.start(), m.end(), False))
    for m in _MONTH_DAY_RE.finditer(folded):
        value = _mk(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)))
        if value is not None and not any(f.start <= m.start() < f.end for f in found):
            found.append(DateMatch(value, m.start(), m.end(), False))
    found.sort(key=lambda d: d.start)
    return found


def parse_date(text: str, order: DayOrder = None) -> date | None:
    found = find_dates(text, order)
    return found[0].value if found else None


def day_order_hint(texts: list[str]) -> DayOrder:
    """Decide dd/mm vs mm/dd from unambiguous slash dates in the document."""
    dmy = mdy = 0
    for t in texts:
        for m in re.finditer(r"(?<!\d)(\d{1,2})[/-](\d{1,2})[/-](\d{2,4})(?!\d)", t):
            a, b = int(m.group(1)), int(m.group(2))
            if a > 12 >= b:
                dmy += 1
            elif b > 12 >= a:
                mdy += 1
    if mdy > dmy:
        return "mdy"
    if dmy > mdy:
        return "dmy"
    return None


_TERMS_RE = re.compile(
    r"(?:net|netto|within|innerhalb(?:\s+von)?|binnen|sous|dans\s+les|a|à|en|w\s+ciagu|termin|"
    r"payable\s+in|zahlbar\s+in|plazo\s+de|due\s+in)\s*:?\s*(\d{1,3})\s*"
    r"(?:days?|tage?n?|jours?|dagen|dias|días|dni|d\b)"
    r"|(\d{1,3})\s*(?:days?|tage?n?|jours?|dagen|dias|dni)\s*(?:net|netto|nett|fin\s+de\s+mois)?"
    r"|\bnet\s*(\d{1,3})\b",
    re.IGNORECASE,
)


def payment_terms_days(text: str) -> int | None:
    """Days in a payment term such as 'net 30', '30 Tage netto', '30 jours', 'Net 30 days'."""
    m = _TERMS_RE.search(fold(text))
    if not m:
        return None
    raw = next(g for g in m.groups() if g)
    days = int(raw)
    return days if 0 < days <= 180 else None


def add_days(start: date, days: int) -> date:
    return start + timedelta(days=days)
