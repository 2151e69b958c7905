"""Imports of customers and open invoices: the file, its progress and its row errors.

The file is kept on the row so any backend host can carry on with it; it is processed in
chunks, each in its own transaction that also advances ``rows_done`` and the counts, so a
chunk is either wholly written and counted or not at all."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from payrec.server.models.base import Base, UtcDateTime, new_id, utcnow


class ImportJob(Base):
    """``status``: QUEUED, RUNNING, COMPLETED or FAILED (the file could not be read)."""

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_status", "status", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("imp"))
    status: Mapped[str] = mapped_column(String(20), default="QUEUED")
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    filename: Mapped[str] = mapped_column(String(300))
    file_format: Mapped[str | None] = mapped_column(String(100), nullable=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    mapping: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON
    rows_total: Mapped[int] = mapped_column(Integer, default=0)
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{line, message}]
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
