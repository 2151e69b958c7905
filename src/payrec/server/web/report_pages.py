"""The reports page (`/app/reports`): the figures of `GET /api/v1/reports/summary` per
currency (aging as a chart drawn in SVG from the data, beside its table), each bar a link to
the worklist filtered to the cases behind it, and the CSV of `GET /api/v1/reports/cases.csv`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from payrec.server.auth.dependencies import app_state
from payrec.server.reports import service as reports
from payrec.server.reports.csv_export import csv_lines
from payrec.server.users import service as users
from payrec.server.users.service import SignedIn
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import current_user, error_page, render

router = APIRouter(prefix="/app/reports", include_in_schema=False)
Who = Annotated[SignedIn, Depends(current_user)]
BAR_WIDTH = 56
BAR_GAP = 24
CHART_HEIGHT = 160


@dataclass(frozen=True)
class Bar:
    """One bar of a chart: its label, figures, where its cases are, and its geometry."""

    label: str
    count: int
    amount: str
    href: str
    x: int
    height: int

    @property
    def y(self) -> int:
        return CHART_HEIGHT - self.height


def bars(rows: list[tuple[str, int, Decimal, str, str]], fmt: Formatter) -> list[Bar]:
    """(label, count, amount, currency, link) to bars scaled to the largest amount."""
    top = max((amount for _label, _count, amount, _cur, _href in rows), default=Decimal(0))
    drawn = []
    for position, (label, count, amount, currency, href) in enumerate(rows):
        height = int(amount / top * (CHART_HEIGHT - 20)) if top > 0 else 0
        drawn.append(
            Bar(
                label=label,
                count=count,
                amount=fmt.money(amount, currency),
                href=href,
                x=BAR_GAP + position * (BAR_WIDTH + BAR_GAP),
                height=max(height, 2 if count else 0),
            )
        )
    return drawn


def _worklist(**query: str) -> str:
    return "/app/?" + urlencode({k: v for k, v in query.items() if v})


def _parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@router.get("")
def reports_page(
    request: Request, who: Who, as_of: Annotated[str, Query(alias="asOf", max_length=10)] = ""
) -> Response:
    """Aging, DSO, recovery, promises, per currency, collector and policy step."""
    fmt = Formatter(who.language)
    _ = fmt.gettext
    day = _parse_day(as_of) if as_of else datetime.now(UTC).date()
    if day is None:
        return error_page(request, 422, _("As of: please give a date (YYYY-MM-DD)."), who)
    with app_state(request).db.read() as session:
        summary = reports.summary(session, as_of=day, since=None)
        names = users.names(
            session, {c.assignee_user_id for s in summary.currencies for c in s.by_collector}
        )
    charts = []
    for cur in summary.currencies:
        aging = bars(
            [
                (
                    b.bucket,
                    b.count,
                    b.amount,
                    cur.currency,
                    _worklist(aging=b.bucket, currency=cur.currency),
                )
                for b in cur.aging
            ],
            fmt,
        )
        collectors = bars(
            [
                (
                    names.get(c.assignee_user_id, c.assignee_user_id)
                    if c.assignee_user_id
                    else _("Nobody"),
                    c.count,
                    c.amount,
                    cur.currency,
                    _worklist(collector=c.assignee_user_id, currency=cur.currency)
                    if c.assignee_user_id
                    else _worklist(assigned="unassigned", currency=cur.currency),
                )
                for c in cur.by_collector
            ],
            fmt,
        )
        steps = bars(
            [
                (
                    _("Step %(index)s (%(channel)s)", index=s.step_index + 1, channel=s.channel)
                    if s.step_index is not None
                    else _("No step yet"),
                    s.count,
                    s.amount,
                    cur.currency,
                    _worklist(step=str(s.step_index), currency=cur.currency)
                    if s.step_index is not None
                    else "",
                )
                for s in cur.by_policy_step
            ],
            fmt,
        )
        charts.append({"summary": cur, "aging": aging, "collectors": collectors, "steps": steps})
    return render(
        request,
        "reports.html",
        who,
        summary=summary,
        charts=charts,
        as_of=day,
        chart_height=CHART_HEIGHT,
        bar_width=BAR_WIDTH,
        csv_url=f"/app/reports/cases.csv?asOf={day.isoformat()}",
    )


@router.get("/cases.csv")
def cases_csv(
    request: Request, who: Who, as_of: Annotated[str, Query(alias="asOf", max_length=10)] = ""
) -> Response:
    """The same CSV as the API's, as a download."""
    day = _parse_day(as_of) if as_of else datetime.now(UTC).date()
    if day is None:
        fmt = Formatter(who.language)
        return error_page(request, 422, fmt.gettext("As of: please give a date (YYYY-MM-DD)."), who)
    with app_state(request).db.read() as session:
        text = "".join(csv_lines(reports.case_rows_until(session, day), as_of=day))
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="cases-{day.isoformat()}.csv"',
            "Cache-Control": "no-store",
        },
    )
