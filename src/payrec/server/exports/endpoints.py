"""`GET /api/v1/exports/{cases|payments|reminders|charges|audit}?from=&to=&format=csv|xlsx`
(ADMIN): the rows of a date range (both days included, UTC), streamed."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Query
from starlette.responses import StreamingResponse

from payrec.server.automation_deps import AdminContext
from payrec.server.exports import service
from payrec.server.routing import api_router

router = api_router(prefix="/exports", tags=["exports"])

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/{kind}", response_class=StreamingResponse)
def export(
    ctx: AdminContext,
    kind: Literal["cases", "payments", "reminders", "charges", "audit"],
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    file_format: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
) -> StreamingResponse:
    first, last = service.window(start, end)
    pieces = (service.csv_pieces if file_format == "csv" else service.xlsx_pieces)(
        ctx.state.db, kind, first, last
    )
    name = f"payrec-{kind}-{(start or first.date()).isoformat()}-{(end or last.date()).isoformat()}"
    return StreamingResponse(
        pieces,
        media_type=MEDIA[file_format],
        headers={"content-disposition": f'attachment; filename="{name}.{file_format}"'},
    )
