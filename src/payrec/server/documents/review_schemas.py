"""Review wire shapes: the reviewer's corrected fields and decision."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import EmailStr, Field

from payrec.server.documents.schemas import DocumentOut
from payrec.server.extractions.schemas import ExtractionOut
from payrec.server.types import Amount, ApiModel, Currency, FreeText, Name, OutModel

Decision = Literal["APPROVE", "REJECT"]


class ReviewedFields(ApiModel):
    """Fields the reviewer read off the document; each replaces the extracted value."""

    invoice_number: str | None = Field(default=None, max_length=100)
    amount: Amount | None = Field(default=None, gt=0)
    currency: Currency | None = None
    issue_date: date | None = None
    due_date: date | None = None
    customer_name: Name | None = None
    customer_email: EmailStr | None = None
    issuer_name: Name | None = None


class ReviewRequest(ApiModel):
    decision: Decision
    fields: ReviewedFields = Field(default_factory=ReviewedFields)
    reason: FreeText | None = None


class ReviewOut(OutModel):
    document: DocumentOut
    decision: Decision
    extraction: ExtractionOut | None = None
    recovery_case_id: str | None = None
