"""Server-side rendering of a template for a case's customer (what the workers send)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from payrec.channels import PermanentChannelError, normalise_phone
from payrec.domain.policy import Channel
from payrec.domain.templates import (
    Template,
    TemplateInvalid,
    build_context,
    payment_link,
    render,
    validate_template,
)
from payrec.server.cases import service as cases
from payrec.server.customers import service as customers
from payrec.server.errors import Invalid, Unavailable
from payrec.server.models import Customer, RecoveryCase
from payrec.server.templates import service
from payrec.server.templates.schemas import PreviewRequest, RenderedOut, RenderRequest


def local_today(timezone: str, now: datetime | None = None) -> date:
    """Today in the customer's time zone (UTC when the zone is unknown)."""
    moment = now or datetime.now(UTC)
    try:
        return moment.astimezone(ZoneInfo(timezone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return moment.astimezone(UTC).date()


def recipient_of(customer: Customer, channel: Channel) -> str | None:
    if channel is Channel.EMAIL:
        return customer.email
    if channel in (Channel.SMS, Channel.CALL) and customer.phone:
        try:
            return normalise_phone(customer.phone)
        except PermanentChannelError:
            return customer.phone
    return None


def opted_out(customer: Customer, channel: Channel) -> bool:
    if channel is Channel.EMAIL:
        return customer.opt_out_email
    if channel is Channel.SMS:
        return customer.opt_out_sms
    return False


def render_for_case(
    session: Session, case_id: str, request: RenderRequest, *, link_template: str
) -> RenderedOut:
    case = cases.get(session, case_id)
    customer = customers.get(session, case.customer_id)
    return render_for(session, case, customer, request, link_template=link_template)


def render_for(
    session: Session,
    case: RecoveryCase,
    customer: Customer,
    request: RenderRequest,
    *,
    link_template: str,
) -> RenderedOut:
    """`render_for_case` with the case and its customer already loaded."""
    entry = service.pick(session, request.template_id, request.language or customer.locale)
    template = entry.template
    if request.channel is not None and request.channel != template.channel.value:
        raise Invalid(
            f"template {template.id!r} is a {template.channel.value} template, "
            f"not {request.channel}",
            field="channel",
        )
    return render_template(case, customer, template, link_template=link_template)


def preview(session: Session, request: PreviewRequest, *, link_template: str) -> RenderedOut:
    """Render a template as edited (not saved) for a real case: the errors saving would
    answer (422 naming the part) come first, then those of this case's figures."""
    case = cases.get(session, request.case_id)
    customer = customers.get(session, case.customer_id)
    template = Template(
        id=request.template_id,
        channel=Channel(request.channel),
        language=request.language,
        subject=request.subject,
        body_text=request.body_text,
        body_html=request.body_html,
    )
    try:
        validate_template(template)
    except TemplateInvalid as exc:
        raise Invalid(exc.message, field=exc.field or "bodyText") from exc
    return render_template(case, customer, template, link_template=link_template)


def render_template(
    case: RecoveryCase, customer: Customer, template: Template, *, link_template: str
) -> RenderedOut:
    """A template rendered for the case's customer (language and formatting from their
    locale); 422 naming the part when it cannot be rendered."""
    try:
        link = payment_link(link_template, case.id, case.invoice_number)
    except ValueError as exc:
        raise Unavailable(f"PAYREC_PAYMENT_LINK_TEMPLATE is misconfigured: {exc}") from exc
    context = build_context(
        customer_name=customer.name,
        invoice_number=case.invoice_number or case.id,
        amount_outstanding=case.outstanding,
        currency=case.currency,
        due_date=case.due_date,
        today=local_today(customer.timezone),
        locale=customer.locale,
        payment_link=link,
        channel=template.channel,
    )
    try:
        message = render(template, context)
    except TemplateInvalid as exc:
        raise Invalid(exc.message, field=exc.field or "templateId") from exc
    return RenderedOut(
        case_id=case.id,
        template_id=template.id,
        channel=template.channel.value,
        language=template.language,
        locale=str(context["locale"]),
        subject=message.subject,
        text=message.text,
        html=message.html,
        recipient=recipient_of(customer, template.channel),
        opted_out=opted_out(customer, template.channel),
        payment_link=link,
    )
