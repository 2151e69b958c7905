"""`/api/v1/automation/extractions`."""

from __future__ import annotations

from starlette.responses import Response

from payrec.server.automation_deps import AutomationContext
from payrec.server.extractions import service
from payrec.server.extractions.schemas import ExtractionCreate, ExtractionOut
from payrec.server.routing import api_router

router = api_router(prefix="/extractions", tags=["extractions"])


@router.post("", status_code=201, response_model=ExtractionOut)
def submit_extraction(body: ExtractionCreate, ctx: AutomationContext) -> Response:
    threshold = ctx.state.settings.auto_apply_confidence
    return ctx.write(lambda s: service.submit(s, body, threshold, ctx.actor), status_code=201)
