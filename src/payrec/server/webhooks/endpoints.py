"""`POST /api/v1/webhooks/sms/inbound` (Twilio, signed) and `POST /customers/{id}/opt-out`.

The webhook carries no bearer credential: it is authenticated by `X-Twilio-Signature`
(HMAC-SHA1 with `PAYREC_SMS_AUTH_TOKEN` over the URL Twilio called and the form fields).
Without a configured token it answers 404 and reads nothing; a missing or wrong signature
answers 403 and changes nothing.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from payrec.channels import parse_inbound_sms, validate_twilio_signature
from payrec.server.actor import Actor
from payrec.server.auth.dependencies import app_state
from payrec.server.automation_deps import AdminContext
from payrec.server.context import request_id_of
from payrec.server.customers import service as customers
from payrec.server.errors import DomainError, Forbidden, Invalid
from payrec.server.routing import api_router
from payrec.server.webhooks import service
from payrec.server.webhooks.schemas import OptOutRequest, OptOutResult

router = api_router(tags=["webhooks"])

TWIML_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response/>'
MAX_FORM_BYTES = 64 * 1024


class InboundDisabled(DomainError, status=404, code="sms-inbound-disabled", title="Not found"):
    """Inbound SMS is not configured on this backend (404)."""


def signed_url(request: Request, public_url: str | None) -> str:
    """The URL Twilio signed: PAYREC_PUBLIC_URL + path + query behind a proxy, else as seen."""
    if not public_url:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return public_url.rstrip("/") + request.url.path + query


@router.post("/webhooks/sms/inbound", response_class=Response)
async def twilio_inbound_sms(request: Request) -> Response:
    state = app_state(request)
    token = state.settings.sms_auth_token
    if not token:
        raise InboundDisabled("inbound SMS is not configured (PAYREC_SMS_AUTH_TOKEN is unset)")
    signature = request.headers.get("x-twilio-signature")
    if not signature:
        raise Forbidden("missing X-Twilio-Signature", code="signature-missing")
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise Invalid("form too large", field="body")
    params = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
    if not validate_twilio_signature(
        signed_url(request, state.settings.public_url), params, signature, token
    ):
        raise Forbidden("invalid X-Twilio-Signature", code="signature-invalid")
    form = {name: values[0] for name, values in params.items()}
    try:
        sms = parse_inbound_sms(form)
    except ValueError as exc:
        raise Invalid(str(exc), field="From") from exc
    actor = Actor(
        name="twilio-inbound-sms",
        service_name=request.headers.get("x-service-name") or "twilio",
        request_id=request_id_of(request),
    )
    with state.db.write() as session:
        service.handle_inbound_sms(session, sms, actor)
    return Response(TWIML_EMPTY, media_type="application/xml")


@router.post("/customers/{customer_id}/opt-out", response_model=OptOutResult)
def set_customer_opt_out(customer_id: str, body: OptOutRequest, ctx: AdminContext) -> Response:
    """Record a customer's choice for a channel; opting out cancels pending contacts."""

    def action(session: Session) -> OptOutResult:
        customer = customers.get(session, customer_id)
        verb = "opted out" if body.opted_out else "opted in"
        return service.set_opt_out(
            session,
            customer,
            body.channel,
            body.opted_out,
            ctx.actor,
            reason=f"customer {verb} of {body.channel} ({ctx.actor.name})",
        )

    return ctx.write(action)
