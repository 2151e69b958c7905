"""Payment wire shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from payrec.server.cases.schemas import CaseOut
from payrec.server.types import Amount, ApiModel, Currency, ExactNumber, OutModel, UtcTimestamp


class PaymentCreate(ApiModel):
    amount: Amount
    currency: Currency
    received_at: UtcTimestamp | None = None
    reference: str | None = Field(default=None, min_length=1, max_length=200)


class PaymentOut(OutModel):
    id: str
    recovery_case_id: str
    amount: ExactNumber
    currency: str
    received_at: datetime
    reference: str | None
    created_at: datetime


class PaymentReceipt(OutModel):
    payment: PaymentOut
    case: CaseOut
    cancelled: dict[str, int]
