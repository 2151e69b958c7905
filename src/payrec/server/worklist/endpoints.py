"""`GET /api/v1/worklist`: the collectors' worklist (ADMIN or AGENT)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from payrec.server.automation_deps import ManagementContext
from payrec.server.jsonio import json_response
from payrec.server.pagination import decode_cursor
from payrec.server.routing import api_router
from payrec.server.worklist import service
from payrec.server.worklist.repository import Filters
from payrec.server.worklist.schemas import WorklistPage

router = api_router(prefix="/worklist", tags=["worklist"])


@router.get("", response_model=WorklistPage)
def get_worklist(
    ctx: ManagementContext,
    q: Annotated[
        str | None, Query(max_length=100, description="customer, invoice, e-mail, phone")
    ] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    currency: Annotated[str | None, Query(max_length=3)] = None,
    assignee: Annotated[str | None, Query(max_length=40, description="a user id")] = None,
    unassigned: bool = False,
    policy_step: Annotated[int | None, Query(alias="policyStep", ge=0, lt=1000)] = None,
    aging: Annotated[
        str | None, Query(max_length=10, description="current, 1-30, 31-60, 61-90 or 90+")
    ] = None,
    unassigned_tasks: Annotated[
        bool,
        Query(
            alias="unassignedTasks",
            description="with assignee: also unassigned cases with a call or letter due",
        ),
    ] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Cases in the order to work them: broken promises, promises due, disputes waiting
    (unassigned first), calls and letters due today, then aging bucket and amount owed."""
    filters = Filters(
        assignee_user_id=assignee,
        unassigned_tasks=unassigned_tasks,
        unassigned=unassigned,
        status=status,
        currency=currency,
        policy_step=policy_step,
        aging=aging,
        search=q,
    )
    with ctx.read() as session:
        result = service.worklist(session, filters, offset=decode_cursor(cursor), limit=limit)
    return json_response(result)
