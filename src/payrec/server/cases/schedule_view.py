"""What the scheduler needs to know about open cases, fetched in bulk with the case list."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.jsonio import format_timestamp
from payrec.server.models import RecoveryCase, Task

CONTACT_WINDOW = timedelta(days=7)


def schedule_info(session: Session, cases: Sequence[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Per case: the step keys it already has, its open tasks, and its customer's contacts.

    `stepPlans` maps each step key to the instant its task was planned for (`plannedAt`),
    or None for a step recorded as superseded: the scheduler spaces later steps from it.

    `cases` holds (case id, customer id) pairs. Contacts are the customer's reminder tasks
    (sent, running or planned) from seven days ago on, per channel, across all of the
    customer's cases: the frequency cap is per customer.
    """
    if not cases:
        return {}
    case_ids = [case_id for case_id, _ in cases]
    customer_of = dict(cases)
    since = datetime.now(UTC) - CONTACT_WINDOW
    info: dict[str, dict[str, Any]] = {
        cid: {"stepKeys": [], "stepPlans": {}, "openTasks": [], "contacts": {}}
        for cid in case_ids
    }
    for task in session.scalars(select(Task).where(Task.recovery_case_id.in_(case_ids))).all():
        entry = info[str(task.recovery_case_id)]
        if task.dedupe_key:
            entry["stepKeys"].append(task.dedupe_key)
            entry["stepPlans"][task.dedupe_key] = _planned_at(task)
        if task.status in ("PENDING", "IN_PROGRESS"):
            entry["openTasks"].append(
                {
                    "id": task.id,
                    "type": task.type,
                    "status": task.status,
                    "channel": (task.meta or {}).get("reminderType"),
                    "scheduledAt": format_timestamp(task.scheduled_at),
                }
            )
    customer_ids = set(customer_of.values())
    contacts: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    rows = session.execute(
        select(Task.scheduled_at, Task.meta, RecoveryCase.customer_id)
        .join(RecoveryCase, RecoveryCase.id == Task.recovery_case_id)
        .where(
            RecoveryCase.customer_id.in_(customer_ids),
            Task.type == "REMINDER",
            Task.status.in_(["PENDING", "IN_PROGRESS", "COMPLETED"]),
            Task.scheduled_at >= since,
        )
    ).all()
    for scheduled_at, meta, customer_id in rows:
        channel = (meta or {}).get("reminderType")
        if channel:
            contacts[customer_id][channel].append(format_timestamp(scheduled_at))
    for cid in case_ids:
        info[cid]["contacts"] = {k: sorted(v) for k, v in contacts[customer_of[cid]].items()}
    return info


def _planned_at(task: Task) -> str | None:
    """When a step task was planned for (before any retry moved it); None when superseded."""
    skipped = str((task.result or {}).get("skipped") or "")
    if task.status == "CANCELLED" and skipped.startswith("superseded"):
        return None
    planned = (task.meta or {}).get("plannedAt")
    return str(planned) if planned else format_timestamp(task.scheduled_at)
