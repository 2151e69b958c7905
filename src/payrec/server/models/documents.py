"""Uploaded documents and the extractions made from them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from payrec.server.models.base import Base, JsonType, UtcDateTime, new_id, utcnow


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_status", "status", "uploaded_at"),
        Index("ix_documents_case", "recovery_case_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("doc"))
    type: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(300))
    mime_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    recovery_case_id: Mapped[str | None] = mapped_column(
        ForeignKey("recovery_cases.id"), nullable=True
    )
    status: Mapped[str] = mapped_column(String(20), default="PENDING_EXTRACTION")
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Extraction(Base):
    __tablename__ = "extractions"
    __table_args__ = (Index("ix_extractions_document", "document_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True, default=lambda: new_id("ext"))
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"))
    extraction_type: Mapped[str] = mapped_column(String(20))
    extracted_data: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    confidence: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    extracted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(20))
    outcome_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
