"""`POST /api/v1/webhooks/stripe`: Stripe's events, authenticated by `Stripe-Signature`
(the library's `Webhook.construct_event`, 5 minutes' tolerance). Without a configured
secret it answers 404 and reads nothing; a wrong or stale signature answers 400 and
changes nothing."""

from __future__ import annotations

from typing import Any

import stripe
from fastapi import Request
from starlette.responses import JSONResponse

from payrec.server.actor import Actor
from payrec.server.auth.dependencies import app_state
from payrec.server.card_payments import service
from payrec.server.context import request_id_of
from payrec.server.errors import DomainError, Invalid
from payrec.server.routing import api_router

router = api_router(tags=["webhooks"])
MAX_EVENT_BYTES = 256 * 1024


class StripeDisabled(DomainError, status=404, code="stripe-disabled", title="Not found"):
    """Stripe is not configured on this backend (404)."""


class BadSignature(DomainError, status=400, code="signature-invalid", title="Bad Request"):
    """The Stripe-Signature header does not verify (400)."""


@router.post("/webhooks/stripe")
async def stripe_webhook(request: Request) -> JSONResponse:
    state = app_state(request)
    secret = state.settings.stripe_webhook_secret
    if secret is None or not secret.get_secret_value():
        raise StripeDisabled("Stripe is not configured (PAYREC_STRIPE_WEBHOOK_SECRET is unset)")
    payload = await request.body()
    if len(payload) > MAX_EVENT_BYTES:
        raise Invalid("event too large", field="body")
    signature = request.headers.get("stripe-signature") or ""
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret.get_secret_value())
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise BadSignature(f"the Stripe signature does not verify: {exc}") from None
    body: dict[str, Any] = event.to_dict()
    actor = Actor(name="stripe", service_name="stripe", request_id=request_id_of(request))
    with state.db.write() as session:
        outcome = service.handle(session, body, actor)
    return JSONResponse({"received": True, "outcome": outcome})
