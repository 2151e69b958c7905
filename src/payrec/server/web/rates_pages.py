"""Reference rates in the settings (`/app/settings/rates`, ADMIN): the rates of each reference
by half-year (shipped with their source, or added by an admin), an alert for every reference
whose current or previous half-year (today, UTC) has no rate (the `reference-rate-missing` a
case's charges report: never read as zero), and a form that adds a half-year's rate through
the service of `POST /api/v1/reference-rates`. The rate is parsed as a Decimal; bad input
answers the page with the field named (422, or 409 when the half-year has a rate)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from payrec.domain.charges.rates import REFERENCES, RateMissing, half_year_start
from payrec.server.auth.dependencies import app_state
from payrec.server.charges import adjustments
from payrec.server.charges import service as charges
from payrec.server.charges.schemas import RateCreate, RateOut
from payrec.server.errors import DomainError
from payrec.server.users.service import SignedIn
from payrec.server.web.forms import in_write
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import render
from payrec.server.web.settings_content import _problem
from payrec.server.web.settings_pages import Who, _form_or_refusal, _refused

router = APIRouter(prefix="/app/settings", include_in_schema=False)
FIELDS = ("reference", "validFrom", "rate", "source")


def _previous_half(start: date) -> date:
    return date(start.year - 1, 7, 1) if start.month == 1 else date(start.year, 1, 1)


def _missing(session: Session, today: date) -> list[tuple[str, date]]:
    """(reference, half-year start) for each reference lacking the current or previous
    half-year's rate: what `RateMissing` would stop a case's charges for."""
    table = charges.rate_table(session)
    current = half_year_start(today)
    previous = _previous_half(current)
    found: list[tuple[str, date]] = []
    for reference in REFERENCES:
        for start in (current, previous):
            try:
                table.rate_on(reference, start)
            except RateMissing:
                found.append((reference, start))
    return found


def _half_name(start: date) -> str:
    return f"{start.year}-{'H1' if start.month == 1 else 'H2'}"


def _rates_page(
    request: Request,
    who: SignedIn,
    *,
    status_code: int = 200,
    error: str | None = None,
    entered: dict[str, str] | None = None,
) -> Response:
    today = datetime.now(UTC).date()
    with app_state(request).db.read() as session:
        listed = adjustments.list_rates(session).rates
        missing = _missing(session, today)
    by_reference: dict[str, list[RateOut]] = {r: [] for r in REFERENCES}
    for rate in listed:
        by_reference.setdefault(rate.reference, []).append(rate)
    for rates in by_reference.values():
        rates.sort(key=lambda r: r.valid_from, reverse=True)
    shown = {
        "reference": REFERENCES[0],
        "validFrom": half_year_start(today).isoformat(),
        "rate": "",
        "source": "",
        **(entered or {}),
    }
    return render(
        request,
        "settings_rates.html",
        who,
        status_code=status_code,
        references=REFERENCES,
        by_reference=by_reference,
        missing=[(ref, _half_name(start), start) for ref, start in missing],
        error=error,
        entered=shown,
        added=request.query_params.get("added") == "1" and not error,
    )


@router.get("/rates")
def rates_page(request: Request, who: Who) -> Response:
    return _refused(request, who) or _rates_page(request, who)


def _decimal(text: str) -> Decimal | None:
    """The percentage as typed ("2.15", or "2,15" as de/fr/es write it), never a float."""
    try:
        value = Decimal(text.replace(",", ".").removesuffix("%").strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@router.post("/rates")
async def add_rate(request: Request, who: Who) -> Response:
    """Add a half-year's rate (ADMIN) as `POST /api/v1/reference-rates` does."""
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values
    entered = {k: values.get(k, "") for k in FIELDS}
    fmt = Formatter(who.language)
    rate = _decimal(entered["rate"])
    if rate is None:
        message = fmt.gettext("Rate: enter a percentage such as 2.15.")
        return _rates_page(request, who, status_code=422, error=message, entered=entered)
    try:
        body = RateCreate.model_validate({**entered, "rate": rate})
        await in_write(request, lambda session: adjustments.add_rate(session, body, who.actor))
    except (ValidationError, DomainError) as exc:
        status = exc.status if isinstance(exc, DomainError) else 422
        return _rates_page(request, who, status_code=status, error=_problem(exc), entered=entered)
    return RedirectResponse("/app/settings/rates?added=1", status_code=303)
