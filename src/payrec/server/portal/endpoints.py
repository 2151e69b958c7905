"""`POST /api/v1/recovery-cases/{id}/portal-links/revoke`: every customer-page link sent
for the case stops working at once (ADMIN)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.server.audit.subjects import record_change
from payrec.server.automation_deps import AdminContext
from payrec.server.cases import service as cases
from payrec.server.portal import links
from payrec.server.routing import api_router

router = api_router(tags=["customer page"])


@router.post("/recovery-cases/{case_id}/portal-links/revoke")
def revoke_portal_links(case_id: str, ctx: AdminContext) -> Response:
    def action(session: Session) -> dict[str, Any]:
        case = cases.get(session, case_id)
        revoked = links.revoke_case(session, case.id)
        record_change(session, ctx.actor, "portal_links.revoked", case, after={"revoked": revoked})
        return {"caseId": case.id, "revoked": revoked}

    return ctx.write(action)
