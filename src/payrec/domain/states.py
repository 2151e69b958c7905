"""State machines as data: tasks, recovery cases, reminders, notifications.

Every machine is a table ``from -> allowed targets``. Repeating the current state
(``X -> X``) is always accepted as an idempotent no-op: ``check_transition`` then
returns ``False`` so the caller can skip the write and any event. A real move returns
``True``; anything else raises :class:`IllegalTransition` (HTTP 409).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from payrec.domain.errors import IllegalTransition

__all__ = [
    "CASE",
    "CASE_TRANSITIONS",
    "CONTACTABLE_CASE_STATUSES",
    "NOTIFICATION",
    "NOTIFICATION_TRANSITIONS",
    "OPEN_CASE_STATUSES",
    "PRIORITY_RANK",
    "REMINDER",
    "REMINDER_TRANSITIONS",
    "TASK",
    "TASK_TRANSITIONS",
    "TERMINAL_CASE_STATUSES",
    "CaseStatus",
    "IllegalTransition",
    "NotificationStatus",
    "Priority",
    "ReminderStatus",
    "StateMachine",
    "TaskStatus",
    "can_transition",
    "check_transition",
]


class TaskStatus(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class CaseStatus(StrEnum):
    PENDING = "PENDING"
    OVERDUE = "OVERDUE"
    IN_PROGRESS = "IN_PROGRESS"
    PAUSED = "PAUSED"
    DISPUTED = "DISPUTED"
    RESOLVED = "RESOLVED"
    WRITTEN_OFF = "WRITTEN_OFF"


class ReminderStatus(StrEnum):
    SCHEDULED = "SCHEDULED"
    SENT = "SENT"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class NotificationStatus(StrEnum):
    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SENT = "SENT"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class Priority(StrEnum):
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


PRIORITY_RANK: Mapping[Priority, int] = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}
"""Sort key for "ordered by priority": HIGH first."""


def _leased_work(
    pending: str, leased: str, done: str, failed: str, cancelled: str
) -> Mapping[str, frozenset[str]]:
    """The life of work a worker leases (a task, a notification): it is leased, done,
    failed or cancelled; a leased one goes back to ``pending`` when its lease expires or the
    worker hands it back, and is cancelled when its case settles (beyond contract §5); a
    failed one may be retried."""
    return {
        pending: frozenset({leased, done, failed, cancelled}),
        leased: frozenset({done, failed, pending, cancelled}),
        failed: frozenset({pending}),
        done: frozenset(),
        cancelled: frozenset(),
    }


_T = TaskStatus
TASK_TRANSITIONS = _leased_work(_T.PENDING, _T.IN_PROGRESS, _T.COMPLETED, _T.FAILED, _T.CANCELLED)

_C = CaseStatus
OPEN_CASE_STATUSES: frozenset[CaseStatus] = frozenset({_C.PENDING, _C.OVERDUE, _C.IN_PROGRESS})
"""Cases the automation API lists as pending work."""
CONTACTABLE_CASE_STATUSES: frozenset[CaseStatus] = OPEN_CASE_STATUSES
"""Cases whose customer may be contacted (never PAUSED, DISPUTED, RESOLVED, WRITTEN_OFF)."""
TERMINAL_CASE_STATUSES: frozenset[CaseStatus] = frozenset({_C.RESOLVED, _C.WRITTEN_OFF})

_CLOSE = frozenset({_C.RESOLVED, _C.WRITTEN_OFF})
CASE_TRANSITIONS: Mapping[str, frozenset[str]] = {
    # Open statuses move freely among themselves, can be paused/disputed, and can close.
    _C.PENDING: frozenset({_C.OVERDUE, _C.IN_PROGRESS, _C.PAUSED, _C.DISPUTED}) | _CLOSE,
    _C.OVERDUE: frozenset({_C.PENDING, _C.IN_PROGRESS, _C.PAUSED, _C.DISPUTED}) | _CLOSE,
    _C.IN_PROGRESS: frozenset({_C.PENDING, _C.OVERDUE, _C.PAUSED, _C.DISPUTED}) | _CLOSE,
    # A pause or a dispute ends by resuming work or by closing the case.
    _C.PAUSED: frozenset({_C.PENDING, _C.OVERDUE, _C.IN_PROGRESS, _C.DISPUTED}) | _CLOSE,
    _C.DISPUTED: frozenset({_C.PENDING, _C.OVERDUE, _C.IN_PROGRESS, _C.PAUSED}) | _CLOSE,
    # Terminal: a reopened debt is a new case.
    _C.RESOLVED: frozenset(),
    _C.WRITTEN_OFF: frozenset(),
}

_R = ReminderStatus
REMINDER_TRANSITIONS: Mapping[str, frozenset[str]] = {
    _R.SCHEDULED: frozenset({_R.SENT, _R.FAILED, _R.CANCELLED}),
    _R.SENT: frozenset(),  # SENT -> SENT is the idempotent no-op every machine allows
    _R.FAILED: frozenset(),
    _R.CANCELLED: frozenset(),
}

_N = NotificationStatus
NOTIFICATION_TRANSITIONS = _leased_work(
    _N.PENDING, _N.IN_PROGRESS, _N.SENT, _N.FAILED, _N.CANCELLED
)


@dataclass(frozen=True, slots=True)
class StateMachine:
    """A named transition table."""

    name: str
    transitions: Mapping[str, frozenset[str]]

    @property
    def states(self) -> frozenset[str]:
        return frozenset(self.transitions)

    @property
    def terminal(self) -> frozenset[str]:
        """States with no way out (other than the idempotent repeat)."""
        return frozenset(s for s, targets in self.transitions.items() if not targets)


TASK = StateMachine("task", TASK_TRANSITIONS)
CASE = StateMachine("case", CASE_TRANSITIONS)
REMINDER = StateMachine("reminder", REMINDER_TRANSITIONS)
NOTIFICATION = StateMachine("notification", NOTIFICATION_TRANSITIONS)


def can_transition(machine: StateMachine, from_state: str, to_state: str) -> bool:
    """True when ``from_state -> to_state`` is a legal move or an idempotent repeat."""
    if from_state not in machine.transitions or to_state not in machine.transitions:
        return False
    return from_state == to_state or to_state in machine.transitions[from_state]


def check_transition(machine: StateMachine, from_state: str, to_state: str) -> bool:
    """Validate a move; True if the state changes, False for a same-state no-op.

    Raises :class:`IllegalTransition` for unknown states or moves the table forbids.
    """
    if not can_transition(machine, from_state, to_state):
        raise IllegalTransition(machine.name, str(from_state), str(to_state))
    return from_state != to_state
