"""The case list as CSV (one row per case, figures as of a day), safe for spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

from payrec.domain.money import quantize
from payrec.server.jsonio import format_timestamp
from payrec.server.reports.repository import CaseRow
from payrec.server.reports.service import bucket_of, end_of, owed_at

HEADER = (
    "caseId",
    "customerName",
    "invoiceNumber",
    "currency",
    "amount",
    "amountPaid",
    "amountOutstanding",
    "dueDate",
    "daysPastDue",
    "agingBucket",
    "status",
    "createdAt",
    "chargesOutstanding",
    "totalDue",
)


def _cell(value: str | None) -> str:
    """Text cells that a spreadsheet would run as a formula get a leading quote."""
    text = value or ""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(rows: Iterable[CaseRow], *, as_of: date) -> Iterator[str]:
    until = end_of(as_of)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(HEADER)
    yield flush()
    for row in rows:
        principal, charges = owed_at(row, until)
        owed = principal + charges
        days = (as_of - row.due_date).days
        writer.writerow(
            (
                row.id,
                _cell(row.customer_name),
                _cell(row.invoice_number),
                row.currency,
                str(quantize(row.amount, row.currency)),
                str(quantize(row.paid, row.currency)),
                str(quantize(principal, row.currency)),
                row.due_date.isoformat(),
                days,
                bucket_of(days) if owed > 0 else "",
                row.status,
                format_timestamp(row.created_at),
                str(quantize(charges, row.currency)),
                str(quantize(owed, row.currency)),
            )
        )
        yield flush()
