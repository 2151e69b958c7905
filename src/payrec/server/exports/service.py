"""Exports of cases, payments, reminders sent, late charges and the audit trail for a date
range, as CSV or XLSX, streamed: rows are read in batches and written as they come (CSV in
pieces; XLSX through openpyxl's write_only workbook into a spooled file, then sent in pieces).

Cases carry what they owe as their late-charge computation has it today (the principal left
after the scheme's allocation order, interest, compensation, fees, waived, charges left, total
due; `charges_error` when a rate is missing); `charges` has one row per charge line of the
cases created in the range. Both compute a batch of cases at a time (`charges.service`)."""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from payrec.domain.money import quantize
from payrec.server.charges import service as late_charges
from payrec.server.charges.service import CaseCharges, CaseRef
from payrec.server.db import Database
from payrec.server.errors import Invalid
from payrec.server.exports import repository

PIECE = 64 * 1024

Reader = Callable[[Session, datetime, datetime], Iterator[Any]]
CHARGE_BATCH = 500


def _charged(session: Session, start: datetime, end: datetime) -> Iterator[tuple[Any, CaseCharges]]:
    """The cases of the range (without the customer's policy id the query ends with), each
    with its charges, computed a batch at a time."""
    for batch in _batches(repository.cases(session, start, end)):
        # by position: the query names two `policy_id` and two `external_id` columns
        refs = [CaseRef(r[0], r[2], r[14], r[9], r[10], r[11], r[8], r[12], r[16]) for r in batch]
        found = late_charges.for_cases(session, refs, {r[2]: r[17] for r in batch})
        for row in batch:
            yield tuple(row)[:-1], found[row[0]]


def _batches(rows: Iterable[Any]) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHARGE_BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _cases(session: Session, start: datetime, end: datetime) -> Iterator[Any]:
    for row, c in _charged(session, start, end):
        yield (
            *row,
            c.principal_outstanding,
            c.interest,
            c.compensation,
            c.fees,
            c.waived,
            c.outstanding,
            c.total_due,
            c.error_code,
        )


def _charges(session: Session, start: datetime, end: datetime) -> Iterator[Any]:
    for row, c in _charged(session, start, end):
        for line in c.lines:
            yield (
                row[0],
                row[6],
                line.kind,
                line.from_date,
                line.to_date,
                line.days,
                line.base,
                line.reference_rate,
                line.margin,
                line.rate,
                line.amount,
                line.paid,
                line.waived_amount,
                line.outstanding,
                line.currency,
            )


KINDS: dict[str, tuple[tuple[str, ...], Reader]] = {
    "cases": (
        (
            "id",
            "external_id",
            "customer_id",
            "customer_external_id",
            "customer_name",
            "customer_email",
            "invoice_number",
            "issue_date",
            "due_date",
            "amount",
            "amount_paid",
            "currency",
            "status",
            "priority",
            "policy_id",
            "created_at",
            "resolved_at",
            "principal_outstanding",
            "interest",
            "compensation",
            "fees",
            "charges_waived",
            "charges_outstanding",
            "total_due",
            "charges_error",
        ),
        _cases,
    ),
    "charges": (
        (
            "recovery_case_id",
            "invoice_number",
            "kind",
            "from_date",
            "to_date",
            "days",
            "base",
            "reference_rate",
            "margin",
            "rate",
            "amount",
            "paid",
            "waived",
            "outstanding",
            "currency",
        ),
        _charges,
    ),
    "payments": (
        (
            "id",
            "recovery_case_id",
            "invoice_number",
            "amount",
            "currency",
            "received_at",
            "reference",
            "created_at",
        ),
        repository.payments,
    ),
    "reminders": (
        (
            "id",
            "recovery_case_id",
            "invoice_number",
            "type",
            "channel",
            "recipient",
            "template_id",
            "status",
            "sent_at",
            "external_id",
        ),
        repository.reminders,
    ),
    "audit": (
        (
            "id",
            "at",
            "actor",
            "service_name",
            "request_id",
            "action",
            "entity_type",
            "entity_id",
            "recovery_case_id",
            "before",
            "after",
        ),
        repository.audit,
    ),
}

_MONEY = {
    "amount",
    "amount_paid",
    "principal_outstanding",
    "interest",
    "compensation",
    "fees",
    "charges_waived",
    "charges_outstanding",
    "total_due",
    "base",
    "paid",
    "waived",
    "outstanding",
}


def window(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    """[from 00:00 UTC, the day after `to` 00:00 UTC); both days included."""
    first = start or date(1970, 1, 1)
    last = end or datetime.now(UTC).date()
    if first > last:
        raise Invalid("from is after to", field="from")
    return (
        datetime.combine(first, time(), tzinfo=UTC),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC),
    )


def _cells(header: tuple[str, ...], row: Any) -> list[object]:
    values = list(row)
    currency = values[header.index("currency")] if "currency" in header else None
    out: list[object] = []
    for name, value in zip(header, values, strict=True):
        if isinstance(value, Decimal) and name in _MONEY and currency:
            out.append(str(quantize(value, str(currency))))
        elif isinstance(value, datetime):
            moment = value if value.tzinfo else value.replace(tzinfo=UTC)
            out.append(moment.astimezone(UTC).isoformat().replace("+00:00", "Z"))
        elif isinstance(value, date):
            out.append(value.isoformat())
        elif isinstance(value, dict | list):
            out.append(json.dumps(value, ensure_ascii=False, sort_keys=True, default=str))
        elif value is None:
            out.append("")
        else:
            out.append(str(value) if isinstance(value, Decimal) else value)
    return out


def _rows(db: Database, kind: str, start: datetime, end: datetime) -> Iterator[list[object]]:
    header, reader = KINDS[kind]
    with db.read() as session:
        for row in reader(session, start, end):
            yield _cells(header, row)


def csv_pieces(db: Database, kind: str, start: datetime, end: datetime) -> Iterator[bytes]:
    """UTF-8 with a BOM (spreadsheets then read it as UTF-8), CRLF, `,`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(KINDS[kind][0])
    for cells in _rows(db, kind, start, end):
        writer.writerow(cells)
        if buffer.tell() >= PIECE:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_pieces(db: Database, kind: str, start: datetime, end: datetime) -> Iterator[bytes]:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(kind)
    sheet.append(list(KINDS[kind][0]))
    for cells in _rows(db, kind, start, end):
        sheet.append([_xlsx_cell(c) for c in cells])
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as out:
        book.save(out)
        out.seek(0)
        while piece := out.read(PIECE):
            yield piece


def _xlsx_cell(value: object) -> object:
    """Text stays text (amounts exact, as their digits; a leading `=` never a formula)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
