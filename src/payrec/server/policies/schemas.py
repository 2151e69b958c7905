"""Policy wire shapes: the domain's JSON mapping (`policy_to_dict`) plus management fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from payrec.server.types import OutModel

PolicyChannel = Literal["EMAIL", "SMS", "CALL", "LETTER"]
PolicyPriority = Literal["LOW", "MEDIUM", "HIGH"]

POLICY_EXAMPLE: dict[str, Any] = {
    "name": "Gentle B2B ladder",
    "steps": [
        {"offsetDays": -3, "channel": "EMAIL", "templateId": "reminder-friendly"},
        {"offsetDays": 7, "channel": "EMAIL", "templateId": "reminder-1", "priority": "MEDIUM"},
        {"offsetDays": 21, "channel": "CALL", "templateId": "call-collector", "priority": "HIGH"},
    ],
    "sendWindow": {"start": "09:00", "end": "18:00", "weekends": False},
    "businessDaysOnly": True,
    "maxContactsPer7Days": 2,
}


class StepOut(OutModel):
    offset_days: int
    channel: PolicyChannel
    template_id: str
    priority: PolicyPriority | None = None
    attach_invoice: bool = Field(
        default=False,
        description="An EMAIL step attaches the case's latest uploaded PDF (size-capped)",
    )
    attach_letter: bool = Field(
        default=False,
        description=(
            "An EMAIL step attaches the case's latest formal letter PDF, as an earlier LETTER "
            "step made it (size-capped; none made yet: sent without)"
        ),
    )


class SendWindowOut(OutModel):
    start: str = Field(examples=["08:00"])
    end: str = Field(examples=["21:00"])
    weekends: bool


class PolicyOut(OutModel):
    """A policy as the management API shows it: `shipped` marks the built-in default."""

    id: str
    name: str
    steps: list[StepOut]
    send_window: SendWindowOut
    business_days_only: bool
    max_contacts_per_7_days: int | None = Field(alias="maxContactsPer7Days")
    promise_grace_days: int = 3
    max_contacts_per_7_days_all_channels: int | None = Field(
        default=None,
        alias="maxContactsPer7DaysAllChannels",
        description="Contacts on every channel together in any rolling 7 days; null: no such cap",
    )
    consolidate: bool = Field(
        default=True,
        description=(
            "A customer's e-mails due while one still waits to be sent go out as one "
            "statement listing every invoice (same currency)"
        ),
    )
    catch_up: Literal["FIRST_STEP", "LATEST_STEP"] = "FIRST_STEP"
    skip_holidays: bool | None = None
    late_charges: dict[str, Any] = Field(
        default_factory=lambda: {"scheme": "NONE"},
        description=(
            "Statutory late charges: scheme NONE, EU_B2B, UK_B2B, DE_B2B, DE_B2C, FIXED "
            "(flatFee, percentFee per sent step) or CUSTOM (annualRate); allocationOrder "
            "(default COSTS, INTEREST, PRINCIPAL), dayCount (ACT_365, ACT_360), compensation "
            "(overrides the scheme's fixed sum). docs/late-charges.md"
        ),
    )
    shipped: bool
    overridden: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


class PolicyList(OutModel):
    policies: list[PolicyOut]
    total: int
    next_cursor: str | None


class EffectivePolicy(OutModel):
    """The policy a case follows and where it came from (`CASE`, `CUSTOMER`, `DEFAULT`)."""

    case_id: str
    source: Literal["CASE", "CUSTOMER", "DEFAULT"]
    policy: dict[str, Any]
