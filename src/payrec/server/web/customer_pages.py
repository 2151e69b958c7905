"""The customer page (`/app/customers/{id}`): every case of the customer, the statement of
what is owed (the API's `GET /customers/{id}/statement`), contacts with their opt-out per
channel, language and time zone. A collector changes the opt-outs through the same service as
`PATCH /api/v1/customers/{id}` (audited as `customer.updated`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from payrec.server.auth.dependencies import app_state
from payrec.server.customers import service as customers
from payrec.server.customers import statement
from payrec.server.customers.schemas import CustomerPatch
from payrec.server.errors import DomainError, NotFound
from payrec.server.users.service import SignedIn
from payrec.server.web.forms import checked_form, in_write
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import current_user, error_page, render, see_other

router = APIRouter(prefix="/app/customers/{customer_id}", include_in_schema=False)
Who = Annotated[SignedIn, Depends(current_user)]
CHANNELS = (("EMAIL", "opt_out_email"), ("SMS", "opt_out_sms"))


def customer_page_response(
    request: Request,
    customer_id: str,
    who: SignedIn,
    *,
    status_code: int = 200,
    error: str | None = None,
    saved: bool = False,
) -> Response:
    today = datetime.now(UTC).date()
    try:
        with app_state(request).db.read() as session:
            owed = statement.statement(session, customer_id, today=today)
    except NotFound:
        return error_page(request, 404, Formatter(who.language).gettext("Not found"), who)
    return render(
        request,
        "customer.html",
        who,
        status_code=status_code,
        customer=owed.customer,
        statement=owed,
        error=error,
        saved=saved,
    )


@router.get("")
def customer_page(request: Request, customer_id: str, who: Who) -> Response:
    """A customer: their cases, what they owe, contacts and opt-outs, language and zone."""
    saved = request.query_params.get("saved") == "1"
    return customer_page_response(request, customer_id, who, saved=saved)


@router.post("/opt-outs")
async def change_opt_outs(request: Request, customer_id: str, who: Who) -> Response:
    """Both channels' opt-outs as the form's checkboxes say (an unticked box is sent as no
    field at all: that channel is opted back in)."""
    form = await checked_form(request, who)
    if isinstance(form, Response):
        return form
    change = CustomerPatch.model_validate({f: form.get(f) == "on" for _c, f in CHANNELS})
    try:
        await in_write(request, lambda s: customers.patch(s, customer_id, change, who.actor))
    except NotFound:
        return error_page(request, 404, Formatter(who.language).gettext("Not found"), who)
    except DomainError as exc:
        return customer_page_response(
            request, customer_id, who, status_code=exc.status, error=exc.detail
        )
    return see_other(request, f"/app/customers/{customer_id}?saved=1")
