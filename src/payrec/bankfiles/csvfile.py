"""A bank export as CSV; the column mapping is documented in docs/bank-statements.md.

Header row required; names are matched case-insensitively, with the aliases below. The
delimiter is `,` or `;` (sniffed from the header). `amount` is signed: positive is money
paid in (a credit), negative a debit; a decimal comma is read when there is no point
(`1.234,50` and `1234,50` both read as 1234.50).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from payrec.bankfiles.entries import BankFileError, StatementEntry, content_reference

__all__ = ["COLUMNS", "read"]

COLUMNS: dict[str, tuple[str, ...]] = {
    "reference": ("reference", "entry_reference", "transaction_id", "bank_reference"),
    "booked_on": ("booked_on", "booking_date", "date", "value_date"),
    "amount": ("amount",),
    "currency": ("currency", "ccy"),
    "remittance": ("remittance", "remittance_information", "purpose", "description"),
    "debtor_name": ("debtor_name", "payer", "counterparty_name", "name"),
    "debtor_iban": ("debtor_iban", "payer_iban", "counterparty_iban", "iban"),
}
_REQUIRED = ("amount", "currency")


def _decimal(raw: str, line: int) -> Decimal:
    text = raw.strip().replace(" ", "").replace("\u00a0", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    elif "," in text and "." in text and text.rfind(",") > text.rfind("."):
        text = text.replace(".", "").replace(",", ".")  # 1.234,50
    else:
        text = text.replace(",", "")  # 1,234.50
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise BankFileError(f"line {line}: amount {raw!r} is not a number") from exc
    if not value.is_finite():
        raise BankFileError(f"line {line}: amount {raw!r} is not a number")
    return value


def read(data: bytes) -> list[StatementEntry]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BankFileError("CSV statements must be UTF-8") from exc
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        names = [re.sub(r"[\s-]+", "_", n.strip().lower()) for n in next(rows)]
    except StopIteration as exc:
        raise BankFileError("the CSV has no header row") from exc
    index: dict[str, int] = {}
    for field, aliases in COLUMNS.items():
        for alias in aliases:
            if alias in names:
                index[field] = names.index(alias)
                break
    missing = [f for f in _REQUIRED if f not in index]
    if missing:
        raise BankFileError(f"the CSV lacks the column(s) {', '.join(missing)} "
                            "(see docs/bank-statements.md for the mapping)")
    entries: list[StatementEntry] = []
    seen: dict[tuple[object, ...], int] = {}  # identical rows without a reference: 1st, 2nd…
    try:
        for line, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue

            def cell(field: str, row: list[str] = row) -> str:
                at = index.get(field)
                return row[at].strip() if at is not None and at < len(row) else ""

            amount = _decimal(cell("amount"), line)
            currency = cell("currency").upper()
            if not re.fullmatch(r"[A-Z]{3}", currency):
                raise BankFileError(f"line {line}: currency {currency!r} is not ISO 4217")
            raw_date = cell("booked_on")
            try:
                booked = date.fromisoformat(raw_date) if raw_date else None
            except ValueError as exc:
                raise BankFileError(f"line {line}: date {raw_date!r} is not YYYY-MM-DD") from exc
            remittance, name = cell("remittance"), cell("debtor_name")
            iban = cell("debtor_iban").replace(" ", "").upper()
            content = (booked, amount, currency, remittance, name, iban)
            seen[content] = seen.get(content, 0) + 1
            reference = cell("reference") or content_reference(*content, seen[content])
            entries.append(StatementEntry(
                reference=reference[:200],
                credit=amount > 0,
                amount=abs(amount),
                currency=currency,
                booked_on=booked,
                structured_reference="",
                remittance=remittance[:2000],
                debtor_name=name[:200],
                debtor_iban=iban[:40],
            ))
    except csv.Error as exc:
        raise BankFileError(f"malformed CSV: {exc}") from exc
    return entries
