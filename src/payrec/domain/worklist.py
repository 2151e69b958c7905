"""What a collector does first: the worklist's order, as pure rules.

A case's place is decided by its reasons, compared in `ORDER` (most urgent first):
  1. a manual task (CALL, LETTER) due now — someone has to pick up the phone today;
  2. how far overdue it is, in aging buckets (91+, 61-90, 31-60, 1-30 days, not yet due);
  3. what it still owes (larger first; amounts of different currencies are compared as
     numbers, the worklist can be filtered by currency);
  4. the oldest due date, then the id, so that the order is total and pages are stable.

Hooks: promises and disputes (`BROKEN_PROMISE`, `PROMISE_DUE`, `DISPUTE_WAITING`) rank above
a manual task once the case actions record them; a reason no query computes yet is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from payrec.domain.cases import OPEN

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
SEARCH_MAX = 100
AGING_BUCKETS: tuple[int, ...] = (90, 60, 30, 0)
"""Lower bounds (exclusive) of the overdue buckets, oldest first: 91+, 61-90, 31-60, 1-30."""
STATUSES: tuple[str, ...] = OPEN
"""Cases on the worklist: the open ones (PENDING, OVERDUE, IN_PROGRESS)."""


class Reason(StrEnum):
    BROKEN_PROMISE = "broken-promise"
    PROMISE_DUE = "promise-due"
    DISPUTE_WAITING = "dispute-waiting"
    MANUAL_TASK_DUE = "manual-task-due"
    OVERDUE = "overdue"


ORDER: tuple[Reason, ...] = (
    Reason.BROKEN_PROMISE,
    Reason.PROMISE_DUE,
    Reason.DISPUTE_WAITING,
    Reason.MANUAL_TASK_DUE,
)
"""The flag reasons, most urgent first; aging and the amount follow them."""


def days_overdue(due_date: date, today: date) -> int:
    return max(0, (today - due_date).days)


def aging_bucket(due_date: date, today: date) -> int:
    """0 for the oldest bucket (91+ days overdue) … len(AGING_BUCKETS) for not yet due."""
    days = (today - due_date).days
    for index, bound in enumerate(AGING_BUCKETS):
        if days > bound:
            return index
    return len(AGING_BUCKETS)


@dataclass(frozen=True)
class Facts:
    """What the worklist knows of a case."""

    case_id: str
    due_date: date
    outstanding: Decimal
    flags: frozenset[Reason] = field(default_factory=frozenset)


def rank_key(facts: Facts, today: date) -> tuple[object, ...]:
    """The sort key of a case: smaller comes first (the queries order by the same terms)."""
    return (
        *(0 if reason in facts.flags else 1 for reason in ORDER),
        aging_bucket(facts.due_date, today),
        -facts.outstanding,
        facts.due_date,
        facts.case_id,
    )


def reasons(facts: Facts, today: date) -> list[str]:
    """Why a case is where it is, most urgent first (shown beside it)."""
    shown = [reason.value for reason in ORDER if reason in facts.flags]
    if facts.due_date < today:
        shown.append(Reason.OVERDUE.value)
    return shown


def search_digits(text: str) -> str | None:
    """The digits of a search that looks like a phone number (at least 4 digits), or None."""
    digits = "".join(ch for ch in text if ch.isdigit())
    other = [ch for ch in text if not ch.isdigit() and ch not in " +-()./"]
    return digits if len(digits) >= 4 and not other else None
