"""Manual steps (CALL, LETTER): which tasks a collector completes by hand, with what outcome.

Pure rules, no I/O. A manual task is created PENDING by the scheduler; a collector (ADMIN or
AGENT) completes it once with an outcome and a note. A task already finished (COMPLETED,
CANCELLED, FAILED) cannot be completed again: 409, so a double click or two collectors
working the same list never record two outcomes.
"""

from __future__ import annotations

from enum import StrEnum

from payrec.domain.errors import Conflict

__all__ = [
    "DEFAULT_TEMPLATES",
    "MANUAL_TASK_TYPES",
    "NotCompletable",
    "Outcome",
    "check_completable",
    "outcome_note",
]

MANUAL_TASK_TYPES: frozenset[str] = frozenset({"CALL", "LETTER"})
DEFAULT_TEMPLATES: dict[str, str] = {"CALL": "call-collector", "LETTER": "letter-reminder"}
"""The shipped template of each manual step, used when a task names none (or an unknown one)."""

_OPEN = frozenset({"PENDING", "IN_PROGRESS"})


class Outcome(StrEnum):
    """What came of a manual step."""

    REACHED = "REACHED"
    NO_ANSWER = "NO_ANSWER"
    WRONG_NUMBER = "WRONG_NUMBER"
    PROMISE_TAKEN = "PROMISE_TAKEN"


_OUTCOME_TEXT = {
    Outcome.REACHED: "customer reached",
    Outcome.NO_ANSWER: "no answer",
    Outcome.WRONG_NUMBER: "wrong number",
    Outcome.PROMISE_TAKEN: "payment promised",
}


class NotCompletable(Conflict, code="task-not-completable"):
    """The task is not an open manual task (409)."""


def check_completable(task_type: str, status: str) -> None:
    """Raise `NotCompletable` unless a collector may complete this task now."""
    if task_type not in MANUAL_TASK_TYPES:
        raise NotCompletable(
            f"only CALL and LETTER tasks are completed by hand; this one is {task_type}"
        )
    if status not in _OPEN:
        raise NotCompletable(f"the task is {status}: its outcome is already recorded")


def outcome_note(task_type: str, outcome: Outcome, note: str | None) -> str:
    """The case note a completed manual step leaves: `CALL: no answer. Rang twice.`"""
    text = f"{task_type}: {_OUTCOME_TEXT[outcome]}."
    detail = (note or "").strip()
    return f"{text} {detail}" if detail else text
