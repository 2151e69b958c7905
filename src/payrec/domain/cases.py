"""Recovery case rules: the status a case opens in, its priority rank, what it still owes, and
what a sent reminder, a status change or a payment mean for it.

Pure functions over plain values (statuses as their names, amounts as Decimals or scaled
integers); the services apply them to rows and models, and so does the sent-mark.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TypeVar

from payrec.domain.errors import Conflict, DomainError, Invalid
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
    "MAX_REASON_CHARS",
    "OPEN",
    "STOPS_CONTACT",
    "TERMINAL",
    "OutstandingBalance",
    "WriteOffNotAllowed",
    "check_status_change",
    "closes",
    "default_issue_date",
    "is_contactable",
    "is_terminal",
    "opening_status",
    "outstanding",
    "priority_rank",
    "resumes",
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
MAX_REASON_CHARS = 1000


class OutstandingBalance(Conflict, code="case-has-outstanding-balance"):
    """RESOLVED asked for a case that still owes money (409): only payments settle a case."""


class WriteOffNotAllowed(DomainError, status=403, code="write-off-needs-admin", title="Forbidden"):
    """WRITTEN_OFF asked by a caller who may not write debts off (403)."""


def opening_status(due_date: date, today: date) -> str:
    """A new case is OVERDUE when its due date has passed, PENDING otherwise."""
    return CaseStatus.OVERDUE.value if due_date < today else CaseStatus.PENDING.value


def default_issue_date(due_date: date, today: date) -> date:
    """The issue date of an invoice whose issue date is not known: the earlier of the day its
    case is opened and its due date (an invoice due in 2019 was not issued today)."""
    return min(due_date, today)


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


def check_status_change(
    before: str,
    after: str,
    outstanding_amount: Decimal,
    *,
    may_write_off: bool,
    reason: str | None,
) -> None:
    """Whether a status change asked through the API may happen; raises when not.

    A case is settled by its payments alone (the payment that covers it resolves it):
    RESOLVED with money outstanding is refused (:class:`OutstandingBalance`, 409). A debt is
    given up only by a write-off: WRITTEN_OFF needs a caller who may write off
    (:class:`WriteOffNotAllowed`, 403: an ADMIN through the management API) and a reason
    (422 naming ``reason``). Then the state machine's rule (IllegalTransition, 409).
    """
    if after == CaseStatus.RESOLVED and before != after and outstanding_amount > 0:
        raise OutstandingBalance(
            f"the case still owes {outstanding_amount}: only a payment settles a case "
            "(an ADMIN may write the rest off, with a reason)"
        )
    if after == CaseStatus.WRITTEN_OFF and before != after:
        if not may_write_off:
            raise WriteOffNotAllowed(
                "only an ADMIN may write a case off, through the management API with a reason"
            )
        if not (reason or "").strip():
            raise Invalid("a write-off needs a reason", field="reason")
    if reason is not None and len(reason) > MAX_REASON_CHARS:
        raise Invalid(f"at most {MAX_REASON_CHARS} characters", field="reason")
    check_transition(CASE, before, after)


def stops_contact(before: str, after: str) -> bool:
    """Whether a move from `before` to `after` must cancel the case's waiting contacts."""
    return after in STOPS_CONTACT and before != after


def resumes(before: str, after: str) -> bool:
    """Whether a move from `before` to `after` resumes a held (PAUSED or DISPUTED) case: the
    steps the hold cancelled must then be planned again."""
    return before in STOPS_CONTACT and before not in TERMINAL and after in OPEN


def status_after_reminder_sent(status: str) -> str:
    """A sent reminder puts a PENDING or OVERDUE case IN_PROGRESS; other statuses stay."""
    if status in (CaseStatus.PENDING, CaseStatus.OVERDUE):
        check_transition(CASE, status, CaseStatus.IN_PROGRESS)
        return CaseStatus.IN_PROGRESS.value
    return status
