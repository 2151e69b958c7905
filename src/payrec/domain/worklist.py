"""What a collector does first: the worklist's order, as pure rules.

A case's place is decided by its reasons, compared in `ORDER` (most urgent first):
  1. a broken promise (the periodic check broke it; the ladder resumed) — chase it first;
  2. a promise due: its date is today or already past while its grace period runs;
  3. a dispute waiting for an owner (a DISPUTED case; unassigned ones before assigned ones);
  4. a manual task (CALL, LETTER) due today — someone has to pick up the phone;
  5. how far overdue it is, in aging buckets (91+, 61-90, 31-60, 1-30 days, not yet due);
  6. what it still owes (larger first; amounts of different currencies are compared as
     numbers, the worklist can be filtered by currency);
  7. the oldest due date, then the id, so that the order is total and pages are stable.

Which cases are on the list (`listed`): the open ones (PENDING, OVERDUE, IN_PROGRESS), the
DISPUTED ones (they wait for a person), and of the held (PAUSED) ones only those whose promise
is due or broken. A case paused by hand, or held by a promise whose date has not come, waits
quietly and is not on the default list (filter by status PAUSED to see every held case).
"Today" is the UTC date of the request.

How the queries read that order (`TIERS`, `tier_of`): the order is cut into tiers that follow
one another, each read by its own query stopping at the page's end, so a page costs the same
with ten thousand cases or a million. First the cases whose most urgent flag is a broken
promise, a promise due, a dispute (few: each found by its own index, sorted by the whole key);
then, per aging bucket, the cases with a manual task due and, after them, the unflagged ones:
inside such a tier every term of `rank_key` but the amount, the due date and the id is the
same, so the tier is a walk of one index in (outstanding DESC, due date, id) order. A search
that finds few cases (at most `COUNT_CAP`) has them sorted at once, by the whole key.
The pager counts up to `COUNT_CAP` cases and shows "1,000+" beyond.
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
COUNT_CAP = 1000
"""The worklist counts its cases up to this many (the pager shows "1,000+" beyond)."""
PAUSED = "PAUSED"
DISPUTED = "DISPUTED"
STATUSES: tuple[str, ...] = (*OPEN, DISPUTED, PAUSED)
"""The statuses the worklist's status filter takes: open, disputed, held."""


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


def listed(status: str, promise_due: date | None, broken_promise: bool, today: date) -> bool:
    """Whether a case is on the default worklist (the rule the query's WHERE follows)."""
    if status in OPEN or status == DISPUTED:
        return True
    if status == PAUSED:
        return broken_promise or (promise_due is not None and promise_due <= today)
    return False


def flags_of(
    *,
    status: str,
    promise_due: date | None,
    broken_promise: bool,
    manual_task_due: bool,
    today: date,
) -> frozenset[Reason]:
    """The flag reasons of a case from what it records (the query computes the same)."""
    found: set[Reason] = set()
    if broken_promise:
        found.add(Reason.BROKEN_PROMISE)
    if promise_due is not None and promise_due <= today:
        found.add(Reason.PROMISE_DUE)
    if status == DISPUTED:
        found.add(Reason.DISPUTE_WAITING)
    if manual_task_due:
        found.add(Reason.MANUAL_TASK_DUE)
    return frozenset(found)


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
    assigned: bool = False


def rank_key(facts: Facts, today: date) -> tuple[object, ...]:
    """The sort key of a case: smaller comes first (the queries order by the same terms)."""
    flags = [0 if reason in facts.flags else 1 for reason in ORDER]
    at = ORDER.index(Reason.DISPUTE_WAITING) + 1
    owner_wanted = 0 if Reason.DISPUTE_WAITING in facts.flags and not facts.assigned else 1
    return (
        *flags[:at],
        owner_wanted,
        *flags[at:],
        aging_bucket(facts.due_date, today),
        -facts.outstanding,
        facts.due_date,
        facts.case_id,
    )


@dataclass(frozen=True)
class Tier:
    """A run of the worklist's order: the cases whose most urgent flag is `flag` (None: no
    flag), in aging bucket `bucket` (None: any bucket, the tier sorted by the whole key)."""

    flag: Reason | None
    bucket: int | None


BUCKETED_FLAGS: tuple[Reason | None, ...] = (ORDER[-1], None)
"""The flags whose tiers are cut per aging bucket (nothing but aging follows them in the key)."""

TIERS: tuple[Tier, ...] = (
    *(Tier(flag, None) for flag in ORDER if flag not in BUCKETED_FLAGS),
    *(Tier(flag, bucket) for flag in BUCKETED_FLAGS for bucket in range(len(AGING_BUCKETS) + 1)),
)
"""The tiers in the worklist's order: a case of an earlier tier ranks before any of a later."""


def tier_of(facts: Facts, today: date) -> int:
    """The index in `TIERS` of the tier a case is read in."""
    first = next((reason for reason in ORDER if reason in facts.flags), None)
    bucket = aging_bucket(facts.due_date, today) if first in BUCKETED_FLAGS else None
    return TIERS.index(Tier(first, bucket))


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
