"""Bank statement wire shapes."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from payrec.server.types import ApiModel, ExactNumber, OutModel


class ImportedEntry(OutModel):
    reference: str
    status: str  # MATCHED | UNMATCHED | DUPLICATE
    amount: ExactNumber
    currency: str
    recovery_case_id: str | None
    payment_id: str | None
    matched_by: str | None
    reason: str | None


class ImportSummary(OutModel):
    entries: int  # every entry of the file, debits included
    credits: int
    matched: int
    unmatched: int
    duplicates: int  # already imported (this file twice, or an overlapping statement)
    results: list[ImportedEntry]


class SuggestedCase(OutModel):
    recovery_case_id: str
    invoice_number: str | None
    customer_name: str
    outstanding: ExactNumber
    currency: str
    why: str


class UnmatchedEntry(OutModel):
    id: str
    reference: str
    amount: ExactNumber
    currency: str
    booked_on: date | None
    structured_reference: str
    remittance: str
    debtor_name: str
    debtor_iban: str
    reason: str | None
    created_at: datetime
    suggestions: list[SuggestedCase]


class UnmatchedList(OutModel):
    entries: list[UnmatchedEntry]
    total: int


class AssignRequest(ApiModel):
    recovery_case_id: str = Field(min_length=1, max_length=40)


class DismissRequest(ApiModel):
    reason: str | None = Field(default=None, max_length=500)


class EntryOut(OutModel):
    id: str
    reference: str
    status: str
    recovery_case_id: str | None
    payment_id: str | None
    reason: str | None
