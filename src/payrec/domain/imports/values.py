"""Locale-aware values of a spreadsheet: amounts ("1.234,56", "1,234.56") read exactly as
`Decimal`, dates ("31/12/2026", "12/31/2026", "2026-12-31", "31.12.2026") with the day/month
order decided per file, and the evidence a file's values give for both."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

__all__ = ["BadValue", "FileLocale", "LocaleEvidence", "parse_amount", "parse_date"]

_STRIP = re.compile(r"[\s\u00a0\u202f'\u2019€$£¥]|[A-Z]{3}$|^[A-Z]{3}")
_DATE = re.compile(r"^(\d{1,4})[./\-](\d{1,2})[./\-](\d{1,4})$")


class BadValue(ValueError):
    """A cell that cannot be read; the message is the reason shown for its row."""

    pass


@dataclass(frozen=True)
class FileLocale:
    decimal: str = "."  # "." or ","
    day_first: bool = True


@dataclass
class LocaleEvidence:
    """What the file's values say: counts of amounts that can only be read one way."""

    comma_decimal: int = 0
    dot_decimal: int = 0
    day_first: int = 0
    month_first: int = 0

    def see_amount(self, raw: str) -> None:
        text = _STRIP.sub("", raw.strip())
        if "," in text and "." in text:
            if text.rfind(",") > text.rfind("."):
                self.comma_decimal += 1
            else:
                self.dot_decimal += 1
        elif re.search(r",\d{1,2}$", text) or re.search(r",\d{4,}$", text):
            self.comma_decimal += 1
        elif re.search(r"\.\d{1,2}$", text) or re.search(r"\.\d{4,}$", text):
            self.dot_decimal += 1

    def see_date(self, raw: str) -> None:
        match = _DATE.match(raw.strip())
        if not match or len(match.group(1)) == 4:
            return
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12 >= second:
            self.day_first += 1
        elif second > 12 >= first:
            self.month_first += 1

    def decide(self, delimiter: str, *, decimal: str | None, day_first: bool | None) -> FileLocale:
        if decimal is None:
            if self.comma_decimal != self.dot_decimal:
                decimal = "," if self.comma_decimal > self.dot_decimal else "."
            else:
                decimal = "," if delimiter == ";" else "."
        if day_first is None:
            day_first = self.month_first <= self.day_first
        return FileLocale(decimal=decimal, day_first=day_first)


def parse_amount(raw: object, locale: FileLocale) -> Decimal:
    """An amount as written in the file's locale; a number cell (XLSX) as its shortest text."""
    if isinstance(raw, bool):
        raise BadValue("not an amount")
    if isinstance(raw, int | Decimal):
        return Decimal(raw)
    if isinstance(raw, float):
        return Decimal(repr(raw))  # the digits the spreadsheet shows, not the binary value
    text = _STRIP.sub("", str(raw).strip())
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()")
    thousands = "." if locale.decimal == "," else ","
    if locale.decimal in text and text.rfind(thousands) > text.rfind(locale.decimal):
        raise BadValue(f"amount {raw!r} does not use the file's decimal {locale.decimal!r}")
    if thousands in text:
        groups = text.split(locale.decimal)[0].lstrip("-+").split(thousands)
        if any(len(g) != 3 for g in groups[1:]) or not groups[0]:
            raise BadValue(f"amount {raw!r} is not a number in the file's locale")
        text = text.replace(thousands, "")
    text = text.replace(locale.decimal, ".")
    if not re.fullmatch(r"[-+]?\d+(\.\d+)?", text):
        raise BadValue(f"amount {raw!r} is not a number")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise BadValue(f"amount {raw!r} is not a number") from exc
    return -value if negative else value


def parse_date(raw: object, locale: FileLocale) -> date:
    """A date as written: ISO, or day/month/year in the file's order (2-digit years 20xx)."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    if "T" in text or " " in text:
        text = re.split(r"[T ]", text, maxsplit=1)[0]
    match = _DATE.match(text)
    if not match:
        raise BadValue(f"date {raw!r} is not a date")
    a, b, c = match.groups()
    try:
        if len(a) == 4:
            return date(int(a), int(b), int(c))
        year = int(c) + (2000 if len(c) == 2 else 0)
        if len(c) not in (2, 4):
            raise BadValue(f"date {raw!r} has no year")
        day, month = (int(a), int(b)) if locale.day_first else (int(b), int(a))
        return date(year, month, day)
    except ValueError as exc:
        if isinstance(exc, BadValue):
            raise
        order = "day/month" if locale.day_first else "month/day"
        raise BadValue(f"date {raw!r} is not a valid date ({order} order)") from exc
