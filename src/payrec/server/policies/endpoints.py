"""`/api/v1/policies` (management) and `/api/v1/automation/policies` (workers).

`router` is mounted under `/api/v1`; `automation_router` under `/api/v1/automation`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body
from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.domain.policy import policy_to_dict
from payrec.server.automation_deps import AutomationContext, ManagementContext
from payrec.server.jsonio import json_response
from payrec.server.pagination import PageQuery
from payrec.server.policies import service
from payrec.server.policies.schemas import POLICY_EXAMPLE, EffectivePolicy, PolicyList, PolicyOut
from payrec.server.routing import api_router

router = api_router(prefix="/policies", tags=["policies"])
automation_router = api_router(tags=["policies"])

PolicyBody = Annotated[dict[str, Any], Body(examples=[POLICY_EXAMPLE])]


@router.post("", status_code=201, response_model=PolicyOut)
def create_policy(body: PolicyBody, ctx: ManagementContext) -> Response:
    """Create a policy; `id` is optional (generated as `policy-…` when absent)."""
    return ctx.write(lambda s: service.create(s, body, ctx.actor), status_code=201)


@router.get("", response_model=PolicyList)
def list_policies(ctx: ManagementContext, page: PageQuery) -> Response:
    with ctx.read() as session:
        outs, total = service.listing(session, offset=page.offset, limit=page.limit)
    return json_response(
        PolicyList(policies=outs, total=total, next_cursor=page.next_cursor(len(outs), total))
    )


@router.get("/{policy_id}", response_model=PolicyOut)
def get_policy(policy_id: str, ctx: ManagementContext) -> Response:
    with ctx.read() as session:
        return json_response(service.to_out(*service.get(session, policy_id)))


@router.put("/{policy_id}", response_model=PolicyOut)
def replace_policy(policy_id: str, body: PolicyBody, ctx: ManagementContext) -> Response:
    """Replace a policy (or store an override of the shipped `policy-default`)."""

    def action(session: Session) -> PolicyOut:
        return service.replace(session, policy_id, body, ctx.actor)

    return ctx.write(action)


@automation_router.get("/policies/{policy_id}")
def get_policy_for_workers(policy_id: str, ctx: AutomationContext) -> Response:
    """Exactly the `policy_to_dict` shape, so `policy_from_dict` reads it back."""
    with ctx.read() as session:
        policy, _row = service.get(session, policy_id)
        return json_response(policy_to_dict(policy))


@automation_router.get("/recovery-cases/{case_id}/policy", response_model=EffectivePolicy)
def get_case_policy(case_id: str, ctx: AutomationContext) -> Response:
    with ctx.read() as session:
        return json_response(service.effective(session, case_id))
