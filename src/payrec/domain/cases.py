"""Recovery case rules: the status a case opens in, its priority rank, what it still owes, and
what a sent reminder, a status change or a payment mean for it.

Pure functions over plain values (statuses as their names, amounts as Decimals or scaled
integers); the services apply them to rows and models, and so does the sent-mark.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TypeVar

from payrec.domain.states import (
    CASE,
    CONTACTABLE_CASE_STATUSES,
    OPEN_CASE_STATUSES,
    PRIORITY_RANK,
    TERMINAL_CASE_STATUSES,
    CaseStatus,
    Priority,
    check_transition,
)

__all__ = [
    "OPEN",
    "STOPS_CONTACT",
    "TERMINAL",
    "closes",
    "is_contactable",
    "is_terminal",
    "opening_status",
    "outstanding",
    "priority_rank",
    "settled",
    "status_after_reminder_sent",
    "stops_contact",
]

OPEN: tuple[str, ...] = tuple(s.value for s in CaseStatus if s in OPEN_CASE_STATUSES)
"""The open statuses in their declared order (PENDING, OVERDUE, IN_PROGRESS): the queue's."""
TERMINAL: tuple[str, ...] = tuple(s.value for s in CaseStatus if s in TERMINAL_CASE_STATUSES)
"""RESOLVED, WRITTEN_OFF: a closed case takes no payment, no reminder, no move."""
STOPS_CONTACT: tuple[str, ...] = tuple(
    s.value for s in CaseStatus if s not in CONTACTABLE_CASE_STATUSES
)
"""PAUSED, DISPUTED, RESOLVED, WRITTEN_OFF: moving there cancels every contact still waiting."""

Amount = TypeVar("Amount", Decimal, int)


def opening_status(due_date: date, today: date) -> str:
    """A new case is OVERDUE when its due date has passed, PENDING otherwise."""
    return CaseStatus.OVERDUE.value if due_date < today else CaseStatus.PENDING.value


def priority_rank(priority: str) -> int:
    """The queue's sort key of a priority (HIGH first); unknown names raise ValueError."""
    return PRIORITY_RANK[Priority(priority)]


def outstanding(amount: Amount, paid: Amount) -> Amount:
    """What the case still owes: the amount less what was paid, never below zero (either both
    Decimals or both stored scaled integers)."""
    owed = amount - paid
    return owed if owed > 0 else amount - amount  # a zero of the same type


def settled(amount: Amount, paid: Amount) -> bool:
    """A case whose payments cover its amount is settled (and resolves)."""
    return outstanding(amount, paid) == 0


def is_terminal(status: str) -> bool:
    return status in TERMINAL


def is_contactable(status: str) -> bool:
    """Whether the customer of a case in `status` may be contacted at all."""
    return status not in STOPS_CONTACT


def closes(before: str, after: str) -> bool:
    """Whether moving a case from `before` to `after` closes it (it then gets its resolved
    time). Raises IllegalTransition when the move is not allowed."""
    return check_transition(CASE, before, after) and after in TERMINAL


def stops_contact(before: str, after: str) -> bool:
    """Whether a move from `before` to `after` must cancel the case's waiting contacts."""
    return after in STOPS_CONTACT and before != after


def status_after_reminder_sent(status: str) -> str:
    """A sent reminder puts a PENDING or OVERDUE case IN_PROGRESS; other statuses stay."""
    if status in (CaseStatus.PENDING, CaseStatus.OVERDUE):
        check_transition(CASE, status, CaseStatus.IN_PROGRESS)
        return CaseStatus.IN_PROGRESS.value
    return status
