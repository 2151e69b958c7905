"""Scoring rules of the corpus README: per-field comparison and line-item matching."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal
from difflib import SequenceMatcher
from typing import Any

KEY_FIELDS = ("invoice_number", "amount", "currency", "date", "date_due", "issuer", "customer")
# manifest field -> extractor field
FIELD_MAP = {
    "invoice_number": "invoiceNumber",
    "amount": "amount",
    "amount_due": "amountDue",
    "currency": "currency",
    "date": "issueDate",
    "date_due": "dueDate",
    "issuer": "issuerName",
    "customer": "customerName",
}


def fold_ws(text: str) -> str:
    return " ".join(str(text).lower().split())


def _norm_number(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).lower().lstrip("#")


def _fuzzy_name(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        s = unicodedata.normalize("NFKD", s)
        s = "".join(c for c in s if not unicodedata.combining(c)).lower()
        return re.sub(r"[^a-z0-9]", "", s)

    na, nb = norm(a), norm(b)
    if not na or not nb:
        return False
    if na in nb or nb in na:
        return min(len(na), len(nb)) >= 3
    return SequenceMatcher(None, na, nb).ratio() >= 0.8


# manifest notes naming a credit note: UNTDID 381/396, SUNAT comprobante tipo 07
CREDIT_NOTE_NOTE = re.compile(r"TypeCode (381|396)\b|nota de cr[eé]dito \(tipo 07\)")


def expected_fields(doc: dict[str, Any]) -> dict[str, Any]:
    """The document's ground truth as payrec reports it. A credit note's amounts are negative
    in payrec; ground truth taken from EN 16931 XML states them positive (its manifest notes
    carry the XML's type, e.g. "CII TypeCode 381", "SUNAT nota de crédito (tipo 07)")."""
    gt = dict(doc["gt"])
    notes = " ".join(str(n) for n in doc.get("notes", []))
    if CREDIT_NOTE_NOTE.search(notes):
        for key in ("amount", "amount_due"):
            if isinstance(gt.get(key), int | float) and gt[key] > 0:
                gt[key] = -gt[key]
    return gt


def field_correct(name: str, expected: Any, got: Any, fuzzy: bool = False) -> bool:
    if got is None:
        return False
    if name == "invoice_number":
        return _norm_number(expected) == _norm_number(got)
    if name in ("amount", "amount_due"):
        try:
            return abs(Decimal(str(expected)) - Decimal(str(got))) <= Decimal("0.005")
        except ArithmeticError:
            return False
    if name in ("date", "date_due"):
        g = got.isoformat() if isinstance(got, date) else str(got)
        return g == str(expected)
    if name == "currency":
        return str(got).upper() == str(expected).upper()
    if name in ("issuer", "customer"):
        if fold_ws(expected) == fold_ws(got):
            return True
        return fuzzy and _fuzzy_name(str(expected), str(got))
    return False


def _desc_similar(expected: str, got: str) -> bool:
    def toks(s: str) -> list[str]:
        s = unicodedata.normalize("NFKD", s)
        s = "".join(c for c in s if not unicodedata.combining(c)).lower()
        return re.findall(r"[a-z0-9]+", s)

    e, g = toks(expected), toks(got)
    if not e or not g:
        return not e and not g
    first = toks(expected.splitlines()[0]) if expected.strip() else e
    if first and " ".join(first) in " ".join(g):
        return True
    se, sg = set(e), set(g)
    return len(se & sg) / len(se | sg) >= 0.5 or len(se & sg) / len(se) >= 0.7


def match_lines(expected: list[dict[str, Any]], got: list[dict[str, Any]]) -> tuple[int, int, int]:
    """(matched, n_expected, n_got): greedy one-to-one by amount equal and description similar."""
    used: set[int] = set()
    matched = 0
    for e in expected:
        for i, g in enumerate(got):
            if i in used:
                continue
            try:
                same_amount = abs(Decimal(str(e["amount"])) - Decimal(str(g["amount"]))) <= Decimal(
                    "0.005"
                )
            except (ArithmeticError, KeyError):
                same_amount = False
            if same_amount and _desc_similar(
                str(e.get("description", "")), str(g.get("description", ""))
            ):
                used.add(i)
                matched += 1
                break
    return matched, len(expected), len(got)
