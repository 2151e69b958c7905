"""Late-charge wire shapes: a case's charge lines, waivers, reference rates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from payrec.server.types import ApiModel, ExactNumber, OutModel, SaneDate

ChargeKind = Literal["INTEREST", "COMPENSATION", "FEE"]
ReferenceName = Literal["ECB_MRO", "BOE_BASE", "DE_BASIS"]


class ChargeLineOut(OutModel):
    kind: ChargeKind
    amount: ExactNumber
    currency: str
    rate: ExactNumber | None = Field(default=None, description="percent per year (INTEREST)")
    from_date: date | None = None
    to_date: date | None = None
    base: ExactNumber | None = Field(default=None, description="principal the line is on")
    days: int | None = None
    reference_rate: ExactNumber | None = None
    margin: ExactNumber | None = None
    waived: bool = False
    paid: ExactNumber
    outstanding: ExactNumber


class CaseChargesOut(OutModel):
    case_id: str
    scheme: str
    applicable: bool
    note: str | None = None
    currency: str
    principal: ExactNumber
    principal_outstanding: ExactNumber
    charges: list[ChargeLineOut]
    interest: ExactNumber
    compensation: ExactNumber
    fees: ExactNumber
    charges_billed: ExactNumber
    charges_collected: ExactNumber
    charges_waived: ExactNumber
    charges_outstanding: ExactNumber
    total_due: ExactNumber
    current_rate: ExactNumber | None = None
    error: str | None = None
    error_code: str | None = None


class WaiverCreate(ApiModel):
    kind: ChargeKind
    reason: str = Field(min_length=1, max_length=1000)


class WaiverOut(OutModel):
    id: str
    case_id: str
    kind: str
    waived_on: date
    reason: str
    actor: str | None
    created_at: datetime


class RateCreate(ApiModel):
    reference: ReferenceName
    valid_from: SaneDate = Field(description="1 January or 1 July: the half-year it covers")
    rate: Decimal = Field(description="percent per year, e.g. 2.15")
    source: str = Field(min_length=1, max_length=1000, description="where the rate was read")


class RateOut(OutModel):
    reference: str
    valid_from: date
    rate: ExactNumber
    source: str
    shipped: bool


class RateList(OutModel):
    rates: list[RateOut]


class ChargesFigure(OutModel):
    currency: str
    cases: int = Field(description="cases with late charges billed")
    billed: ExactNumber = Field(description="charges billed to date (interest, compensation, fees)")
    collected: ExactNumber = Field(description="charges paid, per the allocation order")
    waived: ExactNumber
    outstanding: ExactNumber
    interest: ExactNumber
    compensation: ExactNumber
    fees: ExactNumber


class ChargesReport(OutModel):
    as_of: date
    currencies: list[ChargesFigure]
    errors: int = Field(description="cases whose charges cannot be computed (a missing rate)")
