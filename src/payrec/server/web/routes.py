"""The app's work pages: the worklist (`/app/`) and a case (`/app/cases/{id}`)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import RedirectResponse, Response

from payrec.domain.worklist import PAGE_SIZE, STATUSES
from payrec.server.auth.dependencies import app_state
from payrec.server.errors import DomainError
from payrec.server.users import service as users
from payrec.server.users.service import SignedIn
from payrec.server.web import case_view
from payrec.server.web.pages import current_user, error_page, render
from payrec.server.worklist import service as worklist
from payrec.server.worklist.repository import Filters

router = APIRouter(include_in_schema=False)
Who = Annotated[SignedIn, Depends(current_user)]
WHO_CHOICES = ("", "mine", "unassigned")


@router.get("/")
def root() -> Response:
    return RedirectResponse("/app/", status_code=307)


@router.get("/app")
def app_root() -> Response:
    return RedirectResponse("/app/", status_code=307)


def _int_or_none(value: str | None) -> int | None:
    text = (value or "").strip()
    return int(text) if text.isdigit() else None


@router.get("/app/")
def worklist_page(
    request: Request,
    who: Who,
    q: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    currency: Annotated[str, Query(max_length=3)] = "",
    assigned: Annotated[str, Query(max_length=20)] = "",
    step: Annotated[str, Query(max_length=4)] = "",
    aging: Annotated[str, Query(max_length=10)] = "",
    collector: Annotated[str, Query(max_length=40)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Open cases in the order to work them, with filters and a search box."""
    filters = Filters(
        assignee_user_id=who.user_id if assigned == "mine" else (collector or None),
        unassigned_tasks=assigned == "mine",
        unassigned=assigned == "unassigned",
        status=status or None,
        currency=currency or None,
        policy_step=_int_or_none(step),
        aging=aging or None,
        search=q or None,
    )
    state = app_state(request)
    try:
        with state.db.read() as session:
            result = worklist.worklist(
                session, filters, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
            )
            names = users.names(session, {i.assignee_user_id for i in result.items})
    except DomainError as exc:
        return error_page(request, exc.status, exc.detail, who)
    query = {
        "q": q,
        "status": status,
        "currency": currency,
        "assigned": assigned,
        "step": step,
        "aging": aging,
        "collector": collector,
    }
    kept = {k: v for k, v in query.items() if v}
    known = max(1, -(-result.total // PAGE_SIZE))
    pages = f"{max(known, page)}+" if result.total_capped else str(known)
    context: dict[str, Any] = {
        "result": result,
        "page": page,
        "names": names,
        "query": query,
        "statuses": STATUSES,
        "assigned_choices": WHO_CHOICES,
        "pages": pages,
        "previous_url": f"/app/?{urlencode({**kept, 'page': page - 1})}" if page > 1 else None,
        "next_url": (
            f"/app/?{urlencode({**kept, 'page': page + 1})}" if result.next_cursor else None
        ),
    }
    partial = (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-target") == "results"
    )
    return render(request, "_results.html" if partial else "worklist.html", who, **context)


@router.get("/app/cases/{case_id}")
def case_page(request: Request, case_id: str) -> Response:
    """A case: amounts, customer, policy and next step, the whole timeline, and the actions."""
    return case_view.case_page(request, case_id)
