"""Reminder wire shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

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
