"""Bank statement files read into plain entries (no database, no server): ISO 20022
camt.053 / camt.054 and a CSV with a documented column mapping (docs/bank-statements.md)."""

from payrec.bankfiles.entries import MAX_STATEMENT_BYTES, BankFileError, StatementEntry, read

__all__ = ["MAX_STATEMENT_BYTES", "BankFileError", "StatementEntry", "read"]
