"""Notification wire shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from payrec.server.types import ApiModel, EntityId, OutModel, UtcTimestamp

NotificationType = Literal["EMAIL", "SMS", "CALL", "LETTER", "INTERNAL"]
NotificationStatusName = Literal["PENDING", "IN_PROGRESS", "SENT", "FAILED", "CANCELLED"]


class NotificationCreate(ApiModel):
    recovery_case_id: EntityId | None = None
    type: NotificationType
    recipient: str = Field(min_length=1, max_length=320)
    subject: str | None = Field(default=None, max_length=500)
    body: str = Field(min_length=1, max_length=100_000)
    priority: Literal["HIGH", "MEDIUM", "LOW"] = "MEDIUM"
    scheduled_for: UtcTimestamp | None = None


class NotificationStatusUpdate(ApiModel):
    status: NotificationStatusName
    sent_at: UtcTimestamp | None = None
    external_id: str | None = Field(default=None, max_length=300)
    error: str | None = Field(default=None, max_length=5000)
    lease_token: str | None = Field(default=None, max_length=64)
    retry_at: UtcTimestamp | None = None


class NotificationClaim(ApiModel):
    worker_id: str = Field(min_length=1, max_length=200)
    types: list[NotificationType] | None = None
    limit: int = Field(default=10, ge=1, le=100)
    lease_seconds: int = Field(default=60, ge=5, le=3600)


class NotificationOut(OutModel):
    id: str
    recovery_case_id: str | None
    type: str
    recipient: str
    subject: str | None
    body: str
    priority: str
    scheduled_for: datetime
    status: str
    sent_at: datetime | None
    external_id: str | None
    error: str | None
    attempts: int
    lease_token: str | None = None
    lease_expires_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class ClaimedNotifications(OutModel):
    notifications: list[NotificationOut]
