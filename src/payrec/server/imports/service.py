"""Imports of customers and open invoices: the job created from the upload (its header
checked at once), then run in chunks of `CHUNK_ROWS`, each chunk one transaction that also
advances the job's progress and counts. Any backend host may carry a job on: a chunk is
taken under the job's row lock, and a job whose lease ran out is picked up again."""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, cast

from sqlalchemy import CursorResult, func, or_, select, update
from sqlalchemy.orm import Session

from payrec.domain.imports.reader import Mapping, Plan, RowsError, plan, read_rows
from payrec.domain.imports.records import InvoiceRow
from payrec.domain.imports.values import FileLocale
from payrec.server.actor import Actor
from payrec.server.db import Database
from payrec.server.errors import Invalid, NotFound
from payrec.server.imports import repository
from payrec.server.imports.schemas import ImportCounts, ImportOut, RowError
from payrec.server.imports.upsert import ChunkResult, write_chunk
from payrec.server.models import ImportJob

logger = logging.getLogger(__name__)

CHUNK_ROWS = 2000
LEASE = timedelta(minutes=2)
MAX_IMPORT_BYTES = 64 * 1024 * 1024
DONE = ("COMPLETED", "FAILED")


def to_out(job: ImportJob) -> ImportOut:
    return ImportOut(
        id=job.id,
        status=job.status,
        dry_run=job.dry_run,
        filename=job.filename,
        format=job.file_format,
        rows_total=job.rows_total,
        rows_done=job.rows_done,
        counts=ImportCounts(
            created=job.created, updated=job.updated, unchanged=job.unchanged, failed=job.failed
        ),
        errors=[RowError(line=e["line"], message=e["message"]) for e in json.loads(job.errors)],
        detail=job.detail,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


def get(session: Session, import_id: str) -> ImportJob:
    job = repository.get(session, import_id)
    if job is None:
        raise NotFound("import", import_id)
    return job


def parse_mapping(raw: bytes | str | None) -> Mapping:
    if not raw:
        return Mapping.from_json(None)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(f"the mapping is not JSON: {exc}", field="mapping") from exc
    if not isinstance(data, dict):
        raise Invalid("the mapping must be a JSON object", field="mapping")
    try:
        return Mapping.from_json(data)
    except RowsError as exc:
        raise Invalid(str(exc), field="mapping") from exc


def check_file(content: bytes, filename: str, mapping: Mapping, *, complete: bool = True) -> Plan:
    """The file's plan, or 422 naming why it cannot be imported at all."""
    if len(content) > MAX_IMPORT_BYTES:
        raise Invalid(f"import files may be at most {MAX_IMPORT_BYTES} bytes", field="file")
    try:
        return plan(content, filename, mapping, complete=complete)
    except RowsError as exc:
        raise Invalid(str(exc), field="file", code="bad-import-file") from exc


def create(
    session: Session,
    content: bytes,
    filename: str,
    mapping: Mapping,
    actor: Actor,
    *,
    dry_run: bool,
    complete: bool = True,
) -> ImportJob:
    """The job, its header checked (`complete=False`: a file whose columns are still to be
    mapped is taken too; its check then fails naming them, and the page offers the mapping)."""
    the_plan = check_file(content, filename, mapping, complete=complete)
    job = ImportJob(
        filename=filename[:300],
        dry_run=dry_run,
        content=_stored(content),
        mapping=json.dumps(
            {"columns": mapping.columns, "decimal": mapping.decimal,
             "dayFirst": mapping.day_first,
             # what the plan decided, so the run reads the file once more, not twice
             "decided": {"decimal": the_plan.locale.decimal,
                         "dayFirst": the_plan.locale.day_first}}
        ),
        file_format=the_plan.describe()[:100],
        rows_total=the_plan.rows_total,
        created_by=actor.name,
    )
    session.add(job)
    session.flush()
    return job


def _stored(content: bytes) -> bytes:
    """The upload as the row keeps it: gzip-compressed (a CSV shrinks several times). On
    SQLite every chunk's progress update rewrites the whole row, file included, and reading
    the columns stored after the file walks through it: 200 times 8.6 MB for 100k rows."""
    return gzip.compress(content, compresslevel=6, mtime=0)


def file_of(job: ImportJob) -> bytes:
    """The uploaded file (rows stored before compression are kept as uploaded: no CSV or
    XLSX file starts with gzip's magic bytes)."""
    content = job.content
    return gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content


def _mapping_of(job: ImportJob) -> Mapping:
    data = json.loads(job.mapping or "{}")
    return Mapping(data.get("columns") or {}, data.get("decimal"), data.get("dayFirst"))


def _decided(job: ImportJob) -> tuple[FileLocale, int] | None:
    decided = json.loads(job.mapping or "{}").get("decided")
    if not decided:
        return None
    return FileLocale(decimal=decided["decimal"], day_first=decided["dayFirst"]), job.rows_total


def run(
    db: Database,
    import_id: str,
    actor: Actor,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Carry the job on to its end, chunk by chunk (a chunk already done is never redone)."""
    with db.read() as session:
        job = get(session, import_id)
        if job.status in DONE:
            return
        content, filename, done = file_of(job), job.filename, job.rows_done
        mapping, known = _mapping_of(job), _decided(job)
    try:
        the_plan = plan(content, filename, mapping, known=known)
    except RowsError as exc:
        _finish(db, import_id, "FAILED", str(exc))
        return
    source = filename
    rows = read_rows(content, the_plan, skip=done)
    while True:
        chunk = list(islice(rows, CHUNK_ROWS))
        if not chunk:
            break
        if not _write(db, import_id, done, chunk, actor, source):
            return  # another host took the job on
        done += len(chunk)
        if progress is not None:
            progress(done, the_plan.rows_total)
    _finish(db, import_id, "COMPLETED", None)


def _write(
    db: Database,
    import_id: str,
    start: int,
    chunk: list[tuple[int, InvoiceRow | str]],
    actor: Actor,
    source: str,
) -> bool:
    with db.write() as session:
        job = repository.get(session, import_id, for_update=True)
        if job is None or job.rows_done != start or job.status in DONE:
            return False
        good = [row for _line, row in chunk if isinstance(row, InvoiceRow)]
        outer = session.begin_nested()
        result = write_chunk(session, good, actor, source=source)
        if job.dry_run:
            outer.rollback()
        else:
            outer.commit()
        for line, row in chunk:
            if isinstance(row, str):
                result.fail(line, row)
        _count(job, result, len(chunk))
    return True


def _count(job: ImportJob, result: ChunkResult, rows: int) -> None:
    job.status = "RUNNING"
    job.rows_done += rows
    job.created += result.counts["created"]
    job.updated += result.counts["updated"]
    job.unchanged += result.counts["unchanged"]
    job.failed += result.counts["failed"]
    if result.errors:
        errors = json.loads(job.errors) + sorted(result.errors, key=lambda e: e["line"])  # type: ignore[arg-type,return-value]
        job.errors = json.dumps(errors)
    job.lease_until = datetime.now(UTC) + LEASE


def _finish(db: Database, import_id: str, status: str, detail: str | None) -> None:
    with db.write() as session:
        job = repository.get(session, import_id, for_update=True)
        if job is None or job.status in DONE:
            return
        job.status = status
        job.detail = detail
        job.lease_until = None
        if not job.dry_run:
            job.content = b""  # the rows are in; the file is not kept
    logger.info("import %s %s", import_id, status.lower())


def fail(db: Database, import_id: str, detail: str) -> None:
    _finish(db, import_id, "FAILED", detail)


def sweep_files(session: Session, now: datetime, retention: timedelta) -> int:
    """Drop the stored file of every import finished (COMPLETED or FAILED, a dry run's
    included) more than `retention` ago: a validation keeps its file that long to be run,
    and a file holds customers' data that payrec does not keep for nothing. Returns how
    many. (The size is read, not the file: `length` needs no detoasting on PostgreSQL.)"""
    result = session.execute(
        update(ImportJob)
        .where(
            ImportJob.status.in_(DONE),
            ImportJob.updated_at < now - retention,
            func.length(ImportJob.content) > 0,
        )
        .values(content=b"", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(cast(CursorResult[Any], result).rowcount)


def claim_stalled(session: Session) -> list[str]:
    """Jobs queued or running whose lease ran out (their host died): leased to the caller."""
    now = datetime.now(UTC)
    jobs = session.scalars(
        select(ImportJob)
        .where(
            ImportJob.status.in_(("QUEUED", "RUNNING")),
            or_(ImportJob.lease_until.is_(None), ImportJob.lease_until < now),
        )
        .with_for_update(skip_locked=True)
        .limit(5)
    ).all()
    for job in jobs:
        job.lease_until = now + LEASE
    return [job.id for job in jobs]


def start_lease(job: ImportJob) -> None:
    job.lease_until = datetime.now(UTC) + LEASE


def summary(job: ImportJob) -> dict[str, Any]:
    return to_out(job).model_dump(mode="json", by_alias=True)


def preview(job: ImportJob, limit: int = 5) -> dict[str, Any]:
    """What the page shows before a run: the header, the column each header was read as,
    and the first rows as read (or the reason each is refused)."""
    mapping = _mapping_of(job)
    try:
        content = file_of(job)
        the_plan = plan(content, job.filename, mapping, complete=False)
    except RowsError as exc:
        return {"header": [], "columns": {}, "rows": [], "problem": str(exc)}
    by_index = {index: name for name, index in the_plan.columns.items()}
    shown = []
    for line, row in islice(read_rows(content, the_plan), limit):
        if isinstance(row, str):
            shown.append({"line": line, "error": row, "cells": {}})
        else:
            shown.append({"line": line, "error": None, "cells": _cells_of(row)})
    return {
        "header": the_plan.header,
        "columns": {i: by_index.get(i, "") for i in range(len(the_plan.header))},
        "rows": shown,
        "problem": None,
        "mapping": mapping,
    }


def _cells_of(row: InvoiceRow) -> dict[str, str]:
    return {
        "customer": row.customer.name,
        "email": row.customer.email or "",
        "phone": row.customer.phone or "",
        "invoice_number": row.invoice_number,
        "issue_date": row.issue_date.isoformat() if row.issue_date else "",
        "due_date": row.due_date.isoformat(),
        "amount": f"{row.amount} {row.currency}",
        "amount_paid": str(row.amount_paid),
    }


def again(
    session: Session, import_id: str, actor: Actor, *, mapping: Mapping | None, dry_run: bool
) -> ImportJob:
    """A new import of a validated (dry-run) import's file, with its or a new mapping."""
    previous = get(session, import_id)
    if not previous.dry_run:
        raise Invalid("only a validated file can be run again", field="import")
    if not previous.content:
        raise Invalid(
            "the validated file is no longer kept (PAYREC_IMPORT_FILE_RETENTION_HOURS after "
            "its validation); upload it again",
            field="import",
        )
    job = create(
        session,
        file_of(previous),
        previous.filename,
        mapping if mapping is not None else _mapping_of(previous),
        actor,
        dry_run=dry_run,
        complete=dry_run,
    )
    start_lease(job)
    return job
