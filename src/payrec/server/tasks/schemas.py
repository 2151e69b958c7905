"""Task wire shapes (the guide's `tasks` JSON plus leases)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from payrec.server.types import ApiModel, EntityId, OutModel, UtcTimestamp

TaskType = Field(pattern=r"^[A-Z][A-Z0-9_]{1,39}$", examples=["REMINDER"])
TaskStatusName = Literal["PENDING", "IN_PROGRESS", "COMPLETED", "FAILED", "CANCELLED"]


class TaskCreate(ApiModel):
    type: str = TaskType
    scheduled_at: UtcTimestamp
    recovery_case_id: EntityId | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    max_attempts: int | None = Field(default=None, ge=1, le=100)
    dedupe_key: str | None = Field(default=None, min_length=1, max_length=200)
    status: Literal["PENDING", "CANCELLED"] = Field(
        default="PENDING",
        description="CANCELLED records a step that was decided against (superseded, opted out)",
    )
    result: dict[str, Any] | None = None


class TaskBatch(ApiModel):
    """Several `POST /tasks` bodies in one request and one transaction (a scheduler pass)."""

    tasks: list[TaskCreate] = Field(min_length=1, max_length=500)


class TaskStatusUpdate(ApiModel):
    status: TaskStatusName
    result: dict[str, Any] | None = None
    lease_token: str | None = Field(default=None, max_length=64)
    retry_at: UtcTimestamp | None = None
    error: str | None = Field(default=None, max_length=5000)


class TaskClaim(ApiModel):
    worker_id: str = Field(min_length=1, max_length=200)
    types: list[str] | None = Field(default=None, max_length=20)
    limit: int = Field(default=10, ge=1, le=100)
    lease_seconds: int = Field(default=60, ge=5, le=3600)
    include: list[Literal["recoveryCase", "reminder"]] = Field(
        default_factory=list,
        max_length=2,
        description=(
            'With `"recoveryCase"` each claimed task that has a case carries it as '
            "`recoveryCase` (the `GET /recovery-cases/{id}` answer, read in the claim's "
            'transaction). With `"reminder"` each claimed `REMINDER` task carries its '
            "reminder as `reminder`: the one an earlier attempt recorded, else one recorded "
            "now exactly as `POST /reminders` with the task's id and `render: true` would "
            "(channel `metadata.reminderType`, default EMAIL; template `metadata.templateId`, "
            "default `reminder-1`; the customer's address for that channel), with its "
            "rendered `content` while it is SCHEDULED. A task whose reminder that call would "
            "refuse carries none. Each saves the worker a request per task."
        ),
    )


class TaskHeartbeat(ApiModel):
    lease_token: str = Field(min_length=1, max_length=64)
    lease_seconds: int | None = Field(default=None, ge=5, le=3600)


class HeldLease(ApiModel):
    id: EntityId
    lease_token: str = Field(min_length=1, max_length=64)


class TaskHeartbeats(ApiModel):
    """Several leases of one worker renewed in one request (`POST /tasks/heartbeat`)."""

    leases: list[HeldLease] = Field(min_length=1, max_length=500)
    lease_seconds: int | None = Field(default=None, ge=5, le=3600)


class TaskOut(OutModel):
    id: str
    type: str
    scheduled_at: datetime
    recovery_case_id: str | None
    status: str
    metadata: dict[str, Any]
    result: dict[str, Any] | None = None
    attempts: int
    max_attempts: int
    locked_by: str | None = None
    lease_expires_at: datetime | None = None
    lease_token: str | None = None
    last_error: str | None = None
    dedupe_key: str | None = None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None


class TaskPage(OutModel):
    tasks: list[TaskOut]
    total: int
    page: int
    size: int


class TaskBatchOut(OutModel):
    tasks: list[TaskOut]
    created: list[bool] = Field(
        description="Per task, in order: false when its dedupeKey already had a task (returned)"
    )


class RenewedLease(OutModel):
    id: str
    lease_expires_at: datetime


class LostLease(OutModel):
    id: str
    reason: Literal["not-found", "stale-lease"] = Field(
        description="`stale-lease`: the task is no longer IN_PROGRESS under this token"
    )


class HeartbeatsOut(OutModel):
    renewed: list[RenewedLease] = Field(description="Leases extended, in request order")
    lost: list[LostLease] = Field(description="Leases this worker no longer holds: stop work")


ManualTaskType = Literal["CALL", "LETTER"]


class ManualTaskList(OutModel):
    """A page of manual tasks (`limit` + `nextCursor`, like the other management lists)."""

    tasks: list[TaskOut] = Field(
        description=(
            "Each task's `metadata.instruction` is what the collector works from: `title`, "
            "`body` (the call script or the letter), `channel`, `contact` (the phone number, "
            "when one is on file) and `language`"
        )
    )
    total: int
    next_cursor: str | None = None


class TaskCompletion(ApiModel):
    """What came of a manual step, recorded on the task and as a note on its case."""

    outcome: Literal["REACHED", "NO_ANSWER", "WRONG_NUMBER", "PROMISE_TAKEN"]
    note: str | None = Field(default=None, max_length=5000)
