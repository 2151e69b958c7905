"""Server-side rendering of a template for a case's customer (what the workers send)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from payrec.channels import PermanentChannelError, normalise_phone
from payrec.domain import creditor_reference
from payrec.domain.creditor import Creditor
from payrec.domain.opt_out import default_opt_out_line
from payrec.domain.policy import Channel
from payrec.domain.templates import (
    InvoiceItem,
    LateFigures,
    Template,
    TemplateInvalid,
    build_context,
    payment_link,
    render,
    validate_template,
)
from payrec.server.cases import service as cases
from payrec.server.charges import service as late_charges
from payrec.server.customers import service as customers
from payrec.server.errors import Invalid, Unavailable
from payrec.server.models import Customer, RecoveryCase
from payrec.server.portal import links as portal_links
from payrec.server.templates import service
from payrec.server.templates.schemas import PreviewRequest, RenderedOut, RenderRequest

_CREDITOR = "payrec.creditor"
_TEAM_LANGUAGE = "payrec.team_language"


def configure(session_info: dict[str, Any], creditor: Creditor, team_language: str) -> None:
    """Set the creditor and the team's language for every session (`Database.session_info`)."""
    session_info[_CREDITOR] = creditor
    session_info[_TEAM_LANGUAGE] = team_language


def creditor_of(session: Session) -> Creditor:
    creditor = session.info.get(_CREDITOR)
    return creditor if isinstance(creditor, Creditor) else Creditor()


def team_language(session: Session) -> str:
    return str(session.info.get(_TEAM_LANGUAGE) or "en")


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
    others: Sequence[RecoveryCase] = (),
) -> RenderedOut:
    """`render_for_case` with the case and its customer already loaded; `others` are more
    open cases of the customer listed with it (a consolidated statement)."""
    entry = service.pick(session, request.template_id, request.language or customer.locale)
    template = entry.template
    if request.channel is not None and request.channel != template.channel.value:
        raise Invalid(
            f"template {template.id!r} is a {template.channel.value} template, "
            f"not {request.channel}",
            field="channel",
        )
    return render_template(
        session, case, customer, template, link_template=link_template, others=others
    )


def preview(session: Session, request: PreviewRequest, *, link_template: str) -> RenderedOut:
    """Render a template as edited (not saved) for a real case: the errors saving would
    answer (422 naming the part) come first, then those of this case's figures."""
    case = cases.get(session, request.case_id)
    customer = customers.get(session, case.customer_id)
    template = service.template_of(request)
    try:
        validate_template(template)
    except TemplateInvalid as exc:
        raise Invalid(exc.message, field=exc.field or "bodyText") from exc
    return render_template(session, case, customer, template, link_template=link_template)


def render_template(
    session: Session,
    case: RecoveryCase,
    customer: Customer,
    template: Template,
    *,
    link_template: str,
    others: Sequence[RecoveryCase] = (),
) -> RenderedOut:
    """A template rendered for the case's customer (formatting from their locale, the
    opt-out line in the template's language, the creditor of the session's settings);
    422 naming the part when it cannot be rendered."""
    unsubscribe: str | None = None
    if link_template:
        try:
            link = payment_link(link_template, case.id, case.invoice_number)
            links = [payment_link(link_template, o.id, o.invoice_number) for o in others]
        except ValueError as exc:
            raise Unavailable(f"PAYREC_PAYMENT_LINK_TEMPLATE is misconfigured: {exc}") from exc
    else:  # the customer page, which lists every open invoice of the customer
        token = portal_links.issue(session, case)
        link = portal_links.page_url(session, token)
        unsubscribe = portal_links.unsubscribe_url(session, token)
        links = [link for _ in others]
    items = [
        InvoiceItem(other.invoice_number or other.id, other.outstanding, other.due_date, url)
        for other, url in zip(others, links, strict=True)
        if other.id != case.id and other.currency == case.currency
    ]
    charges = late_charges.for_case(session, case, customer)
    late = None
    if charges.applicable and charges.error is None:  # a missing rate: no figures, never 0
        late = LateFigures(
            interest=charges.interest,
            rate=charges.current_rate,
            compensation=charges.compensation,
            fees=charges.fees,
            outstanding=charges.outstanding,
            total_due=charges.total_due,
        )
    context = build_context(
        customer_name=customer.name,
        invoice_number=case.invoice_number or case.id,
        amount_outstanding=charges.principal_outstanding if late else case.outstanding,
        currency=case.currency,
        due_date=case.due_date,
        today=local_today(customer.timezone),
        locale=customer.locale,
        payment_link=link,
        opt_out_line=default_opt_out_line(
            template.language, template.channel, link if unsubscribe else None
        ),
        channel=template.channel,
        language=template.language,
        creditor=creditor_of(session),
        customer_phone=recipient_of(customer, Channel.SMS),
        customer_email=customer.email,
        others=items,
        creditor_reference=_printed_reference(case.id),
        late=late,
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
        unsubscribe_url=unsubscribe,
    )


def _printed_reference(case_id: str) -> str:
    reference = creditor_reference.for_case(case_id)
    return creditor_reference.printed(reference) if reference else ""
