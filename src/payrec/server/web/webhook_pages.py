"""Webhook endpoints in the settings (`/app/settings/webhooks`, ADMIN): list, add (the secret
shown once, on the answer to the creation), delete; per endpoint its deliveries, filtered by
status, with a redelivery of a failed one. The same `webhook_endpoints` service as
`/api/v1/webhook-endpoints`; an AGENT gets the settings' plain 403 page, a bad URL or a refused
address a plain error page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar, get_args

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from payrec.domain.webhooks import EVENT_TYPES
from payrec.server.auth.dependencies import app_state
from payrec.server.auth.secretbox import secret_box
from payrec.server.errors import DomainError
from payrec.server.users.service import SignedIn
from payrec.server.web.forms import in_write
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import error_page, render
from payrec.server.web.settings_pages import Who, _form_or_refusal, _refused, listing_page
from payrec.server.webhook_endpoints import service as webhooks
from payrec.server.webhook_endpoints.schemas import (
    DeliveryStatus,
    WebhookEndpointCreate,
    WebhookEndpointOut,
)

router = APIRouter(prefix="/app/settings/webhooks", include_in_schema=False)
STATUSES: tuple[str, ...] = get_args(DeliveryStatus)
T = TypeVar("T")


async def _written(request: Request, who: SignedIn, change: Callable[[Session], T]) -> T | Response:
    """`change` through the pages' one write (`forms.in_write`), or the error page it earned."""
    try:
        return await in_write(request, change)
    except DomainError as exc:
        return error_page(request, exc.status, exc.detail, who)


def _list_page(
    request: Request,
    who: SignedIn,
    *,
    status_code: int = 200,
    created: WebhookEndpointOut | None = None,
) -> Response:
    return listing_page(
        request,
        who,
        "settings_webhooks.html",
        lambda session: {"endpoints": webhooks.list_all(session)},
        status_code=status_code,
        event_types=EVENT_TYPES,
        created=created,
    )


@router.get("")
def webhooks_page(request: Request, who: Who) -> Response:
    return _refused(request, who) or _list_page(request, who)


@router.post("")
async def create_endpoint(request: Request, who: Who) -> Response:
    """A new endpoint; its `whsec_` secret is on this answer only."""
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values
    fmt = Formatter(who.language)
    form = await request.form()
    events = [v for v in form.getlist("events") if isinstance(v, str)]
    if not events:
        return error_page(request, 422, fmt.gettext("Choose at least one event."), who)
    try:
        body = WebhookEndpointCreate.model_validate(
            {"url": values.get("url", ""), "events": events}
        )
    except ValidationError:
        message = fmt.gettext("Enter an http:// or https:// URL and events from the list.")
        return error_page(request, 422, message, who)
    settings = app_state(request).settings
    created = await _written(
        request,
        who,
        lambda session: webhooks.create(
            session,
            body,
            who.actor,
            box=secret_box(settings),
            allow_private=settings.webhook_allow_private,
        ),
    )
    if isinstance(created, Response):
        return created
    return _list_page(request, who, status_code=201, created=created)


@router.post("/{endpoint_id}/delete")
async def delete_endpoint(request: Request, endpoint_id: str, who: Who) -> Response:
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values
    done = await _written(
        request, who, lambda session: webhooks.delete(session, endpoint_id, who.actor)
    )
    if isinstance(done, Response):
        return done
    return RedirectResponse("/app/settings/webhooks", status_code=303)


@router.get("/{endpoint_id}")
def deliveries_page(
    request: Request,
    endpoint_id: str,
    who: Who,
    status: Annotated[str, Query()] = "",
) -> Response:
    """The endpoint's newest 100 deliveries (optionally of one status), newest first."""
    if (refused := _refused(request, who)) is not None:
        return refused
    if status and status not in STATUSES:
        message = Formatter(who.language).gettext("Choose a status from the list.")
        return error_page(request, 422, message, who)
    with app_state(request).db.read() as session:
        try:
            endpoint = webhooks.endpoint_out(webhooks.get(session, endpoint_id))
            items = webhooks.deliveries(session, endpoint_id, status=status or None, limit=100)
        except DomainError as exc:
            return error_page(request, exc.status, exc.detail, who)
    return render(
        request,
        "settings_webhook.html",
        who,
        endpoint=endpoint,
        deliveries=items,
        statuses=STATUSES,
        status=status,
    )


@router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(request: Request, endpoint_id: str, delivery_id: str, who: Who) -> Response:
    """Queue a FAILED delivery again, its attempts counted afresh."""
    values = await _form_or_refusal(request, who)
    if isinstance(values, Response):
        return values
    done = await _written(
        request,
        who,
        lambda session: webhooks.redeliver(session, endpoint_id, delivery_id, who.actor),
    )
    if isinstance(done, Response):
        return done
    return RedirectResponse(f"/app/settings/webhooks/{endpoint_id}", status_code=303)
