"""Reminders sent to customers and notifications for anyone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from payrec.server.models.base import Base, JsonType, UtcDateTime, new_id, utcnow


class Reminder(Base):
    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_case", "recovery_case_id", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("rem"))
    recovery_case_id: Mapped[str] = mapped_column(ForeignKey("recovery_cases.id"))
    task_id: Mapped[str | None] = mapped_column(String(40), nullable=True, unique=True)
    type: Mapped[str] = mapped_column(String(20))
    template_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    scheduled_for: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    recipient: Mapped[str | None] = mapped_column(String(320), nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonType, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="SCHEDULED")
    channel: Mapped[str | None] = mapped_column(String(20), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # what was rendered for the customer when the reminder was recorded (or last re-claimed
    # while still SCHEDULED): shown on the case page, never re-rendered (reminders.service)
    content_subject: Mapped[str | None] = mapped_column(String(500), nullable=True)
    content_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    content_language: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "status", "scheduled_for", "id"),  # the claim order
        Index("ix_notifications_lease", "status", "lease_expires_at"),
        Index("ix_notifications_case", "recovery_case_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ntf"))
    recovery_case_id: Mapped[str | None] = mapped_column(
        ForeignKey("recovery_cases.id"), nullable=True
    )
    type: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(10), default="MEDIUM")
    scheduled_for: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="PENDING")
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    external_id: Mapped[str | None] = mapped_column(String(300), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    lease_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
