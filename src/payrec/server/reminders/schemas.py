"""Reminder wire shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from payrec.server.tasks.schemas import TaskOut
from payrec.server.templates.schemas import RenderedOut
from payrec.server.types import ApiModel, EntityId, OutModel, UtcTimestamp

ReminderChannel = Literal["EMAIL", "SMS", "CALL", "LETTER"]


class ReminderCreate(ApiModel):
    recovery_case_id: EntityId
    type: ReminderChannel
    template_id: str | None = Field(default=None, max_length=100)
    scheduled_for: UtcTimestamp | None = None
    recipient: str | None = Field(default=None, max_length=320)
    metadata: dict[str, Any] = Field(default_factory=dict)
    task_id: EntityId | None = None
    render: bool = Field(
        default=False,
        description=(
            "Also render `templateId` for the case's customer (their language and formats) "
            "and answer it as `content`: what the worker sends, recorded with the reminder "
            "(saves a POST /recovery-cases/{id}/render). A customer who opted out of the "
            "channel is refused with 409 `customer-opted-out`."
        ),
    )


class TaskCompletion(ApiModel):
    """The task a sent reminder completes, with the lease its worker holds."""

    id: EntityId
    lease_token: str = Field(min_length=1, max_length=64)
    result: dict[str, Any] | None = None


class ReminderSent(ApiModel):
    sent_at: UtcTimestamp | None = None
    channel: ReminderChannel | None = None
    external_id: str | None = Field(default=None, max_length=300)
    status: Literal["SENT", "FAILED"] = "SENT"
    error: str | None = Field(default=None, max_length=5000)
    case_note: str | None = Field(
        default=None,
        max_length=10_000,
        description=(
            "With SENT: in the same transaction, append this note to the case, set its "
            "lastReminderSentAt and move it from PENDING/OVERDUE to IN_PROGRESS (saves the "
            "worker a separate PUT /recovery-cases/{id})."
        ),
    )
    complete_task: TaskCompletion | None = Field(
        default=None,
        description=(
            "With SENT: complete the reminder's task (COMPLETED with `result`) in the same "
            "transaction (saves a PUT /tasks/{id}/status). A stale lease never undoes the SENT "
            "mark: the task is then left as it is, and `task` in the answer shows its state."
        ),
    )


class ReminderContent(OutModel):
    """What was rendered for the customer, as stored on the reminder (management API)."""

    subject: str | None
    body: str
    language: str | None


class ReminderOut(OutModel):
    id: str
    recovery_case_id: str
    task_id: str | None
    type: str
    template_id: str | None
    scheduled_for: datetime | None
    recipient: str | None
    metadata: dict[str, Any]
    status: str
    channel: str | None
    sent_at: datetime | None
    external_id: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    content: RenderedOut | None = Field(
        default=None, description="The rendered message, when asked with `render: true`"
    )
    task: TaskOut | None = Field(
        default=None, description="The task after `completeTask`, when it was sent"
    )
