"""What the case page shows: the case with its late charges as the API answers it, the lists
of its timeline (`cases.timeline.case_page`: one statement per part), who may be assigned,
the policy, the next planned step in the customer's zone and the open manual tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse

from payrec.domain.manual_tasks import MANUAL_TASK_TYPES
from payrec.domain.policy import DEFAULT_POLICY, DunningPolicy
from payrec.server.auth.dependencies import app_state
from payrec.server.cases import timeline
from payrec.server.cases.action_schemas import DisputeReasonName
from payrec.server.cases.schemas import CaseOut
from payrec.server.cases.timeline import CaseHead, CasePage
from payrec.server.documents.endpoints import origin
from payrec.server.errors import NotFound
from payrec.server.policies import service as policies
from payrec.server.users import service as users
from payrec.server.users.service import SignedIn
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import error_page, render, worker_in

DISPUTE_REASONS: tuple[str, ...] = get_args(DisputeReasonName)
OUTCOMES = ("REACHED", "NO_ANSWER", "WRONG_NUMBER", "PROMISE_TAKEN")


@dataclass(frozen=True)
class NextStep:
    type: str
    channel: str | None
    at: datetime
    at_local: datetime  # the same moment on the customer's clock


@dataclass(frozen=True)
class CaseView:
    case: CaseOut
    page: CasePage
    assignee: str | None
    assignee_id: str | None
    collectors: list[tuple[str, str]]
    policy: DunningPolicy | None
    next_step: NextStep | None
    manual_tasks: list[Any]
    zone: str


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _policy(head: CaseHead) -> DunningPolicy | None:
    """The case's policy as `policies.find` answers it, from the row the page already read."""
    if head.policy_row is not None:
        return policies.to_domain(head.policy_row)
    return DEFAULT_POLICY if head.policy_id == DEFAULT_POLICY.id else None


def case_view(session: Session, case_id: str, base_url: str) -> CaseView:
    page = timeline.case_page(session, case_id, base_url)
    case = page.head.case
    zone = _zone(page.head.customer.timezone)
    pending = sorted((t for t in page.tasks if t.status == "PENDING"), key=lambda t: t.scheduled_at)
    next_step = (
        NextStep(
            type=pending[0].type,
            channel=(pending[0].metadata or {}).get("reminderType"),
            at=pending[0].scheduled_at,
            at_local=pending[0].scheduled_at.astimezone(zone),
        )
        if pending
        else None
    )
    people = users.people(session)
    return CaseView(
        case=page.head.out,
        page=page,
        assignee=people.names.get(case.assignee_user_id or ""),
        assignee_id=case.assignee_user_id,
        collectors=people.collectors,
        policy=_policy(page.head),
        next_step=next_step,
        manual_tasks=[
            t
            for t in page.tasks
            if t.type in MANUAL_TASK_TYPES and t.status in ("PENDING", "IN_PROGRESS")
        ],
        zone=str(zone),
    )


def case_page(request: Request, case_id: str) -> HTMLResponse:
    """`GET /app/cases/{id}`: the session check and the page's reads in one read scope (one
    transaction, one trip to the thread pool)."""
    state = app_state(request)
    with state.db.read() as session:
        who = worker_in(session, request)
        try:
            view = case_view(session, case_id, origin(state.settings))
        except NotFound:
            return error_page(request, 404, Formatter(who.language).gettext("Not found"), who)
    return _render(request, who, view)


def _render(
    request: Request,
    who: SignedIn,
    view: CaseView,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    return render(
        request,
        "case.html",
        who,
        status_code=status_code,
        view=view,
        case=view.case,
        error=error,
        dispute_reasons=DISPUTE_REASONS,
        outcomes=OUTCOMES,
    )


def case_page_response(
    request: Request,
    case_id: str,
    who: SignedIn,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> HTMLResponse:
    state = app_state(request)
    base_url = origin(state.settings)  # never the Host header (as the API's document links)
    try:
        with state.db.read() as session:
            view = case_view(session, case_id, base_url)
    except NotFound:
        return error_page(request, 404, Formatter(who.language).gettext("Not found"), who)
    return _render(request, who, view, status_code=status_code, error=error)
