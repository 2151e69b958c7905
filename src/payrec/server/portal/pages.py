"""The customer page: `GET /c/{token}` and its forms (no sign-in: the link is the credential).

Every form carries a CSRF token derived from the link; a bad, expired or revoked link, or a
case of another customer, answers the same plain 404 page with no data. `POST
/c/{token}/unsubscribe` is RFC 8058's one-click opt-out (no cookie, no CSRF: the body is
`List-Unsubscribe=One-Click`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, RedirectResponse, Response

from payrec.domain.money import format_money
from payrec.server.auth.dependencies import app_state
from payrec.server.card_payments import service as card
from payrec.server.context import request_id_of
from payrec.server.documents import service as documents
from payrec.server.documents.storage import DocumentStore
from payrec.server.errors import DomainError, Invalid
from payrec.server.models import PortalLink
from payrec.server.portal import links, service
from payrec.server.portal.texts import language_of, texts
from payrec.server.templates.rendering import creditor_of

router = APIRouter(include_in_schema=False)
_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action *",
}
_FORM_BYTES = 16 * 1024


def _plain(text: str, status: int, lang: str = "en") -> HTMLResponse:
    html = _ENV.get_template("plain.html").render(text=text, lang=lang)
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _invalid(request: Request) -> HTMLResponse:
    lang = language_of((request.headers.get("accept-language") or "en")[:2])
    return _plain(texts(lang)["invalid"], 404, lang)


def _stripe(request: Request) -> card.StripeConfig | None:
    settings = app_state(request).settings
    key = settings.stripe_secret_key
    if key is None or not key.get_secret_value():
        return None
    return card.StripeConfig(key.get_secret_value(), settings.stripe_api_base)


def _page(
    request: Request,
    session: Session,
    link: PortalLink,
    token: str,
    *,
    message: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    page = service.view(session, link)
    lang = language_of(page.customer.locale)
    locale = page.customer.locale or "en_US"
    t = texts(lang)
    invoices: list[dict[str, Any]] = [
        {
            "case_id": inv.case_id,
            "number": inv.invoice_number,
            "due": inv.due_date.isoformat(),
            "amount": format_money(inv.outstanding, inv.currency, locale),
            "charges": format_money(inv.charges, inv.currency, locale) if inv.charges else "",
            "total": format_money(inv.total_due, inv.currency, locale),
            "pdf": inv.document_id is not None,
        }
        for inv in page.invoices
    ]
    html = _ENV.get_template("page.html").render(
        lang=lang,
        t=t,
        creditor=creditor_of(session),
        invoices=invoices,
        any_charges=any(inv.charges for inv in page.invoices),
        base=links.PAGE_PATH + token,
        csrf=links.csrf_token(token),
        stripe=_stripe(request) is not None,
        case_open=page.case.status not in ("RESOLVED", "WRITTEN_OFF", "CANCELLED"),
        reasons=service.DISPUTE_REASONS,
        message=message or (t["thanks_paid"] if request.query_params.get("paid") else None),
        error=error,
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


@router.get("/c/{token}")
def customer_page(token: str, request: Request) -> Response:
    with app_state(request).db.read() as session:
        try:
            link = links.resolve(session, token)
        except links.LinkInvalid:
            return _invalid(request)
        return _page(request, session, link, token)


@router.get("/c/{token}/invoice/{case_id}.pdf")
def invoice_pdf(token: str, case_id: str, request: Request) -> Response:
    state = app_state(request)
    with state.db.read() as session:
        try:
            link = links.resolve(session, token)
            service.own_case(session, link, case_id)
        except links.LinkInvalid:
            return _invalid(request)
        document_id = service.invoice_pdf(session, case_id)
        if document_id is None:
            return _invalid(request)
        digest = documents.get(session, document_id).sha256
    data = DocumentStore(state.settings.data_dir / "documents").get(digest)
    return Response(data, media_type="application/pdf", headers=_HEADERS)


async def _form(request: Request) -> dict[str, str]:
    if int(request.headers.get("content-length") or 0) > _FORM_BYTES:
        return {}
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


@router.get("/c/{token}/unsubscribe")
def unsubscribe_get(token: str) -> Response:
    """A mail client's prefetch of the one-click address changes nothing: it shows the page."""
    return RedirectResponse(links.PAGE_PATH + token, status_code=303)


@router.post("/c/{token}/unsubscribe")
async def one_click_unsubscribe(token: str, request: Request) -> Response:
    """RFC 8058: `List-Unsubscribe=One-Click` opts the link's customer out of e-mail."""
    form = await _form(request)
    if form.get("List-Unsubscribe") != "One-Click":
        return _plain("List-Unsubscribe=One-Click expected", 400)
    with app_state(request).db.write() as session:
        try:
            link = links.resolve(session, token)
        except links.LinkInvalid:
            return _invalid(request)
        service.unsubscribe(session, link, "EMAIL", service.actor_for(link, request_id_of(request)))
        lang = language_of(service.view(session, link).customer.locale)
    return _plain(texts(lang)["unsubscribed"], 200, lang)


@router.post("/c/{token}/{action}")
async def customer_action(token: str, action: str, request: Request) -> Response:
    form = await _form(request)
    state = app_state(request)
    if action == "pay":
        return _pay(request, token, form)
    if action not in ("promise", "dispute", "paid", "unsubscribe-channel"):
        return _invalid(request)
    try:
        with state.db.write() as session:
            link = links.resolve(session, token)
            if not links.csrf_ok(token, form.get("csrf_token")):
                return _plain("This form has expired; open the link again.", 403)
            actor = service.actor_for(link, request_id_of(request))
            if action == "promise":
                service.promise(session, link, _date(form.get("date")), form.get("note"), actor)
            elif action == "dispute":
                service.dispute(
                    session, link, form.get("reason", ""), form.get("text", "")[:2000], actor
                )
            elif action == "paid":
                service.already_paid(session, link, form.get("note", "")[:2000], actor)
            else:
                service.unsubscribe(session, link, form.get("channel", ""), actor)
    except links.LinkInvalid:
        return _invalid(request)
    except DomainError as exc:
        with state.db.read() as session:
            link = links.resolve(session, token)
            return _page(request, session, link, token, error=exc.detail, status=exc.status)
    with state.db.read() as session:
        link = links.resolve(session, token)
        lang = language_of(service.view(session, link).customer.locale)
        return _page(request, session, link, token, message=texts(lang)["done"])


def _date(raw: str | None) -> date:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        raise Invalid("a date such as 2026-12-31", field="date") from None


def _pay(request: Request, token: str, form: dict[str, str]) -> Response:
    state = app_state(request)
    config = _stripe(request)
    with state.db.read() as session:
        try:
            link = links.resolve(session, token)
            case = service.own_case(session, link, form.get("invoice", ""))
        except links.LinkInvalid:
            return _invalid(request)
        if not links.csrf_ok(token, form.get("csrf_token")):
            return _plain("This form has expired; open the link again.", 403)
        if config is None or case.status in ("RESOLVED", "WRITTEN_OFF", "CANCELLED"):
            return _page(request, session, link, token)
        creditor = creditor_of(session).name
        description = f"{creditor} · {case.invoice_number or case.id}".strip(" ·")
        return_url = links.page_url(session, token)
        session.expunge(case)
    try:
        url = card.checkout_url(config, case, return_url=return_url, description=description)
    except DomainError as exc:
        return _plain(exc.detail, exc.status)
    return RedirectResponse(url, status_code=303)
