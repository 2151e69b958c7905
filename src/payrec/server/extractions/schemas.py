"""Extraction wire shapes (the guide's payload)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field

from payrec.server.types import ApiModel, EntityId, ExactNumber, OutModel, UtcTimestamp


class ExtractionCreate(ApiModel):
    document_id: EntityId
    extraction_type: Literal["INVOICE", "PAYMENT", "STATEMENT"] = "INVOICE"
    extracted_data: dict[str, Any] = Field(default_factory=dict)
    confidence: Decimal = Field(ge=0, le=1, json_schema_extra={"type": "number"})
    extracted_at: UtcTimestamp | None = None
    status: Literal["COMPLETED", "FAILED"] = "COMPLETED"
    error: str | None = Field(default=None, max_length=5000)
    method: str | None = Field(default=None, max_length=20)
    field_confidence: dict[str, Decimal] | None = None


class ExtractionOut(OutModel):
    id: str
    document_id: str
    extraction_type: str
    extracted_data: dict[str, Any]
    confidence: ExactNumber
    extracted_at: datetime
    outcome: str
    outcome_detail: str | None
    recovery_case_id: str | None = None
    created_at: datetime
