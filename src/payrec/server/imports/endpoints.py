"""`/api/v1/imports` (ADMIN): upload a CSV or XLSX of customers and open invoices; it runs in
the background and is polled with GET until `status` is COMPLETED or FAILED."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Query, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from payrec.server.automation_deps import AdminContext
from payrec.server.imports import runner, service
from payrec.server.imports.schemas import ImportOut
from payrec.server.jsonio import json_response
from payrec.server.routing import api_router

router = api_router(prefix="/imports", tags=["imports"])


@router.post("", status_code=202, response_model=ImportOut)
async def create_import(
    ctx: AdminContext,
    file: Annotated[UploadFile, File()],
    mapping: Annotated[str | None, Form()] = None,
    dry_run: Annotated[bool, Query(alias="dryRun")] = False,
) -> Response:
    content = await file.read(service.MAX_IMPORT_BYTES + 1)
    name = file.filename or "import.csv"
    parsed = service.parse_mapping(mapping)

    def create() -> Response:
        with ctx.state.db.write() as session:
            job = service.create(session, content, name, parsed, ctx.actor, dry_run=dry_run)
            service.start_lease(job)
            body = service.summary(job)
        runner.start(ctx.state.db, body["id"], ctx.actor)
        return json_response(body, status_code=202)

    return await run_in_threadpool(create)


@router.get("/{import_id}", response_model=ImportOut)
def get_import(import_id: str, ctx: AdminContext) -> Response:
    with ctx.read() as session:
        body = service.summary(service.get(session, import_id))
    return json_response(body)
