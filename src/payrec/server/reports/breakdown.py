"""Outstanding money broken down by the policy step each case has reached.

A case's step is the last step of its policy whose task was carried out (COMPLETED) by asOf;
a case no step has reached yet is counted under `stepIndex: null`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, order=True)
class StepRef:
    policy_id: str
    index: int
    channel: str
    offset_days: int


def step_of(meta: Mapping[str, Any] | None) -> StepRef | None:
    """The step a scheduler task was planned for (its metadata), or None when it is not one."""
    meta = meta or {}
    index, policy_id = meta.get("stepIndex"), meta.get("policyId")
    if not isinstance(index, int) or isinstance(index, bool) or not isinstance(policy_id, str):
        return None
    offset = meta.get("offsetDays")
    return StepRef(
        policy_id=policy_id,
        index=index,
        channel=str(meta.get("reminderType") or ""),
        offset_days=offset if isinstance(offset, int) and not isinstance(offset, bool) else 0,
    )


def latest_steps(tasks: Iterable[tuple[str, Mapping[str, Any] | None]]) -> dict[str, StepRef]:
    """Per case, the furthest step among its carried-out tasks (case id, task metadata)."""
    reached: dict[str, StepRef] = {}
    for case_id, meta in tasks:
        step = step_of(meta)
        if step is None:
            continue
        current = reached.get(case_id)
        if current is None or (step.policy_id, step.index) > (current.policy_id, current.index):
            reached[case_id] = step
    return reached


@dataclass
class StepTally:
    count: int = 0
    amount: Decimal = Decimal(0)


def tally_key(step: StepRef | None) -> tuple[str, int, str, int]:
    """Sort order: cases no step has reached first, then by policy and step."""
    if step is None:
        return ("", -1, "", 0)
    return (step.policy_id, step.index, step.channel, step.offset_days)
