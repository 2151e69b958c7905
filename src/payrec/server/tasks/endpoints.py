"""`/api/v1/automation/tasks`: the guide's scheduling API plus claims and heartbeats."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Query
from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.server.automation_deps import AutomationContext
from payrec.server.documents.endpoints import base_url, store_of
from payrec.server.jsonio import json_response
from payrec.server.routing import api_router
from payrec.server.tasks import claiming, letter_step, manual, repository, service
from payrec.server.tasks.claim_schemas import ClaimedTasks
from payrec.server.tasks.schemas import (
    HeartbeatsOut,
    TaskBatch,
    TaskBatchOut,
    TaskClaim,
    TaskCreate,
    TaskHeartbeat,
    TaskHeartbeats,
    TaskOut,
    TaskPage,
    TaskStatusName,
    TaskStatusUpdate,
)
from payrec.server.types import UtcTimestamp

router = api_router(prefix="/tasks", tags=["tasks"])


@router.get("/scheduled", response_model=TaskPage)
def get_scheduled_tasks(
    ctx: AutomationContext,
    status: TaskStatusName = "PENDING",
    due_before: Annotated[UtcTimestamp | None, Query(alias="dueBefore")] = None,
    type: Annotated[str | None, Query(max_length=40)] = None,
    recovery_case_id: Annotated[str | None, Query(alias="recoveryCaseId", max_length=40)] = None,
    page: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    size: Annotated[int, Query(ge=1, le=500)] = 20,
) -> Response:
    cutoff = due_before or datetime.now(UTC)
    with ctx.read() as session:
        rows, total = repository.page(
            session,
            status=status,
            task_types=[type] if type else None,
            due_before=cutoff,
            case_id=recovery_case_id,
            offset=page * size,
            limit=size,
        )
        body = TaskPage(tasks=[service.to_out(t) for t in rows], total=total, page=page, size=size)
    return json_response(body)


@router.post(
    "",
    status_code=201,
    response_model=TaskOut,
    responses={200: {"model": TaskOut, "description": "The task already made for `dedupeKey`"}},
)
def create_task(body: TaskCreate, ctx: AutomationContext) -> Response:
    def action(session: Session) -> Response:
        task, created = service.create(
            session, body, ctx.actor, default_max_attempts=ctx.state.settings.default_max_attempts
        )
        link = ctx.state.settings.payment_link_template
        manual.describe_new(session, [(task, created)], link_template=link)
        return json_response(service.to_out(task), 201 if created else 200)

    return ctx.write(action)


@router.post("/batch", response_model=TaskBatchOut)
def create_tasks(body: TaskBatch, ctx: AutomationContext) -> Response:
    """Create several tasks as `POST /tasks` would, all or none: a scheduler's pass in one call."""

    def action(session: Session) -> dict[str, Any]:
        made = service.create_many(
            session,
            body.tasks,
            ctx.actor,
            default_max_attempts=ctx.state.settings.default_max_attempts,
        )
        link = ctx.state.settings.payment_link_template
        manual.describe_new(session, made, link_template=link)
        return {
            "tasks": [service.to_out(task) for task, _ in made],
            "created": [created for _, created in made],
        }

    return ctx.write(action)


@router.post("/claim", response_model=ClaimedTasks)
def claim_tasks(body: TaskClaim, ctx: AutomationContext) -> Response:
    def action(session: Session) -> dict[str, Any]:
        link = ctx.state.settings.payment_link_template
        return {"tasks": claiming.claim(session, body, ctx.actor, link_template=link)}

    return ctx.write(action)


@router.post("/{task_id}/letter", response_model=TaskOut)
def prepare_letter(task_id: str, ctx: AutomationContext) -> Response:
    """Make the formal reminder letter of an open LETTER task (once) and answer the task:
    `metadata.letterDocumentId` and `letterDownloadUrl`, or `letterError` saying why there is
    none; 409 for any other task."""
    return ctx.write(
        lambda session: service.to_out(
            letter_step.prepare(session, task_id, store_of(ctx), ctx.actor, base_url=base_url(ctx))
        )
    )


@router.get("/{task_id}", response_model=TaskOut)
def get_task(task_id: str, ctx: AutomationContext) -> Response:
    with ctx.read() as session:
        return json_response(service.to_out(service.get(session, task_id)))


@router.put("/{task_id}/status", response_model=TaskOut)
def update_task_status(task_id: str, body: TaskStatusUpdate, ctx: AutomationContext) -> Response:
    return ctx.write(
        lambda session: service.to_out(service.update_status(session, task_id, body, ctx.actor))
    )


@router.post("/heartbeat", response_model=HeartbeatsOut)
def heartbeat_tasks(body: TaskHeartbeats, ctx: AutomationContext) -> Response:
    """Extend several leases in one transaction: a worker's heartbeat round is one request,
    however many tasks it holds. A lease that is gone is answered under `lost`, not as an
    error: the others are still renewed."""
    return ctx.write(
        lambda session: service.heartbeat_many(session, body.leases, body.lease_seconds)
    )


@router.post("/{task_id}/heartbeat", response_model=TaskOut)
def heartbeat(task_id: str, body: TaskHeartbeat, ctx: AutomationContext) -> Response:
    return ctx.write(
        lambda session: service.to_out(
            service.heartbeat(session, task_id, body.lease_token, body.lease_seconds),
            with_lease=True,
        )
    )
