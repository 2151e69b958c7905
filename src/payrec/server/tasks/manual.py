"""Manual steps (CALL, LETTER): the instruction a collector works from, the list of open
ones, and their completion by ADMIN or AGENT.

A manual task's instruction is rendered from the step's template when the task is created
and kept in `metadata.instruction`: the call script in the team's language
(`PAYREC_TEAM_LANGUAGE`); for a letter, the title in the team's language and the letter in
the customer's (they read it). The collections notification carries the same text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.channels import DeliveryChannel, ManualTaskInstruction
from payrec.domain.manual_tasks import (
    DEFAULT_TEMPLATES,
    MANUAL_TASK_TYPES,
    Outcome,
    check_completable,
    outcome_note,
)
from payrec.domain.states import TaskStatus
from payrec.server.actor import Actor
from payrec.server.cases import repository as cases
from payrec.server.cases.service import add_note
from payrec.server.errors import DomainError, NotFound
from payrec.server.models import Customer, RecoveryCase, Task
from payrec.server.tasks import repository
from payrec.server.tasks.schemas import TaskCompletion
from payrec.server.tasks.service import record_status_change
from payrec.server.templates import rendering
from payrec.server.templates.schemas import RenderedOut, RenderRequest

logger = logging.getLogger("payrec.tasks.manual")


def describe_new(
    session: Session, made: Sequence[tuple[Task, bool]], *, link_template: str
) -> None:
    """Give each newly created open manual task its instruction (`metadata.instruction`)."""
    for task, created in made:
        if created and task.type in MANUAL_TASK_TYPES and task.status == "PENDING":
            shown = instruction(session, task, link_template=link_template)
            if shown is not None:
                task.meta = {**(task.meta or {}), "instruction": shown}
    session.flush()


def instruction(session: Session, task: Task, *, link_template: str) -> dict[str, str] | None:
    """The rendered instruction of a CALL or LETTER task with a case, or None without one."""
    if task.type not in MANUAL_TASK_TYPES or task.recovery_case_id is None:
        return None
    case = session.get(RecoveryCase, task.recovery_case_id)
    customer = session.get(Customer, case.customer_id) if case is not None else None
    if case is None or customer is None:
        return None
    team = rendering.team_language(session)
    named = str((task.meta or {}).get("templateId") or DEFAULT_TEMPLATES[task.type])
    names = (named, DEFAULT_TEMPLATES[task.type])
    shown = _render(session, case, customer, names, team, link_template)
    if shown is None:
        return None
    body = shown.text
    if task.type == "LETTER":  # the letter itself is for the customer, in their language
        letter = _render(session, case, customer, (shown.template_id,), None, link_template)
        body = letter.text if letter is not None else body
    title = (shown.subject or "").strip() or f"{task.type} {customer.name}"
    channel = DeliveryChannel(task.type)
    contact = shown.recipient if channel is DeliveryChannel.CALL else None
    payload = ManualTaskInstruction(title, body, channel, contact).to_payload()
    return {**payload, "language": shown.language, "templateId": shown.template_id}


def _render(
    session: Session,
    case: RecoveryCase,
    customer: Customer,
    names: Sequence[str],
    language: str | None,
    link_template: str,
) -> RenderedOut | None:
    """The first of `names` that renders (the step's template, then the shipped one)."""
    for name in dict.fromkeys(names):
        request = RenderRequest(template_id=name, language=language)
        try:
            return rendering.render_for(
                session, case, customer, request, link_template=link_template
            )
        except DomainError as exc:
            logger.warning("manual step of case %s: template %s: %s", case.id, name, exc.detail)
    return None


def complete(
    session: Session,
    task_id: str,
    data: TaskCompletion,
    actor: Actor,
    *,
    case_id: str | None = None,
) -> Task:
    """Record a manual step's outcome: the task COMPLETED with it (audited) and a note on
    its case; 409 when the task is not an open CALL or LETTER task. With `case_id` (a case
    page's form), a task of another case is not found."""
    found = session.execute(
        select(Task.id, Task.recovery_case_id).where(Task.id == task_id)
    ).first()
    if found is None or (case_id is not None and found[1] != case_id):
        raise NotFound("task", task_id)
    # Lock order: the case first, then its task (as every change to a case does).
    case = cases.get(session, found[1], for_update=True) if found[1] else None
    task = repository.get(session, task_id, for_update=True)
    if task is None:
        raise NotFound("task", task_id)
    check_completable(task.type, task.status)
    outcome = Outcome(data.outcome)
    before = task.status
    task.status = TaskStatus.COMPLETED.value
    task.completed_at = datetime.now(UTC)
    task.lease_token = None
    task.lease_expires_at = None
    task.result = {"outcome": outcome.value, "note": data.note, "completedBy": actor.name}
    record_status_change(
        session, actor, task.id, task.recovery_case_id, before, task.status, task.result, None
    )
    if case is not None:
        add_note(session, case, outcome_note(task.type, outcome, data.note), actor)
    session.flush()
    return task
