"""A whole import file read as validated rows: the header resolved to the documented
columns, the file's locale decided from all its values (a first streaming pass), then each
data row as an `InvoiceRow` or the reason it is refused, with its line number."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from payrec.domain.imports.columns import REQUIRED, resolve
from payrec.domain.imports.files import FileFormat, Row, RowsError, detect, ends_mid_row, rows
from payrec.domain.imports.records import InvoiceRow, read_record
from payrec.domain.imports.values import BadValue, FileLocale, LocaleEvidence

__all__ = ["Mapping", "Plan", "RowsError", "plan", "read_rows"]


@dataclass(frozen=True)
class Mapping:
    """A mapping file's choices: `{"columns": {header: column}, "decimal": ",",
    "dateOrder": "DMY"|"MDY"}`; every key optional."""

    columns: dict[str, str]
    decimal: str | None = None
    day_first: bool | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Mapping:
        data = data or {}
        columns = data.get("columns") or {}
        if not isinstance(columns, dict):
            raise RowsError("mapping: columns must be an object {header: column}")
        decimal = data.get("decimal")
        if decimal not in (None, ".", ","):
            raise RowsError('mapping: decimal must be "." or ","')
        order = data.get("dateOrder")
        if order not in (None, "DMY", "MDY"):
            raise RowsError('mapping: dateOrder must be "DMY" or "MDY"')
        day_first = None if order is None else order == "DMY"
        return cls({str(k): str(v) for k, v in columns.items()}, decimal, day_first)


@dataclass(frozen=True)
class Plan:
    format: FileFormat
    header: list[str]
    columns: dict[str, int]
    locale: FileLocale
    rows_total: int
    truncated: bool

    def describe(self) -> str:
        order = "day/month" if self.locale.day_first else "month/day"
        return f"{self.format.describe()}, decimal {self.locale.decimal!r}, {order}"


def plan(
    content: bytes,
    filename: str,
    mapping: Mapping,
    *,
    complete: bool = True,
    known: tuple[FileLocale, int] | None = None,
) -> Plan:
    """Detect the format, resolve the header, and decide the locale over all the values;
    `complete=False` admits a header that lacks required columns (to be mapped); `known`:
    the locale and row count an earlier plan of the same file and mapping decided (the
    pass over the values is not made again)."""
    stream = io.BytesIO(content)
    fmt = detect(stream, filename)
    iterator = rows(stream, fmt)
    first = next(iterator, None)
    if first is None or first.error:
        raise RowsError(first.error if first and first.error else "the file has no header row")
    header = [str(c).strip() for c in first.cells]
    columns = resolve(header, mapping.columns)
    missing = [c for c in REQUIRED if c not in columns]
    if "customer_name" not in columns and "customer_external_id" not in columns:
        missing.append("customer_name")
    if missing and complete:
        raise RowsError(
            f"no column for {', '.join(missing)} (header: {', '.join(header)}); "
            "name them in a mapping"
        )
    if known is not None:
        locale, total = known
    else:
        locale, total = _decide(iterator, columns, fmt, mapping)
    truncated = fmt.kind == "csv" and ends_mid_row(stream)
    return Plan(fmt, header, columns, locale, total, truncated)


def _decide(
    iterator: Iterator[Row], columns: dict[str, int], fmt: FileFormat, mapping: Mapping
) -> tuple[FileLocale, int]:
    """The file's locale from all its amounts and dates, and its number of data rows."""
    evidence = LocaleEvidence()
    total = 0
    for row in iterator:
        total += 1
        for name in ("amount", "amount_paid"):
            index = columns.get(name)
            if index is not None and index < len(row.cells) and isinstance(row.cells[index], str):
                evidence.see_amount(row.cells[index])  # type: ignore[arg-type]
        for name in ("due_date", "issue_date"):
            index = columns.get(name)
            if index is not None and index < len(row.cells) and isinstance(row.cells[index], str):
                evidence.see_date(row.cells[index])  # type: ignore[arg-type]
    locale = evidence.decide(
        fmt.delimiter or ",", decimal=mapping.decimal, day_first=mapping.day_first
    )
    return locale, total


def read_rows(
    content: bytes, the_plan: Plan, *, skip: int = 0
) -> Iterator[tuple[int, InvoiceRow | str]]:
    """(line, row or the reason it is refused) for each data row after the first `skip`."""
    stream = io.BytesIO(content)
    iterator = rows(stream, the_plan.format)
    next(iterator, None)
    width = len(the_plan.header)
    for seen, (row, is_last) in enumerate(_with_last(iterator), start=1):
        if seen > skip:
            yield row.line, _record(row, the_plan, width, is_last=is_last)


def _with_last(iterator: Iterator[Row]) -> Iterator[tuple[Row, bool]]:
    previous = next(iterator, None)
    for row in iterator:
        assert previous is not None
        yield previous, False
        previous = row
    if previous is not None:
        yield previous, True


def _record(row: Row, the_plan: Plan, width: int, *, is_last: bool) -> InvoiceRow | str:
    if row.error:
        return row.error
    if is_last and the_plan.truncated:
        return (
            f"the file ends mid-row ({len(row.cells)} of {width} columns, no line end): "
            "the row may be cut off, so it is not imported"
        )
    if the_plan.format.kind == "csv" and len(row.cells) != width:
        return f"the row has {len(row.cells)} columns, the header {width}"
    try:
        return read_record(row.line, row.cells, the_plan.columns, the_plan.locale)
    except BadValue as exc:
        return str(exc)
