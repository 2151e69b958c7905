"""What the case page shows: the case detail the API answers, plus who may be assigned, the
policy, the next planned step in the customer's zone and the open manual tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse

from payrec.domain.manual_tasks import MANUAL_TASK_TYPES
from payrec.domain.policy import DunningPolicy
from payrec.server.auth.dependencies import app_state
from payrec.server.cases import service as cases
from payrec.server.cases.action_schemas import DisputeReasonName
from payrec.server.cases.schemas import CaseDetail
from payrec.server.cases.timeline import case_detail
from payrec.server.customers import service as customers
from payrec.server.documents.endpoints import origin
from payrec.server.errors import NotFound
from payrec.server.policies import service as policies
from payrec.server.users import service as users
from payrec.server.users.service import SignedIn
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import error_page, render

DISPUTE_REASONS: tuple[str, ...] = get_args(DisputeReasonName)
OUTCOMES = ("REACHED", "NO_ANSWER", "WRONG_NUMBER", "PROMISE_TAKEN")


@dataclass(frozen=True)
class NextStep:
    type: str
    channel: str | None
    at_local: datetime


@dataclass(frozen=True)
class CaseView:
    case: CaseDetail
    assignee: str | None
    assignee_id: str | None
    collectors: list[tuple[str, str]]
    policy: DunningPolicy | None
    next_step: NextStep | None
    manual_tasks: list[dict[str, Any]]
    zone: str


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def case_view(session: Session, case_id: str, base_url: str) -> CaseView:
    # the case and its customer first: held here, `case_detail` finds them in the session's
    # (weak) identity map instead of reading them again
    row = cases.get(session, case_id)
    customer = customers.get(session, row.customer_id)
    detail = case_detail(session, case_id, base_url)
    found = policies.find(session, row.policy_id or customer.policy_id or "policy-default")
    zone = _zone(detail.customer.timezone)
    pending = sorted(
        (t for t in detail.tasks if t["status"] == "PENDING"), key=lambda t: t["scheduledAt"]
    )
    next_step = (
        NextStep(
            type=pending[0]["type"],
            channel=(pending[0]["metadata"] or {}).get("reminderType"),
            at_local=pending[0]["scheduledAt"].astimezone(zone),
        )
        if pending
        else None
    )
    collectors = [(u.id, u.name) for u in users.list_all(session) if u.disabled_at is None]
    return CaseView(
        case=detail,
        assignee=users.names(session, {row.assignee_user_id}).get(row.assignee_user_id or ""),
        assignee_id=row.assignee_user_id,
        collectors=collectors,
        policy=found[0] if found else None,
        next_step=next_step,
        manual_tasks=[
            t
            for t in detail.tasks
            if t["type"] in MANUAL_TASK_TYPES and t["status"] in ("PENDING", "IN_PROGRESS")
        ],
        zone=str(zone),
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
