"""Wire shapes of what collectors do to a case: promises, disputes, pause and resume."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from payrec.server.cases.schemas import CaseOut
from payrec.server.types import Amount, ApiModel, ExactNumber, OutModel, SaneDate

DisputeReasonName = Literal["WRONG_AMOUNT", "NOT_RECEIVED", "ALREADY_PAID", "QUALITY", "OTHER"]
DisputeOutcomeName = Literal["RESUME", "WRITE_OFF", "CREDIT"]


class PromiseCreate(ApiModel):
    """A promise to pay `amount` (everything owed when left out) by `promisedDate`."""

    promised_date: SaneDate
    amount: Amount | None = None
    note: str | None = Field(default=None, max_length=10_000)


class PromiseOut(OutModel):
    id: str
    recovery_case_id: str
    promised_date: date
    amount: ExactNumber | None
    target: ExactNumber
    currency: str
    grace_days: int
    deadline: date
    breaks_at: datetime
    status: str
    note: str | None
    created_by: str | None
    created_at: datetime
    settled_at: datetime | None


class PromiseReceipt(OutModel):
    promise: PromiseOut
    case: CaseOut


class DisputeCreate(ApiModel):
    reason: DisputeReasonName
    text: str | None = Field(default=None, max_length=10_000)


class DisputeResolve(ApiModel):
    """RESUME, WRITE_OFF (the note is the reason) or CREDIT (`amount` off the case)."""

    outcome: DisputeOutcomeName
    amount: Amount | None = None
    note: str = Field(min_length=1, max_length=10_000)


class DisputeOut(OutModel):
    id: str
    recovery_case_id: str
    reason: str
    text: str | None
    status: str
    status_before: str
    outcome: str | None
    amount: ExactNumber | None
    resolution_note: str | None
    opened_by: str | None
    resolved_by: str | None
    created_at: datetime
    resolved_at: datetime | None


class DisputeReceipt(OutModel):
    dispute: DisputeOut
    case: CaseOut


class PauseRequest(ApiModel):
    """Pause until the start of `until` in the customer's zone (then contact resumes)."""

    until: SaneDate
    reason: str = Field(min_length=1, max_length=1000)


class ResumeRequest(ApiModel):
    reason: str | None = Field(default=None, max_length=1000)


class AssignRequest(ApiModel):
    """`userId` of the collector to work the case; null assigns it to nobody."""

    user_id: str | None = Field(default=None, max_length=40)
