"""Lease rules shared by tasks and notifications: fencing (only the holder of a lease may
report on its work) and release (a lease handed back or lost counts an attempt; past the
maximum the work fails).

Tokens are compared in constant time.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from payrec.domain.errors import Conflict

__all__ = [
    "LeaseRequired",
    "Released",
    "StaleLease",
    "check_fence",
    "fence_holds",
    "holds",
    "release",
]

IN_PROGRESS = "IN_PROGRESS"


class LeaseRequired(Conflict, code="lease-required"):
    """A leased task or reminder changed without its lease token (409)."""

    def __init__(self, what: str = "task") -> None:
        super().__init__(f"this {what} is leased: send the leaseToken you got when claiming it")


class StaleLease(Conflict, code="stale-lease"):
    """A lease token that is no longer the current one: the lease was lost (409)."""

    def __init__(self, detail: str = "stale lease token: the lease was lost") -> None:
        super().__init__(detail)


def holds(presented: str | None, current: str | None) -> bool:
    """Whether `presented` is the current lease token (both present, equal)."""
    return (
        presented is not None and current is not None and secrets.compare_digest(presented, current)
    )


def check_fence(status: str, current: str | None, presented: str | None, target: str) -> None:
    """Refuse a report moving work in `status` (leased under `current`) to `target` when it
    carries `presented`: a leased item takes reports only from its holder, and a report that
    carries a lease for an item no longer in progress comes from a lease that expired (a
    repeat of the status it already has is let through)."""
    if status == IN_PROGRESS and current is not None:
        if presented is None:
            raise LeaseRequired()
        if not secrets.compare_digest(presented, current):
            raise StaleLease()
    elif presented is not None and status != target and not holds(presented, current):
        raise StaleLease()


def fence_holds(status: str, current: str | None, presented: str | None, target: str) -> bool:
    """Would `check_fence` let the report through?"""
    try:
        check_fence(status, current, presented, target)
    except Conflict:
        return False
    return True


@dataclass(frozen=True, slots=True)
class Released:
    """Work handed back to the queue: its attempts so far and whether it gave up."""

    attempts: int
    gave_up: bool


def release(attempts: int, max_attempts: int, *, counts_as_attempt: bool) -> Released:
    """A lease ends without the work done (handed back, or expired): one attempt more when it
    counts, and FAILED (gave up) once the attempts reach the maximum."""
    attempts = attempts + 1 if counts_as_attempt else attempts
    return Released(attempts=attempts, gave_up=attempts >= max_attempts)
