"""A statement's entries, whatever file they came in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = ["MAX_STATEMENT_BYTES", "BankFileError", "StatementEntry", "read"]

MAX_STATEMENT_BYTES = 20 * 1024 * 1024
"""Largest statement read (20 MiB: a 10,000-entry camt.053 is about 8 MiB)."""


class BankFileError(ValueError):
    """A statement that cannot be read: malformed, hostile (DTD, entities) or too large."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class StatementEntry:
    """One booked entry. ``reference`` is the bank's own id for it (``AcctSvcrRef``, else
    ``NtryRef``, else a hash of the entry's content): importing twice finds it again."""

    reference: str
    credit: bool
    amount: Decimal
    currency: str
    booked_on: date | None
    structured_reference: str  # CdtrRefInf/Ref (an RF reference when the payer typed it)
    remittance: str  # the unstructured remittance lines, joined by spaces
    debtor_name: str
    debtor_iban: str


def content_reference(*parts: object) -> str:
    """A stable reference for an entry that has none of its own: its fields, hashed."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()
    return f"sha256:{digest[:40]}"


def read(data: bytes, filename: str = "") -> list[StatementEntry]:
    """The file's entries: XML (camt.053 / camt.054) when it starts with ``<`` (after a BOM or
    blanks), else CSV. Raises BankFileError for anything that cannot be read safely."""
    from payrec.bankfiles import camt, csvfile

    if len(data) > MAX_STATEMENT_BYTES:
        raise BankFileError(f"statement files may be at most {MAX_STATEMENT_BYTES} bytes")
    if not data.strip():
        raise BankFileError("the statement file is empty")
    head = data[:200].lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
    if filename.lower().endswith(".xml") or head.startswith(b"<") or data[:2] in (
        b"\xff\xfe",
        b"\xfe\xff",
    ):
        return camt.read(data)
    return csvfile.read(data)
