"""Customer credit wire shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from payrec.server.payments.schemas import PaymentReceipt
from payrec.server.types import ApiModel, ExactNumber, OutModel


class CreditOut(OutModel):
    id: str
    customer_id: str
    payment_id: str | None
    recovery_case_id: str | None  # the case that was overpaid
    currency: str
    amount: ExactNumber
    remaining: ExactNumber
    status: str  # AVAILABLE | USED | REFUNDED | REVERSED
    reason: str | None
    created_at: datetime
    updated_at: datetime


class CreditList(OutModel):
    credits: list[CreditOut]
    total: int
    available: dict[str, ExactNumber]  # per currency


class CreditApply(ApiModel):
    recovery_case_id: str = Field(min_length=1, max_length=40)


class CreditRefund(ApiModel):
    reason: str = Field(min_length=1, max_length=500)


class CreditApplied(OutModel):
    credit: CreditOut
    receipt: PaymentReceipt
