"""The rows of a CSV or XLSX file, streamed: the encoding and delimiter a spreadsheet wrote
detected (and reported), each row with its line number, a file cut off mid-row reported."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

__all__ = ["FileFormat", "RowsError", "detect", "rows"]

_SAMPLE = 64 * 1024
_DELIMITERS = (",", ";", "\t", "|")


class RowsError(Exception):
    """The file cannot be read at all (not a spreadsheet, no header)."""


@dataclass(frozen=True)
class FileFormat:
    kind: str  # "csv" | "xlsx"
    encoding: str | None = None  # utf-8 | utf-8-sig | cp1252 | utf-16
    delimiter: str | None = None

    def describe(self) -> str:
        if self.kind == "xlsx":
            return "XLSX"
        names = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "cp1252": "Windows-1252",
                 "utf-16": "UTF-16"}
        delim = {"\t": "tab"}.get(self.delimiter or ",", self.delimiter)
        return f"CSV, {names.get(self.encoding or '', self.encoding)}, delimiter {delim!r}"


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head[:200].count(b"\x00") > len(head[:200]) // 4:
        return "utf-16-le" if head[1:2] == b"\x00" else "utf-16-be"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def detect(stream: IO[bytes], filename: str = "") -> FileFormat:
    """The file's kind, encoding and delimiter from its first bytes (the stream is rewound)."""
    head = stream.read(_SAMPLE)
    stream.seek(0)
    if head.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        return FileFormat(kind="xlsx")
    if not head.strip():
        raise RowsError("the file is empty")
    encoding = _encoding(head)
    text = head.decode(encoding, errors="ignore")
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    return FileFormat(kind="csv", encoding=encoding, delimiter=_delimiter(first))


@dataclass(frozen=True)
class Row:
    line: int
    cells: list[object]
    error: str | None = None  # the row itself is broken (cut off, unterminated quote)


def rows(stream: IO[bytes], fmt: FileFormat) -> Iterator[Row]:
    """The header (line 1) then every non-empty row, streamed."""
    if fmt.kind == "xlsx":
        yield from _xlsx_rows(stream)
    else:
        yield from _csv_rows(stream, fmt)


def _csv_rows(stream: IO[bytes], fmt: FileFormat) -> Iterator[Row]:
    text = io.TextIOWrapper(stream, encoding=fmt.encoding or "utf-8", newline="", errors="strict")
    reader = csv.reader(text, delimiter=fmt.delimiter or ",", strict=True)
    width = 0
    line = 1
    try:
        for cells in reader:
            start = line
            line = reader.line_num + 1
            if not "".join(cells).strip():  # no cell holds anything but blanks
                continue
            if not width:
                width = len(cells)
            yield Row(start, list(cells))
    except csv.Error as exc:
        yield Row(line, [], error=f"the row cannot be read ({exc}); is the file cut off?")
    except UnicodeDecodeError as exc:
        yield Row(line, [], error=f"bytes not in {fmt.encoding}: {exc.reason}")
    finally:
        text.detach()
    if not width:
        raise RowsError("the file has no header row")


def ends_mid_row(stream: IO[bytes]) -> bool:
    """Whether the last byte is not a line end: the last row may be cut off."""
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    if size == 0:
        return False
    stream.seek(max(0, size - 2))
    tail = stream.read()
    stream.seek(0)
    return not tail.endswith((b"\n", b"\r", b"\n\x00", b"\r\x00"))


def _xlsx_rows(stream: IO[bytes]) -> Iterator[Row]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # zipfile/xml errors: not a workbook
        raise RowsError(f"not a readable XLSX workbook ({type(exc).__name__})") from exc
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = ["" if v is None else v for v in values]
            if any(str(c).strip() for c in cells):
                yield Row(number, cells)
    finally:
        book.close()
