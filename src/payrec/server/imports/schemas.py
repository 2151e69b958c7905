"""The import's wire shape: `{id, status, counts: {created, updated, unchanged, failed},
errors: [{line, message}]}` plus the file's detected format and the progress."""

from __future__ import annotations

from datetime import datetime

from payrec.server.types import OutModel


class ImportCounts(OutModel):
    created: int
    updated: int
    unchanged: int
    failed: int


class RowError(OutModel):
    line: int
    message: str


class ImportOut(OutModel):
    id: str
    status: str
    dry_run: bool
    filename: str
    format: str | None
    rows_total: int
    rows_done: int
    counts: ImportCounts
    errors: list[RowError]
    detail: str | None
    created_at: datetime
    updated_at: datetime
