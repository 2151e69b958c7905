"""Scheduled automation tasks, with leases for the workers that claim them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from payrec.server.models.base import Base, JsonType, UtcDateTime, new_id, utcnow

MANUAL_PENDING = "type IN ('CALL', 'LETTER') AND status = 'PENDING'"
"""The pending manual tasks (someone has to call or write), `ix_tasks_manual_due`'s WHERE."""


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_due", "status", "scheduled_at", "id"),  # the claim order
        Index("ix_tasks_lease", "status", "lease_expires_at"),
        Index("ix_tasks_case", "recovery_case_id"),
        Index("ix_tasks_type_due", "type", "status", "scheduled_at"),  # manual tasks due (worklist)
        # a case's manual task due, probed per case by the worklist (0019_worklist_tiers)
        Index(
            "ix_tasks_manual_due",
            "recovery_case_id",
            "scheduled_at",
            postgresql_where=text(MANUAL_PENDING),
            sqlite_where=text(MANUAL_PENDING),
        ),
        UniqueConstraint("recovery_case_id", "dedupe_key"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("task"))
    type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="PENDING")
    scheduled_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recovery_case_id: Mapped[str | None] = mapped_column(
        ForeignKey("recovery_cases.id"), nullable=True
    )
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JsonType, default=dict)
    result: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    lease_token: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    locked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
