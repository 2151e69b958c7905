"""Message templates: sandboxed Jinja2 rendering, personalisation context, opt-out rule.

Templates are data (subject + text body + optional HTML body per id, channel, language)
rendered in an immutable sandbox with ``StrictUndefined``: a misspelt field or an unsafe
attribute fails loudly, at save time through :func:`validate_template`. Every render runs
within the time, step and size limits of :mod:`payrec.domain.template_sandbox`: a template
that would exhaust the backend is refused at save and fails (422) at any later render.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal
from jinja2 import StrictUndefined, TemplateError
from jinja2 import Template as JinjaTemplate
from jinja2.exceptions import SecurityError
from markupsafe import escape

from payrec.domain.creditor import SAMPLE_CREDITOR, Creditor
from payrec.domain.errors import DomainError
from payrec.domain.i18n import DEFAULT_LANGUAGE, parse_locale, pick_language
from payrec.domain.money import format_money, quantize
from payrec.domain.opt_out import default_opt_out_line
from payrec.domain.policy import Channel
from payrec.domain.template_sandbox import MAX_OUTPUT_CHARS, Sandbox, budget

__all__ = [
    "MAX_OUTPUT_CHARS",
    "MAX_TEMPLATE_CHARS",
    "OPT_OUT_CHANNELS",
    "InvoiceItem",
    "LateFigures",
    "RenderedMessage",
    "Template",
    "TemplateInvalid",
    "build_context",
    "choose_template",
    "payment_link",
    "render",
    "sample_context",
    "template_from_dict",
    "template_to_dict",
    "validate_template",
]

MAX_TEMPLATE_CHARS = 50_000
OPT_OUT_CHANNELS: frozenset[Channel] = frozenset({Channel.EMAIL, Channel.SMS})
"""Channels whose every rendered message must carry the opt-out line."""


class TemplateInvalid(DomainError, ValueError):
    """A template that does not parse or render (HTTP 422); ``field`` names the part."""

    status = 422
    code = "invalid-template"
    title = "Validation failed"

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


@dataclass(frozen=True, slots=True)
class Template:
    """One template: ``subject`` is None for SMS; ``body_html`` optional (EMAIL only)."""

    id: str
    channel: Channel
    language: str
    subject: str | None
    body_text: str
    body_html: str | None = None


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    subject: str | None
    text: str
    html: str | None


_TEXT_ENV = Sandbox(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
_HTML_ENV = Sandbox(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=False)


@lru_cache(maxsize=512)
def _compile(source: str, html: bool) -> JinjaTemplate:
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateInvalid(f"template longer than {MAX_TEMPLATE_CHARS} characters")
    return (_HTML_ENV if html else _TEXT_ENV).from_string(source)


def _render_part(source: str, context: Mapping[str, Any], *, html: bool, part: str) -> str:
    try:
        with budget():
            out = _compile(source, html).render(dict(context))
    except TemplateInvalid as exc:
        raise TemplateInvalid(exc.message, part) from None
    except SecurityError as exc:
        raise TemplateInvalid(f"blocked by the sandbox: {exc}", part) from None
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        where = f"line {line}: " if line else ""
        raise TemplateInvalid(f"{where}{exc.message or type(exc).__name__}", part) from None
    except RecursionError:
        raise TemplateInvalid("blocked by the sandbox: recursion too deep", part) from None
    except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError) as exc:
        raise TemplateInvalid(f"render error: {exc}", part) from None
    if len(out) > MAX_OUTPUT_CHARS:
        raise TemplateInvalid(f"rendered output longer than {MAX_OUTPUT_CHARS} characters", part)
    return out


def _with_opt_out_html(html: str, opt_out: str) -> str:
    if str(escape(opt_out)) in html:
        return html
    line = f'<p style="color:#666666;font-size:12px">{escape(opt_out)}</p>'
    match = re.search(r"</body\s*>", html, flags=re.IGNORECASE)
    if match:
        return html[: match.start()] + line + html[match.start() :]
    return html + line


def render(template: Template, context: Mapping[str, Any]) -> RenderedMessage:
    """Render subject, text and HTML; EMAIL/SMS always end up carrying ``context['optOut']``.

    Raises :class:`TemplateInvalid` on any rendering error, and when an EMAIL/SMS context
    has no opt-out line.
    """
    subject = None
    if template.subject is not None:
        raw = _render_part(template.subject, context, html=False, part="subject")
        subject = " ".join(raw.split())
    text = _render_part(template.body_text, context, html=False, part="bodyText").strip()
    html = None
    if template.body_html is not None:
        html = _render_part(template.body_html, context, html=True, part="bodyHtml")
    if template.channel in OPT_OUT_CHANNELS:
        opt_out = str(context.get("optOut") or "").strip()
        if not opt_out:
            raise TemplateInvalid(f"{template.channel} messages need an opt-out line", "optOut")
        if opt_out not in text:
            text = (
                f"{text}\n\n{opt_out}" if template.channel is Channel.EMAIL else f"{text} {opt_out}"
            )
        if html is not None:
            html = _with_opt_out_html(html, opt_out)
    return RenderedMessage(subject=subject, text=text, html=html)


def template_from_dict(data: Mapping[str, Any]) -> Template:
    """A template from its API JSON shape (id, channel, language, subject, bodyText, bodyHtml)."""
    try:
        channel = Channel(data["channel"])
    except (KeyError, ValueError):
        allowed = ", ".join(c.value for c in Channel)
        raise TemplateInvalid(f"must be one of {allowed}", "channel") from None
    for key in ("id", "language", "bodyText"):
        if not isinstance(data.get(key), str):
            raise TemplateInvalid("is required and must be a string", key)
    for key in ("subject", "bodyHtml"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise TemplateInvalid("must be a string or null", key)
    return Template(
        id=data["id"],
        channel=channel,
        language=data["language"],
        subject=data.get("subject"),
        body_text=data["bodyText"],
        body_html=data.get("bodyHtml"),
    )


def template_to_dict(template: Template) -> dict[str, Any]:
    """The API JSON shape of a template."""
    return {
        "id": template.id,
        "channel": template.channel.value,
        "language": template.language,
        "subject": template.subject,
        "bodyText": template.body_text,
        "bodyHtml": template.body_html,
    }


# --- context ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceItem:
    """Another open invoice of the same customer and currency, for a consolidated message."""

    invoice_number: str
    amount_outstanding: Decimal
    due_date: date
    payment_link: str

_LINK_FIELD = re.compile(r"\{([^{}]*)\}")


def payment_link(template: str, case_id: str, invoice_number: str | None = None) -> str:
    """Fill ``{caseId}`` / ``{invoiceNumber}`` (URL-quoted) in a link template.

    ``https://pay.example.com/{caseId}`` -> ``https://pay.example.com/case-123``. Any other
    placeholder is a configuration error (ValueError).
    """
    values = {"caseId": case_id, "invoiceNumber": invoice_number or ""}

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise ValueError(
                f"payment link template has unknown placeholder {{{name}}}; "
                "use {caseId} or {invoiceNumber}"
            )
        return quote(values[name], safe="")

    return _LINK_FIELD.sub(fill, template)


@dataclass(frozen=True, slots=True)
class LateFigures:
    """A case's late charges for templates (``domain.charges``): interest to date, the
    current annual rate (percent), fixed compensation, fees, charges left, total due."""

    interest: Decimal
    rate: Decimal | None
    compensation: Decimal
    fees: Decimal
    outstanding: Decimal
    total_due: Decimal


def _late_fields(
    late: LateFigures | None, amount_outstanding: Decimal, currency: str, loc: Locale
) -> dict[str, Any]:
    """``hasLateCharges``, ``interestToDate``, ``interestRate``, ``compensation``, ``fees``,
    ``chargesOutstanding``, ``totalDue`` (and ``...Raw`` exact strings): zeros and the
    principal when the case has no late charges, so every template renders either way."""
    zero = Decimal(0)
    figures = late or LateFigures(zero, None, zero, zero, zero, amount_outstanding)

    def money(value: Decimal) -> str:
        return format_money(value, currency, loc)

    rate = "" if figures.rate is None else f"{format_decimal(figures.rate, locale=loc)} %"
    return {
        "hasLateCharges": late is not None and late.outstanding > 0,
        "interestToDate": money(figures.interest),
        "interestToDateRaw": str(quantize(figures.interest, currency)),
        "interestRate": rate,
        "compensation": money(figures.compensation),
        "fees": money(figures.fees),
        "chargesOutstanding": money(figures.outstanding),
        "chargesOutstandingRaw": str(quantize(figures.outstanding, currency)),
        "totalDue": money(figures.total_due),
        "totalDueRaw": str(quantize(figures.total_due, currency)),
    }


def build_context(
    *,
    customer_name: str,
    invoice_number: str,
    amount_outstanding: Decimal,
    currency: str,
    due_date: date,
    today: date,
    locale: str | Locale | None,
    payment_link: str,
    opt_out_line: str | None = None,
    creditor: Creditor | None = None,
    channel: Channel = Channel.EMAIL,
    language: str | None = None,
    customer_phone: str | None = None,
    customer_email: str | None = None,
    others: Sequence[InvoiceItem] = (),
    creditor_reference: str = "",
    late: LateFigures | None = None,
) -> dict[str, Any]:
    """The personalisation fields every template may use (camelCase, like the API).

    ``amount`` is formatted for currency and locale, ``amountRaw`` is the exact decimal
    string; ``dueDate`` is the long local date. ``daysOverdue`` is 0 before the due date,
    ``daysUntilDue`` 0 after it. Without ``opt_out_line`` the shipped line for
    ``language`` (the template's; the locale's when None) and ``channel`` is used.
    ``creditor`` is who the message comes from (``creditor.*``; ``companyName`` is its name).
    ``customerPhone``/``customerEmail`` are "" when unknown. ``invoices`` lists this
    invoice and ``others`` (same currency) by due date, ``totalAmount`` their sum and
    ``invoiceCount`` their number: the statement template lists them.
    ``creditorReference`` is the case's ISO 11649 reference as printed (``RF18 5390 …``),
    "" when it has none: a bank transfer quoting it is matched to the case.
    """
    loc = parse_locale(locale)
    delta = (today - due_date).days
    items = sorted(
        [InvoiceItem(invoice_number, amount_outstanding, due_date, payment_link), *others],
        key=lambda item: (item.due_date, item.invoice_number),
    )
    invoices = [
        {
            "invoiceNumber": item.invoice_number,
            "amount": format_money(item.amount_outstanding, currency, loc),
            "amountRaw": str(quantize(item.amount_outstanding, currency)),
            "dueDate": format_date(item.due_date, format="long", locale=loc),
            "dueDateIso": item.due_date.isoformat(),
            "daysOverdue": max((today - item.due_date).days, 0),
            "paymentLink": item.payment_link,
        }
        for item in items
    ]
    total = sum((item.amount_outstanding for item in items), Decimal(0))
    return {
        "customerName": customer_name,
        "invoiceNumber": invoice_number,
        "amount": format_money(amount_outstanding, currency, loc),
        "amountRaw": str(quantize(amount_outstanding, currency)),
        "currency": currency,
        "dueDate": format_date(due_date, format="long", locale=loc),
        "dueDateIso": due_date.isoformat(),
        "daysOverdue": max(delta, 0),
        "daysUntilDue": max(-delta, 0),
        "paymentLink": payment_link,
        "optOut": opt_out_line or default_opt_out_line(language or loc, channel),
        "companyName": (creditor or Creditor()).name,
        "creditor": (creditor or Creditor()).context(),
        "customerPhone": customer_phone or "",
        "customerEmail": customer_email or "",
        "invoices": invoices,
        "invoiceCount": len(invoices),
        "totalAmount": format_money(total, currency, loc),
        "locale": str(loc),
        "creditorReference": creditor_reference,
        **_late_fields(late, amount_outstanding, currency, loc),
    }


def sample_context(
    language: str = DEFAULT_LANGUAGE, channel: Channel = Channel.EMAIL
) -> dict[str, Any]:
    """A realistic context used to validate templates."""
    return build_context(
        customer_name="Acme Corp",
        invoice_number="INV-2024-001",
        amount_outstanding=Decimal("5000.00"),
        currency="USD",
        due_date=date(2024, 1, 10),
        today=date(2024, 1, 24),
        locale=language,
        payment_link="https://pay.example.com/case-456",
        creditor=SAMPLE_CREDITOR,
        channel=channel,
        language=language,
        customer_phone="+1 555 0100",
        customer_email="ap@acme.example",
        creditor_reference="RF18 5390 0754 7034",
        late=LateFigures(
            Decimal("46.03"), Decimal("12.50"), Decimal("40.00"), Decimal(0),
            Decimal("86.03"), Decimal("5086.03"),
        ),
    )


def validate_template(template: Template) -> None:
    """Render every part with a sample context; raise :class:`TemplateInvalid` if any fails."""
    if not template.id.strip():
        raise TemplateInvalid("must not be empty", "id")
    if template.channel in (Channel.EMAIL, Channel.CALL) and not (template.subject or "").strip():
        raise TemplateInvalid(f"{template.channel} templates need a subject", "subject")
    if template.channel is not Channel.EMAIL and template.body_html is not None:
        raise TemplateInvalid(f"{template.channel} templates have no HTML body", "bodyHtml")
    if not template.body_text.strip():
        raise TemplateInvalid("must not be empty", "bodyText")
    render(template, sample_context(template.language, template.channel))


def choose_template(
    templates: Iterable[Template], template_id: str, locale: str | Locale | None
) -> Template:
    """The template ``template_id`` in the locale's language, else English (LookupError)."""
    candidates = {t.language: t for t in templates if t.id == template_id}
    if not candidates:
        raise LookupError(f"no template {template_id!r}")
    language = pick_language(locale, candidates)
    if language in candidates:
        return candidates[language]
    raise LookupError(f"template {template_id!r} has neither {language!r} nor English")
