"""The import/export page (`/app/imports`, ADMIN): upload a CSV or XLSX, see the column each
header was read as with a preview of the first rows and the validation report (a dry run),
change the mapping, run the import and follow its progress (htmx polls the status while it
runs). The same `imports` service as `POST /api/v1/imports`; the export links call the
`exports` service as `GET /api/v1/exports/{kind}` does."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.responses import RedirectResponse, Response, StreamingResponse

from payrec.domain.imports.columns import COLUMNS
from payrec.domain.imports.reader import Mapping
from payrec.server.actor import Actor
from payrec.server.auth.dependencies import app_state
from payrec.server.errors import DomainError, NotFound
from payrec.server.exports import service as exports
from payrec.server.exports.endpoints import MEDIA
from payrec.server.imports import runner
from payrec.server.imports import service as imports
from payrec.server.users.service import SignedIn
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import current_user, error_page, render
from payrec.server.web.security import presented_token, token_matches

router = APIRouter(prefix="/app/imports", include_in_schema=False)
Who = Annotated[SignedIn, Depends(current_user)]
CSRF_REFUSED = "The form has expired or was not sent from this app. Reload the page and try again."


def _admin(request: Request, who: SignedIn) -> Response | None:
    if who.role != "ADMIN":
        _ = Formatter(who.language).gettext
        return error_page(request, 403, _("Only admins may import."), who)
    return None


def _actor(who: SignedIn) -> Actor:
    actor: Actor = who.actor
    return actor


@router.get("")
def imports_page(request: Request, who: Who) -> Response:
    if (refused := _admin(request, who)) is not None:
        return refused
    return render(request, "imports.html", who, kinds=tuple(exports.KINDS), today=date.today())


@router.post("")
async def upload(request: Request, who: Who) -> Response:
    """The file, validated as a dry run; its page shows the mapping, preview and report."""
    if (refused := _admin(request, who)) is not None:
        return refused
    fmt = Formatter(who.language)
    if not token_matches(who.csrf_token, await presented_token(request)):
        return error_page(request, 403, fmt.gettext(CSRF_REFUSED), who)
    form = await request.form()
    file = form.get("file")
    if not isinstance(file, UploadFile):
        return error_page(request, 422, fmt.gettext("Choose a file to import."), who)
    content = await file.read(imports.MAX_IMPORT_BYTES + 1)
    name = file.filename or "import.csv"
    db = app_state(request).db

    def create() -> str:
        with db.write() as session:
            job = imports.create(
                session, content, name, Mapping({}), _actor(who), dry_run=True, complete=False
            )
            imports.start_lease(job)
            return job.id

    try:
        import_id = await run_in_threadpool(create)
    except DomainError as exc:
        return error_page(request, 422, exc.detail, who)
    runner.start(db, import_id, _actor(who))
    return RedirectResponse(f"/app/imports/{import_id}", status_code=303)


@router.get("/export")
def export(
    request: Request,
    who: Who,
    kind: Literal["cases", "payments", "reminders", "audit"],
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
) -> Response:
    if (refused := _admin(request, who)) is not None:
        return refused
    try:
        first, last = exports.window(start, end)
    except DomainError as exc:
        return error_page(request, 422, exc.detail, who)
    pieces = (exports.csv_pieces if file_format == "csv" else exports.xlsx_pieces)(
        app_state(request).db, kind, first, last
    )
    disposition = f'attachment; filename="payrec-{kind}.{file_format}"'
    return StreamingResponse(
        pieces, media_type=MEDIA[file_format], headers={"content-disposition": disposition}
    )


def _job_page(
    request: Request, import_id: str, who: SignedIn, template: str, *, preview: bool
) -> Response:
    """The import's page, or its progress fragment (which htmx polls, so it reads no file:
    the preview of a validation's first rows is only on the page)."""
    if (refused := _admin(request, who)) is not None:
        return refused
    try:
        with app_state(request).db.read() as session:
            job = imports.get(session, import_id)
            out = imports.to_out(job)
            shown = imports.preview(job) if preview and job.dry_run and job.content else None
    except NotFound:
        return error_page(request, 404, Formatter(who.language).gettext("Not found"), who)
    return render(request, template, who, job=out, preview=shown, columns=tuple(COLUMNS))


@router.get("/{import_id}")
def import_page(request: Request, import_id: str, who: Who) -> Response:
    return _job_page(request, import_id, who, "import.html", preview=True)


@router.get("/{import_id}/status")
def import_status(request: Request, import_id: str, who: Who) -> Response:
    """The progress fragment htmx polls while the import runs."""
    return _job_page(request, import_id, who, "_import_status.html", preview=False)


@router.post("/{import_id}/run")
async def run(request: Request, import_id: str, who: Who) -> Response:
    """Validate again with the chosen mapping (`action=check`), or run the import."""
    if (refused := _admin(request, who)) is not None:
        return refused
    fmt = Formatter(who.language)
    if not token_matches(who.csrf_token, await presented_token(request)):
        return error_page(request, 403, fmt.gettext(CSRF_REFUSED), who)
    form = await request.form()
    chosen = {
        str(key)[len("col-"):]: str(value)
        for key, value in form.items()
        if str(key).startswith("col-") and str(value) in COLUMNS
    }
    decimal = str(form.get("decimal") or "") or None
    order = str(form.get("date_order") or "")
    mapping = Mapping(chosen, decimal if decimal in (".", ",") else None,
                      None if order not in ("DMY", "MDY") else order == "DMY")
    dry_run = form.get("action") == "check"
    db = app_state(request).db

    def create() -> str:
        with db.write() as session:
            job = imports.again(session, import_id, _actor(who), mapping=mapping, dry_run=dry_run)
            return job.id

    try:
        new_id = await run_in_threadpool(create)
    except DomainError as exc:
        return error_page(request, 422, exc.detail, who)
    runner.start(db, new_id, _actor(who))
    return RedirectResponse(f"/app/imports/{new_id}", status_code=303)
