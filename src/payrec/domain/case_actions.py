"""What a collector does to a case, as pure rules: promises to pay (their deadline with the
policy's grace and whether they are kept, broken or pending), disputes (their reasons and what
resolving one does), pauses (until when) and edits (an amount never below what was paid).

Plain values in, plain values out; the services apply them to rows (`server/cases/actions`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum

from payrec.domain.cases import opening_status, outstanding, settled
from payrec.domain.errors import Conflict, Invalid
from payrec.domain.states import CaseStatus

__all__ = [
    "DEFAULT_PROMISE_GRACE_DAYS",
    "MAX_AHEAD_DAYS",
    "MAX_PROMISE_GRACE_DAYS",
    "DisputeOutcome",
    "DisputeReason",
    "PromiseStatus",
    "Resolution",
    "check_edited_amount",
    "check_pause_until",
    "check_promise",
    "promise_breaks_at",
    "promise_deadline",
    "promise_status",
    "resolve_dispute",
    "resume_status",
]

DEFAULT_PROMISE_GRACE_DAYS = 3
"""Days after the promised date before a promise counts as broken (a policy may change it)."""
MAX_PROMISE_GRACE_DAYS = 60
MAX_AHEAD_DAYS = 366
"""A promise or a pause reaches at most a year ahead: anything further is a typo."""


class PromiseStatus(StrEnum):
    PENDING = "PENDING"
    KEPT = "KEPT"
    BROKEN = "BROKEN"
    CANCELLED = "CANCELLED"  # superseded by a newer promise, a dispute or the case closing


class DisputeReason(StrEnum):
    WRONG_AMOUNT = "WRONG_AMOUNT"
    NOT_RECEIVED = "NOT_RECEIVED"
    ALREADY_PAID = "ALREADY_PAID"
    QUALITY = "QUALITY"
    OTHER = "OTHER"


class DisputeOutcome(StrEnum):
    RESUME = "RESUME"  # the claim stands: contact resumes
    WRITE_OFF = "WRITE_OFF"  # the debt is abandoned: the case closes WRITTEN_OFF
    CREDIT = "CREDIT"  # part of the claim is dropped: the amount is reduced


def promise_deadline(promised: date, grace_days: int) -> date:
    """The last day on which paying still keeps the promise: the promised date plus grace."""
    if isinstance(grace_days, bool) or not 0 <= grace_days <= MAX_PROMISE_GRACE_DAYS:
        raise Invalid(f"grace must be 0 to {MAX_PROMISE_GRACE_DAYS} days", field="promiseGraceDays")
    return promised + timedelta(days=grace_days)


def promise_breaks_at(promised: date, grace_days: int, tz: tzinfo) -> datetime:
    """The instant a promise not kept breaks: the start of the day after its deadline in the
    customer's zone (the customer may pay all through the deadline day, local time)."""
    after = promise_deadline(promised, grace_days) + timedelta(days=1)
    return datetime.combine(after, time(0, 0), tzinfo=tz).astimezone(UTC)


def promise_status(
    *,
    promised_amount: Decimal,
    paid_since: Decimal,
    owed: Decimal,
    breaks_at: datetime,
    now: datetime,
) -> PromiseStatus:
    """KEPT once the promised amount (or everything still owed) was paid since the promise;
    BROKEN when its time is up without that; PENDING meanwhile. A payment that arrives exactly
    when the promise breaks is too late (the check and the payment race on the case lock)."""
    if owed <= 0 or paid_since >= promised_amount:
        return PromiseStatus.KEPT
    if now >= breaks_at:
        return PromiseStatus.BROKEN
    return PromiseStatus.PENDING


def check_promise(
    *, status: str, promised: date, today: date, amount: Decimal | None, owed: Decimal
) -> Decimal:
    """Validate a new promise on a case in `status` owing `owed`; returns the amount promised
    (everything owed when no amount is given)."""
    if status in (CaseStatus.RESOLVED, CaseStatus.WRITTEN_OFF):
        raise Conflict(f"case is {status}; nothing is owed to promise", code="case-closed")
    if status == CaseStatus.DISPUTED:
        raise Conflict("case is DISPUTED; resolve the dispute first", code="case-disputed")
    _check_ahead(promised, today, "promisedDate")
    if amount is None:
        return owed
    if amount <= 0:
        raise Invalid("a promised amount must be positive", field="amount")
    if amount > owed:
        raise Invalid(f"the promised {amount} exceeds the outstanding {owed}", field="amount")
    return amount


def check_pause_until(until: date, today: date) -> None:
    """A pause ends on a later day, within a year."""
    if until <= today:
        raise Invalid("a pause must end after today", field="until")
    _check_ahead(until, today, "until")


def _check_ahead(day: date, today: date, field: str) -> None:
    if day < today:
        raise Invalid("must be today or later", field=field)
    if day > today + timedelta(days=MAX_AHEAD_DAYS):
        raise Invalid(f"must be within {MAX_AHEAD_DAYS} days", field=field)


def resume_status(due_date: date, today: date, last_reminder_sent: datetime | None) -> str:
    """The open status a paused or disputed case goes back to: IN_PROGRESS once a reminder
    went out, else PENDING or OVERDUE by its due date (as a new case would open)."""
    if last_reminder_sent is not None:
        return CaseStatus.IN_PROGRESS.value
    return opening_status(due_date, today)


def check_edited_amount(new_amount: Decimal, paid: Decimal) -> None:
    """An edited amount is positive and never below what was already paid (equal settles)."""
    if new_amount <= 0:
        raise Invalid("amount must be positive", field="amount")
    if new_amount < paid:
        raise Invalid(
            f"amount {new_amount} is below the {paid} already paid",
            field="amount",
            code="amount-below-paid",
        )


@dataclass(frozen=True, slots=True)
class Resolution:
    """What resolving a dispute does: the case's next status and amount."""

    status: str
    amount: Decimal


def resolve_dispute(
    outcome: DisputeOutcome | str,
    *,
    amount: Decimal,
    paid: Decimal,
    credit: Decimal | None,
    reopen_status: str,
) -> Resolution:
    """RESUME goes back to `reopen_status`; WRITE_OFF closes the case; CREDIT lowers the
    amount by `credit` (positive, at most what is owed) and resolves the case when nothing
    is left owing, else resumes it."""
    outcome = DisputeOutcome(outcome)
    if outcome is not DisputeOutcome.CREDIT and credit is not None:
        raise Invalid("only a CREDIT takes an amount", field="amount")
    if outcome is DisputeOutcome.RESUME:
        return Resolution(reopen_status, amount)
    if outcome is DisputeOutcome.WRITE_OFF:
        return Resolution(CaseStatus.WRITTEN_OFF.value, amount)
    if credit is None or credit <= 0:
        raise Invalid("a CREDIT needs a positive amount", field="amount")
    owed = outstanding(amount, paid)
    if credit > owed:
        raise Invalid(f"the credit {credit} exceeds the outstanding {owed}", field="amount")
    reduced = amount - credit
    if settled(reduced, paid):
        return Resolution(CaseStatus.RESOLVED.value, reduced)
    return Resolution(reopen_status, reduced)
