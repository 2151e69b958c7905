"""`/api/v1/bank-statements` (management): import a camt.053/054 or CSV statement, and the
unmatched entries a person assigns to a case or dismisses."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Query, UploadFile
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from payrec.bankfiles import MAX_STATEMENT_BYTES, BankFileError, StatementEntry, read
from payrec.server.automation_deps import ManagementContext
from payrec.server.bank_statements import service
from payrec.server.bank_statements.schemas import (
    AssignRequest,
    DismissRequest,
    EntryOut,
    ImportSummary,
    UnmatchedList,
)
from payrec.server.errors import Conflict, Invalid, PayloadTooLarge
from payrec.server.jsonio import json_response
from payrec.server.routing import api_router

router = api_router(prefix="/bank-statements", tags=["bank-statements"])


def parsed(data: bytes, filename: str) -> list[StatementEntry]:
    """The file's entries, or a 4xx: too large (413), unreadable or hostile (422)."""
    if len(data) > MAX_STATEMENT_BYTES:
        raise PayloadTooLarge(f"statement files may be at most {MAX_STATEMENT_BYTES} bytes")
    try:
        return read(data, filename)
    except BankFileError as exc:
        raise Invalid(exc.reason, field="file", code="bad-bank-statement") from exc


@router.post("", status_code=201, response_model=ImportSummary)
async def import_statement(
    ctx: ManagementContext, file: Annotated[UploadFile, File()]
) -> Response:
    data = await file.read(MAX_STATEMENT_BYTES + 1)
    name = file.filename or "statement"
    entries = await run_in_threadpool(parsed, data, name)
    try:
        return await run_in_threadpool(
            ctx.write,
            lambda s: service.import_entries(s, entries, ctx.actor, source=name),
            status_code=201,
        )
    except IntegrityError as exc:  # the same entries imported at the same moment
        raise Conflict(
            "these entries were being imported by another request; import the file again "
            "(what is recorded already will be skipped)",
            code="bank-statement-concurrent",
        ) from exc


@router.get("/unmatched", response_model=UnmatchedList)
def list_unmatched(
    ctx: ManagementContext, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> Response:
    with ctx.read() as session:
        body = service.unmatched(session, limit)
    return json_response(body)


@router.post("/unmatched/{entry_id}/assign", response_model=EntryOut)
def assign(entry_id: str, body: AssignRequest, ctx: ManagementContext) -> Response:
    return ctx.write(lambda s: service.assign(s, entry_id, body.recovery_case_id, ctx.actor))


@router.post("/unmatched/{entry_id}/dismiss", response_model=EntryOut)
def dismiss(entry_id: str, body: DismissRequest, ctx: ManagementContext) -> Response:
    return ctx.write(lambda s: service.dismiss(s, entry_id, body.reason, ctx.actor))
