"""One row of an import file as a customer and an invoice, validated: every reason a row
is refused is a sentence naming the column, shown with the row's line number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email

from payrec.domain.errors import Invalid
from payrec.domain.imports.values import BadValue, FileLocale, parse_amount, parse_date
from payrec.domain.money import InvalidMoney, check_amount, is_valid_currency
from payrec.domain.phones import to_e164

__all__ = ["CustomerRow", "InvoiceRow", "read_record"]

_LANGUAGES = {"en", "de", "fr", "es", "it", "nl", "pt", "pl"}


@dataclass(frozen=True)
class CustomerRow:
    key: str  # external id, else the name folded
    external_id: str | None
    name: str
    email: str | None
    phone: str | None
    locale: str
    timezone: str


@dataclass(frozen=True)
class InvoiceRow:
    line: int
    customer: CustomerRow
    invoice_number: str
    external_id: str | None
    issue_date: date | None
    due_date: date
    amount: Decimal
    currency: str
    amount_paid: Decimal
    policy_id: str | None


@cache
def _country_zones() -> dict[str, str]:
    """ISO country → its first IANA zone in zone.tab (the main one: `DE` → Europe/Berlin)."""
    table = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    zones: dict[str, str] = {}
    for line in table.splitlines():
        fields = line.split("\t")
        if not line.startswith("#") and len(fields) >= 3:
            zones.setdefault(fields[0], fields[2])
    return zones


def _cell(cells: list[object], columns: dict[str, int], name: str) -> object:
    index = columns.get(name)
    if index is None or index >= len(cells):
        return ""
    value = cells[index]
    return value.strip() if isinstance(value, str) else value


def _text(cells: list[object], columns: dict[str, int], name: str, limit: int) -> str | None:
    return _text_of(_cell(cells, columns, name), name, limit)


def _text_of(value: object, name: str, limit: int) -> str | None:
    if value == "" or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if len(text) > limit:
        raise BadValue(f"{name} is longer than {limit} characters")
    return text or None


@lru_cache(maxsize=8192)  # a customer's address repeats on each of its invoices
def _email(raw: str) -> str:
    """The address as email-validator normalises it (a non-ASCII domain kept as Unicode,
    deliverable through SMTPUTF8 or its IDNA form, as the API stores it)."""
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise BadValue(f"email {raw!r}: {exc}") from exc


@lru_cache(maxsize=8192)
def _phone(raw: str, country: str | None) -> str:
    try:
        return to_e164(raw, country)
    except Invalid as exc:
        raise BadValue(f"phone {raw!r}: {exc.detail}") from exc


_CUSTOMER_COLUMNS = (
    "customer_external_id",
    "customer_name",
    "country",
    "language",
    "timezone",
    "email",
    "phone",
)


def _customer(cells: list[object], columns: dict[str, int]) -> CustomerRow:
    """The row's customer; read once per distinct set of customer cells (a customer's
    cells repeat on each of its invoices)."""
    return _customer_of(tuple(_cell(cells, columns, name) for name in _CUSTOMER_COLUMNS))


@lru_cache(maxsize=16384)
def _customer_of(values: tuple[object, ...]) -> CustomerRow:
    external_cell, name_cell, country_cell, language_cell, zone_cell, email_cell, phone_cell = (
        values
    )
    external_id = _text_of(external_cell, "customer_external_id", 100)
    name = _text_of(name_cell, "customer_name", 300)
    if not name:
        raise BadValue("customer_name is empty")
    country = (_text_of(country_cell, "country", 2) or "").upper() or None
    if country and (not country.isalpha() or country not in _country_zones()):
        raise BadValue(f"country {country!r} is not an ISO 3166 code")
    language = (_text_of(language_cell, "language", 20) or "en").replace("-", "_")
    base = language.split("_")[0].lower()
    if base not in _LANGUAGES:
        raise BadValue(f"language {language!r} is not one of {', '.join(sorted(_LANGUAGES))}")
    territory = country or (language.split("_")[1].upper() if "_" in language else None)
    locale = f"{base}_{territory}" if territory else base
    timezone = _text_of(zone_cell, "timezone", 64)
    if timezone is None:
        timezone = _country_zones().get(territory or "", "UTC")
    elif timezone not in _zones() and timezone != "UTC":
        raise BadValue(f"time zone {timezone!r} is not an IANA zone")
    email = _text_of(email_cell, "email", 320)
    if email:
        email = _email(email)
    phone = _text_of(phone_cell, "phone", 40)
    if phone:
        phone = _phone(phone, territory)
    key = external_id or " ".join(name.lower().split())
    return CustomerRow(key, external_id, name, email, phone, locale, timezone)


@cache
def _zones() -> frozenset[str]:
    """The IANA zones (`available_timezones` walks the zone files on every call)."""
    return frozenset(available_timezones())


def read_record(
    line: int, cells: list[object], columns: dict[str, int], locale: FileLocale
) -> InvoiceRow:
    """The row's customer and invoice, or `BadValue` with the reason."""
    customer = _customer(cells, columns)
    number = _text(cells, columns, "invoice_number", 100)
    if not number:
        raise BadValue("invoice_number is empty")
    currency = (_text(cells, columns, "currency", 3) or "").upper()
    if not is_valid_currency(currency):
        raise BadValue(f"currency {currency!r} is not an ISO 4217 code")
    raw_amount = _cell(cells, columns, "amount")
    if raw_amount in ("", None):
        raise BadValue("amount is empty")
    try:
        amount = check_amount(parse_amount(raw_amount, locale), currency)
        raw_paid = _cell(cells, columns, "amount_paid")
        paid = Decimal(0)
        if raw_paid not in ("", None):
            paid = parse_amount(raw_paid, locale)
            if paid:
                paid = check_amount(paid, currency)
    except InvalidMoney as exc:
        raise BadValue(f"amount: {exc.detail}") from exc
    if paid > amount:
        raise BadValue(f"amount_paid {paid} is more than the amount {amount}")
    raw_due = _cell(cells, columns, "due_date")
    if raw_due in ("", None):
        raise BadValue("due_date is empty")
    due = parse_date(raw_due, locale)
    raw_issue = _cell(cells, columns, "issue_date")
    issue = None if raw_issue in ("", None) else parse_date(raw_issue, locale)
    if issue is not None and issue > due:
        raise BadValue(f"issue_date {issue} is after due_date {due}")
    if not date(2000, 1, 1) <= due <= date(2100, 12, 31):
        raise BadValue(f"due_date {due} is out of range")
    return InvoiceRow(
        line=line,
        customer=customer,
        invoice_number=number,
        external_id=_text(cells, columns, "external_id", 100),
        issue_date=issue,
        due_date=due,
        amount=amount,
        currency=currency,
        amount_paid=paid,
        policy_id=_text(cells, columns, "policy", 40),
    )
