"""The unmatched bank payments (`/app/bank/unmatched`): each credit no rule was sure of,
with the suggested cases and an Assign button; the same service as
`/api/v1/bank-statements/unmatched`, as the signed-in user, CSRF-checked."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from payrec.server.auth.dependencies import app_state
from payrec.server.bank_statements import service as bank
from payrec.server.errors import DomainError
from payrec.server.users.service import SignedIn
from payrec.server.web.forms import checked_form, in_write
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import current_user, render

router = APIRouter(prefix="/app/bank", include_in_schema=False)
Who = Annotated[SignedIn, Depends(current_user)]
PAGE = "/app/bank/unmatched"


def _page(
    request: Request, who: SignedIn, *, status_code: int = 200, error: str | None = None
) -> Response:
    with app_state(request).db.read() as session:
        listed = bank.unmatched(session, limit=200)
    return render(
        request,
        "bank_unmatched.html",
        who,
        status_code=status_code,
        entries=listed.entries,
        error=error,
    )


@router.get("/unmatched")
def unmatched_page(request: Request, who: Who) -> Response:
    return _page(request, who)


async def _act(request: Request, who: SignedIn, entry_id: str, assign: bool) -> Response:
    form = await checked_form(request, who)
    if isinstance(form, Response):
        return form
    fmt = Formatter(who.language)
    case_id = str(form.get("recoveryCaseId") or "").strip()[:40]
    reason = str(form.get("reason") or "").strip()[:500] or None

    def write(session: Session) -> None:
        if assign:
            bank.assign(session, entry_id, case_id, who.actor)
        else:
            bank.dismiss(session, entry_id, reason, who.actor)

    if assign and not case_id:
        return await run_in_threadpool(
            _page, request, who, status_code=422, error=fmt.gettext("Case") + ": ?"
        )
    try:
        await in_write(request, write)
    except DomainError as exc:
        return await run_in_threadpool(
            _page, request, who, status_code=exc.status, error=exc.detail
        )
    return RedirectResponse(PAGE, status_code=303)


@router.post("/unmatched/{entry_id}/assign")
async def assign(request: Request, entry_id: str, who: Who) -> Response:
    return await _act(request, who, entry_id, assign=True)


@router.post("/unmatched/{entry_id}/dismiss")
async def dismiss(request: Request, entry_id: str, who: Who) -> Response:
    return await _act(request, who, entry_id, assign=False)
