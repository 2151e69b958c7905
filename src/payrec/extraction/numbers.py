"""Locale-tolerant parsing of money amounts: 1.234,56 / 1,234.56 / 1 234,56 / 1'234.56."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from .currency import is_valid_code

DecimalHint = Literal[",", "."] | None

_SPACES = "\u00a0\u202f\u2009"
_MINUS = "-\u2212\u2013"

# One number token as printed: optional sign, digits with optional grouping and decimals.
# Space grouping (French/Polish) is only accepted with comma decimals or NBSP-like spaces.
NUMBER_RE = re.compile(
    r"(?<![\w.,/])"
    r"(?P<sign>[-\u2212\u2013]\s?)?"
    r"(?P<num>"
    r"\d{1,3}(?:[.,'\u00a0\u202f\u2009]\d{3})+(?:[.,]\d{1,4})?"
    r"|\d{1,3}(?: \d{3})+,\d{2}"
    r"|\d+(?:[.,]\d{1,4})?"
    r")"
    r"(?P<trail>-)?"
    r"(?!(?![A-Za-z]{3}(?![A-Za-z]))[\w/]|[.,]\d)"  # a currency code may be glued on: 12,50PLN
)


@dataclass(frozen=True, slots=True)
class NumberMatch:
    value: Decimal
    start: int
    end: int
    text: str
    has_decimals: bool
    percent: bool


def _normalise(num: str, hint: DecimalHint) -> tuple[str, bool] | None:
    s = num.replace("'", "").replace(" ", "")
    for ch in _SPACES:
        s = s.replace(ch, "")
    last_dot, last_comma = s.rfind("."), s.rfind(",")
    if last_dot < 0 and last_comma < 0:
        return s, False
    sep_pos = max(last_dot, last_comma)
    sep = s[sep_pos]
    other = "," if sep == "." else "."
    digits_after = len(s) - sep_pos - 1
    if other in s[:sep_pos]:
        # both separators used: the last one is the decimal separator
        return s[:sep_pos].replace(other, "").replace(sep, "") + "." + s[sep_pos + 1 :], True
    if s.count(sep) > 1:
        # 1.234.567 -> grouping only
        return s.replace(sep, ""), False
    if digits_after == 3:
        decimal = hint == sep
        if not decimal:
            return s.replace(sep, ""), False
    return s[:sep_pos] + "." + s[sep_pos + 1 :], True


def parse_amount(text: str, hint: DecimalHint = None) -> Decimal | None:
    """Parse a printed amount (may carry a currency symbol/code and a sign) into a Decimal."""
    t = text.strip()
    negative = False
    if t.startswith("(") and t.endswith(")"):
        negative, t = True, t[1:-1]
    t = re.sub(r"[^/\d.,'\s\u00a0\u202f\u2009\-\u2212\u2013]+\.?", " ", t).strip()
    if t and t[0] in _MINUS:
        negative, t = True, t[1:].strip()
    if t.endswith("-"):
        negative, t = True, t[:-1].strip()
    t = t.strip(" .,'\u00a0")
    if not re.fullmatch(r"[\d.,' \u00a0\u202f\u2009]+", t) or not re.search(r"\d", t):
        return None
    norm = _normalise(t, hint)
    if norm is None:
        return None
    try:
        value = Decimal(norm[0])
    except InvalidOperation:
        return None
    return -value if negative else value


def find_numbers(text: str, hint: DecimalHint = None) -> list[NumberMatch]:
    """All number tokens in a piece of text, with their spans."""
    out: list[NumberMatch] = []
    for m in NUMBER_RE.finditer(text):
        num = m.group("num")
        norm = _normalise(num, hint)
        if norm is None:
            continue
        try:
            value = Decimal(norm[0])
        except InvalidOperation:
            continue
        if m.group("sign") or m.group("trail"):
            value = -value
        glued = text[m.end() : m.end() + 3]
        if glued[:1].isalpha() and not (norm[1] and is_valid_code(glued)):
            continue  # "120ABC" is a reference; only "1 230,00PLN" is an amount
        rest = text[m.end() : m.end() + 2].lstrip()
        out.append(
            NumberMatch(
                value=value,
                start=m.start(),
                end=m.end(),
                text=m.group(0),
                has_decimals=norm[1],
                percent=rest.startswith("%"),
            )
        )
    return out


def decimal_hint(texts: list[str]) -> DecimalHint:
    """Guess the document's decimal separator from tokens with exactly two decimals."""
    comma = dot = 0
    for t in texts:
        comma += len(re.findall(r"\d,\d{2}(?!\d)", t))
        dot += len(re.findall(r"\d\.\d{2}(?!\d)", t))
    if comma > dot:
        return ","
    if dot > comma:
        return "."
    return None
