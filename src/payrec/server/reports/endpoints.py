"""`/api/v1/reports` (management, ADMIN or AGENT)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from starlette.responses import Response

from payrec.server.automation_deps import ManagementContext
from payrec.server.errors import Invalid
from payrec.server.jsonio import json_response
from payrec.server.reports import service
from payrec.server.reports.csv_export import csv_lines
from payrec.server.reports.schemas import Summary
from payrec.server.routing import api_router
from payrec.server.types import SaneDate

router = api_router(prefix="/reports", tags=["reports"])

AsOf = Annotated[
    SaneDate | None, Query(alias="asOf", description="YYYY-MM-DD; default today (UTC)")
]
Since = Annotated[SaneDate | None, Query(alias="from", description="population start, YYYY-MM-DD")]


@router.get("/summary", response_model=Summary)
def summary(ctx: ManagementContext, as_of: AsOf = None, since: Since = None) -> Response:
    """Aging, recovery rate, amount recovered and DSO per currency, with their definitions."""
    day = as_of or datetime.now(UTC).date()
    if since is not None and since > day:
        raise Invalid("must not be after asOf", field="from")
    with ctx.read() as session:
        body = service.summary(session, as_of=day, since=since)
    return json_response(body)


@router.get("/cases.csv", response_class=Response)
def cases_csv(ctx: ManagementContext, as_of: AsOf = None) -> Response:
    """Every case created by asOf with its balance and aging bucket on that day."""
    day = as_of or datetime.now(UTC).date()
    with ctx.read() as session:
        text = "".join(csv_lines(service.case_rows_until(session, day), as_of=day))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cases-{day.isoformat()}.csv"'},
    )
