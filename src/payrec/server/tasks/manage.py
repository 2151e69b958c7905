"""`/api/v1/tasks`: the manual steps (CALL, LETTER) collectors work through, for ADMIN and
AGENT: listed in due order and completed with an outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.domain.manual_tasks import MANUAL_TASK_TYPES
from payrec.server.automation_deps import ManagementContext, StaffContext
from payrec.server.documents.endpoints import base_url, store_of
from payrec.server.jsonio import json_response
from payrec.server.pagination import Paging, paging
from payrec.server.routing import api_router
from payrec.server.tasks import letter_step, manual, repository, service
from payrec.server.tasks.schemas import (
    ManualTaskList,
    ManualTaskType,
    TaskCompletion,
    TaskOut,
    TaskStatusName,
)
from payrec.server.types import UtcTimestamp

router = api_router(prefix="/tasks", tags=["manual-tasks"])


@router.get("", response_model=ManualTaskList)
def list_manual_tasks(
    ctx: ManagementContext,
    page: Annotated[Paging, Depends(paging(max_limit=500))],
    type: ManualTaskType | None = None,
    status: TaskStatusName = "PENDING",
    due_before: Annotated[UtcTimestamp | None, Query(alias="dueBefore")] = None,
    recovery_case_id: Annotated[str | None, Query(alias="recoveryCaseId", max_length=40)] = None,
) -> Response:
    """CALL and LETTER tasks (or one `type`) in due order; `dueBefore` keeps those due by then."""
    with ctx.read() as session:
        rows, total = repository.page(
            session,
            task_types=[type] if type else sorted(MANUAL_TASK_TYPES),
            status=status,
            due_before=due_before,
            case_id=recovery_case_id,
            offset=page.offset,
            limit=page.limit,
        )
        body = ManualTaskList(
            tasks=[service.to_out(t) for t in rows],
            total=total,
            next_cursor=page.next_cursor(len(rows), total),
        )
    return json_response(body)


@router.post("/{task_id}/complete", response_model=TaskOut)
def complete_manual_task(task_id: str, body: TaskCompletion, ctx: StaffContext) -> Response:
    """Record what came of a call or letter: the task COMPLETED with `outcome` and `note`
    (audited, on the case's timeline) and the note added to the case; 409 when the task is
    not a CALL or LETTER task or is no longer open (completed, cancelled, failed)."""

    def action(session: Session) -> TaskOut:
        return service.to_out(manual.complete(session, task_id, body, ctx.actor))

    return ctx.write(action)


@router.post("/{task_id}/letter", response_model=TaskOut)
def prepare_manual_task_letter(task_id: str, ctx: StaffContext) -> Response:
    """The LETTER task's formal reminder letter, made now if it has none yet (after an address
    was added, say): the task with `metadata.letterDocumentId`, or `letterError`."""
    return ctx.write(
        lambda session: service.to_out(
            letter_step.prepare(session, task_id, store_of(ctx), ctx.actor, base_url=base_url(ctx))
        )
    )
