"""Customer wire shapes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from pydantic import EmailStr, Field, field_validator

from payrec.server.types import ApiModel, EntityId, ExactNumber, Name, OutModel


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("must be an IANA time zone such as Europe/Berlin") from exc
    return value


def _check_locale(value: str) -> str:
    try:
        Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError("must be a locale such as en_US or de_DE") from exc
    return value.replace("-", "_")


Phone = Field(
    default=None,
    pattern=r"^\+?[0-9 ()\-./]{3,40}$",
    examples=["+49 30 1234567", "030 1234567"],
    description="stored as E.164; a national number is read in the customer's country "
    "(locale territory, else time zone)",
)


class CustomerCreate(ApiModel):
    name: Name
    email: EmailStr | None = None
    phone: str | None = Phone
    timezone: str = "UTC"
    locale: str = "en_US"
    policy_id: EntityId | None = None
    opt_out_email: bool = False
    opt_out_sms: bool = False
    is_business: bool = False
    postal_address: str | None = Field(default=None, min_length=1, max_length=1000)
    late_charges: dict[str, Any] | None = Field(
        default=None, description="overrides the policy's lateCharges for this customer"
    )

    _tz = field_validator("timezone")(_check_timezone)
    _locale = field_validator("locale")(_check_locale)


class CustomerPatch(ApiModel):
    name: Name | None = None
    email: EmailStr | None = None
    phone: str | None = Phone
    timezone: str | None = None
    locale: str | None = None
    policy_id: EntityId | None = None
    opt_out_email: bool | None = None
    opt_out_sms: bool | None = None
    is_business: bool | None = None
    postal_address: str | None = Field(default=None, max_length=1000)
    late_charges: dict[str, Any] | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str | None) -> str | None:
        return None if value is None else _check_locale(value)


class CustomerSummary(OutModel):
    """The customer as embedded in a case (the guide's shape)."""

    id: str
    name: str
    email: str | None
    phone: str | None
    timezone: str
    locale: str
    opt_out_email: bool
    opt_out_sms: bool
    policy_id: str | None = None


class CustomerOut(CustomerSummary):
    is_business: bool = False
    postal_address: str | None = None
    late_charges: dict[str, Any] | None = None
    created_at: datetime
    updated_at: datetime
    address: str | None = None  # postal address, as printed on an invoice it was read from
    vat_id: str | None = None


class CustomerList(OutModel):
    customers: list[CustomerOut]
    total: int
    next_cursor: str | None


class StatementCase(OutModel):
    id: str
    invoice_number: str | None
    amount: ExactNumber
    amount_paid: ExactNumber
    amount_outstanding: ExactNumber
    currency: str
    due_date: date
    status: str
    priority: str
    created_at: datetime
    charges_outstanding: ExactNumber = Decimal(0)
    total_due: ExactNumber = Decimal(0)


class StatementTotal(OutModel):
    """`amountOutstanding` is the principal the open cases still owe (after the late-charge
    allocation where a scheme applies), `chargesOutstanding` their late charges, `totalDue`
    both; `amountOverdue` the part of the principal past due; closed cases (RESOLVED,
    WRITTEN_OFF) owe nothing."""

    currency: str
    cases: int
    open_cases: int
    amount: ExactNumber
    amount_paid: ExactNumber
    amount_outstanding: ExactNumber
    amount_overdue: ExactNumber
    charges_outstanding: ExactNumber = Decimal(0)
    total_due: ExactNumber = Decimal(0)


class CustomerStatement(OutModel):
    """Every case of the customer (newest due date first) and what is owed per currency."""

    customer: CustomerOut
    as_of: date
    totals: list[StatementTotal]
    cases: list[StatementCase]
