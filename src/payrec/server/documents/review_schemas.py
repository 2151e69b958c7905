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
    customer_phone: str | None = Field(default=None, pattern=r"^\+?[0-9 ()\-./]{3,40}$")
    customer_address: str | None = Field(default=None, max_length=500)
    customer_vat_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9 .\-]{4,40}$")
    customer_language: str | None = Field(default=None, pattern=r"^[a-z]{2}$")
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
