"""Sane calendar bounds for business dates (due dates, issue dates, report days).

A date far outside the years a receivable can live in (9999-12-31, 0001-01-01) is a typo,
a poisoned import or a hostile document, and it breaks arithmetic further on: a step offset
added to 9999-12-31 overflows, every scheduler pass dies on it. Every entry (the API's
schemas, extraction results, imports) checks its dates here, so that one rule decides.
"""

from __future__ import annotations

from datetime import date, timedelta

EARLIEST = date(1970, 1, 1)
LATEST = date(2200, 12, 31)
MAX_TERM = timedelta(days=round(30 * 365.25))
"""How far a due date may lie after its issue date (payment terms of decades are typos)."""
MAX_DUE_BEFORE_ISSUE = timedelta(days=366)
"""How far a due date may lie before its issue date (an invoice issued late, re-issued)."""


class DateOutOfBounds(ValueError):
    """A date outside the sane range, or a due date too far from its issue date."""


def date_problem(value: date) -> str | None:
    """Why `value` is not a sane business date, or None when it is."""
    if not EARLIEST <= value <= LATEST:
        return f"must be between {EARLIEST.isoformat()} and {LATEST.isoformat()}"
    return None


def terms_problem(issue: date | None, due: date | None) -> str | None:
    """Why (issue date, due date) are not a sane pair, or None (either may be missing)."""
    for label, value in (("issue date", issue), ("due date", due)):
        if value is not None and (problem := date_problem(value)) is not None:
            return f"{label} {value.isoformat()} {problem}"
    if issue is None or due is None:
        return None
    if due - issue > MAX_TERM:
        return f"due date {due.isoformat()} is more than 30 years after issue date {issue}"
    if issue - due > MAX_DUE_BEFORE_ISSUE:
        return f"due date {due.isoformat()} is more than a year before issue date {issue}"
    return None


def require_sane(value: date) -> date:
    """`value` itself, or DateOutOfBounds saying why it is refused."""
    problem = date_problem(value)
    if problem is not None:
        raise DateOutOfBounds(problem)
    return value


def require_sane_terms(issue: date | None, due: date | None) -> None:
    problem = terms_problem(issue, due)
    if problem is not None:
        raise DateOutOfBounds(problem)
