"""Payment wire shapes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from payrec.server.cases.schemas import CaseOut
from payrec.server.types import Amount, ApiModel, Currency, ExactNumber, OutModel, UtcTimestamp


class PaymentCreate(ApiModel):
    amount: Amount
    currency: Currency
    received_at: UtcTimestamp | None = None
    reference: str | None = Field(default=None, min_length=1, max_length=200)
    # true: an amount above the outstanding one settles the case and the rest becomes the
    # customer's credit; false (default): it is refused (a typing slip, not money received)
    surplus_as_credit: bool = False


class PaymentReversal(ApiModel):
    reason: str = Field(min_length=1, max_length=500)


class PaymentOut(OutModel):
    id: str
    recovery_case_id: str
    amount: ExactNumber
    currency: str
    received_at: datetime
    reference: str | None
    created_at: datetime
    surplus: ExactNumber = Decimal(0)  # kept as the customer's credit
    reversed_at: datetime | None = None
    reversal_reason: str | None = None


class PaymentReceipt(OutModel):
    payment: PaymentOut
    case: CaseOut
    cancelled: dict[str, int]
    credit_id: str | None = None  # the customer credit holding the surplus
