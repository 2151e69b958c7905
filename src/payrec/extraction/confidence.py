"""Consistency checks that raise or lower field confidence, and score-to-confidence mapping."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from itertools import combinations

from .fields import Candidate
from .result import LineItem

CENT = Decimal("0.01")


def close(a: Decimal, b: Decimal, tol: Decimal = CENT) -> bool:
    return abs(a - b) <= tol


def base_confidence(top: float, combined: float, runner: float) -> float:
    """Map a candidate's label strength and support to a probability-like confidence."""
    conf = 0.75 * top + 0.25 * min(combined - top, 0.6) / 0.6 * top
    if runner > 0:
        conf -= 0.3 * runner / max(top, 0.01)
    return max(0.05, min(conf, 0.97))


def totals_consistent(total: Decimal, subtotals: Iterable[Candidate],
                      taxes: Iterable[Candidate]) -> bool:
    """subtotal + tax(es) == total for some printed subtotal and tax amounts."""
    subs = {c.value for c in subtotals}
    tax_values = list({c.value for c in taxes})[:8]
    for s in subs:
        if close(s, total) and not tax_values:
            return True
        for t in tax_values:
            if close(s + t, total):
                return True
        for k in (2, 3):
            for combo in combinations(tax_values, k):
                if close(s + sum(combo, Decimal(0)), total):
                    return True
    return False


def items_consistent(items: list[LineItem], targets: Iterable[Decimal]) -> bool:
    """Line items sum to the subtotal (or the total)."""
    if not items:
        return False
    s = sum((it.amount for it in items), Decimal(0))
    return any(close(s, t, Decimal("0.02")) for t in targets)


def dates_consistent(issue: date | None, due: date | None) -> bool:
    return issue is None or due is None or due >= issue
