"""The review queue (`/app/review`): documents extraction flagged (NEEDS_REVIEW) and those it
failed on (FAILED, with Retry). A flagged document opens beside its extracted fields; the
reviewer corrects them and approves (the same `documents.review` service as
`POST /api/v1/documents/{id}/review`: the case is filled or created exactly as an extraction
above the threshold would) or rejects. The document itself is shown from same-origin routes
for the signed-in user: its pages as PNG, and the file inline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from payrec.server.auth.dependencies import app_state
from payrec.server.documents import pages as document_pages
from payrec.server.documents import review
from payrec.server.documents import service as documents
from payrec.server.documents.endpoints import origin
from payrec.server.documents.review_schemas import ReviewOut, ReviewRequest
from payrec.server.documents.storage import DocumentStore
from payrec.server.errors import DomainError, Invalid, NotFound
from payrec.server.users.service import SignedIn
from payrec.server.web.forms import checked_form, in_write, text_fields
from payrec.server.web.i18n import Formatter
from payrec.server.web.pages import current_user, error_page, render, see_other

router = APIRouter(prefix="/app/review", include_in_schema=False)
Who = Annotated[SignedIn, Depends(current_user)]
# the reviewer's fields, in the order the form shows them (wire names of ReviewedFields)
FIELDS = (
    "invoiceNumber",
    "amount",
    "currency",
    "issueDate",
    "dueDate",
    "customerName",
    "customerEmail",
    "customerPhone",
    "customerAddress",
    "customerVatId",
    "customerLanguage",
    "issuerName",
)
_DOCUMENT_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'self'; sandbox",
}


def _labels(fmt: Formatter) -> dict[str, str]:
    _ = fmt.gettext
    return {
        "invoiceNumber": _("Invoice number"),
        "amount": _("Amount"),
        "currency": _("Currency"),
        "issueDate": _("Issue date"),
        "dueDate": _("Due date"),
        "customerName": _("Customer name"),
        "customerEmail": _("Customer email"),
        "customerPhone": _("Customer phone"),
        "customerAddress": _("Customer address"),
        "customerVatId": _("Customer VAT ID"),
        "customerLanguage": _("Customer language"),
        "issuerName": _("Issuer name"),
        "reason": _("Reason"),
        "fields": _("Fields"),
    }


def _store(request: Request) -> DocumentStore:
    return DocumentStore(app_state(request).settings.data_dir / "documents")


@router.get("")
def review_queue(request: Request, who: Who) -> Response:
    """Flagged documents to review, and failed ones to retry, oldest first."""
    with app_state(request).db.read() as session:  # rendered while the rows are bound
        flagged, flagged_total = review.queue(session, "NEEDS_REVIEW")
        failed, failed_total = review.queue(session, "FAILED")
        return render(
            request,
            "review_queue.html",
            who,
            flagged=flagged,
            flagged_total=flagged_total,
            failed=failed,
            failed_total=failed_total,
            done=request.query_params.get("done", "")[:20],
        )


def _shown(fields: dict[str, Any]) -> dict[str, str]:
    """The extracted values as the form's text (amounts and dates as read)."""
    return {name: "" if fields.get(name) is None else str(fields[name]) for name in FIELDS}


def document_page_response(
    request: Request,
    document_id: str,
    who: SignedIn,
    *,
    status_code: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    fmt = Formatter(who.language)
    try:
        with app_state(request).db.read() as session:
            found = review.item(session, document_id)
            mime, _name, data = documents.content(session, _store(request), document_id)
            document = documents.to_out(found.document, "")
            outcome = found.extraction.outcome_detail if found.extraction else None
            extracted = _shown(found.fields)
            confidence = found.field_confidence
    except (NotFound, FileNotFoundError):
        return error_page(request, 404, fmt.gettext("Not found"), who)
    pages = 0
    if mime == "application/pdf":
        try:
            pages = document_pages.page_count(data)
        except Invalid:
            pages = 0
    return render(
        request,
        "review_document.html",
        who,
        status_code=status_code,
        document=document,
        outcome=outcome,
        mime=mime,
        pages=pages,
        fields=FIELDS,
        labels=_labels(fmt),
        values={**extracted, **(values or {})},
        confidence=confidence,
        error=error,
    )


@router.get("/{document_id}")
def document_page(request: Request, document_id: str, who: Who) -> Response:
    """A flagged (or failed) document beside the fields extraction read from it."""
    return document_page_response(request, document_id, who)


@router.get("/{document_id}/document")
def document_file(request: Request, document_id: str, who: Who) -> Response:
    """The document's own bytes, for the signed-in user, shown inline (sandboxed)."""
    try:
        with app_state(request).db.read() as session:
            mime, name, data = documents.content(session, _store(request), document_id)
    except (NotFound, FileNotFoundError):
        return error_page(request, 404, Formatter(who.language).gettext("Not found"), who)
    headers = {**_DOCUMENT_HEADERS, "Content-Disposition": f'inline; filename="{name}"'}
    return Response(data, media_type=mime, headers=headers)


@router.get("/{document_id}/pages/{number}.png")
async def document_page_image(
    request: Request,
    document_id: str,
    number: Annotated[int, Path(ge=1, le=document_pages.MAX_PAGES_SHOWN)],
    who: Who,
) -> Response:
    """Page `number` of a PDF document as PNG (for browsers that show no PDF inline)."""
    _ = Formatter(who.language).gettext
    try:
        with app_state(request).db.read() as session:
            _mime, _name, data = documents.content(session, _store(request), document_id)
        image = await run_in_threadpool(document_pages.page_png, data, number)
    except (NotFound, FileNotFoundError):
        return error_page(request, 404, _("Not found"), who)
    except Invalid:
        return error_page(request, 422, _("This document is not a readable PDF."), who)
    return Response(image, media_type="image/png", headers=dict(_DOCUMENT_HEADERS))


def _validation_message(exc: ValidationError, fmt: Formatter) -> str:
    _ = fmt.gettext
    first = exc.errors()[0]
    names = [str(part) for part in first.get("loc", ()) if isinstance(part, str)]
    field = names[-1] if names else ""
    label = _labels(fmt).get(field, field or _("Fields"))
    return _("%(field)s: %(problem)s", field=label, problem=first.get("msg", ""))


async def _decide(
    request: Request,
    document_id: str,
    who: SignedIn,
    body: Callable[[dict[str, str]], dict[str, Any]],
    done: Callable[[ReviewOut], str],
) -> Response:
    """CSRF first; then the review service in one write; bad input shows the form again."""
    form = await checked_form(request, who)
    if isinstance(form, Response):
        return form
    fmt = Formatter(who.language)
    values = text_fields(form)
    settings = app_state(request).settings

    def write(session: Session) -> ReviewOut:
        decision = ReviewRequest.model_validate(body(values))
        return review.review(
            session,
            document_id,
            decision,
            threshold=settings.auto_apply_confidence,
            base_url=origin(settings),
            actor=who.actor,
        )

    shown = {k: v for k, v in values.items() if k in FIELDS}
    try:
        result = await in_write(request, write)
    except ValidationError as exc:
        message = _validation_message(exc, fmt)
        return document_page_response(
            request, document_id, who, status_code=422, error=message, values=shown
        )
    except NotFound:
        return error_page(request, 404, fmt.gettext("Not found"), who)
    except DomainError as exc:
        return document_page_response(
            request, document_id, who, status_code=exc.status, error=exc.detail, values=shown
        )
    return see_other(request, done(result))


@router.post("/{document_id}/approve")
async def approve(request: Request, document_id: str, who: Who) -> Response:
    """Approve with the fields as corrected (an empty field keeps what extraction read)."""

    def body(values: dict[str, str]) -> dict[str, Any]:
        fields = {name: values[name] for name in FIELDS if values.get(name)}
        return {"decision": "APPROVE", "fields": fields}

    def done(result: ReviewOut) -> str:
        if result.recovery_case_id:
            return f"/app/cases/{result.recovery_case_id}"
        return "/app/review?done=approved"

    return await _decide(request, document_id, who, body, done)


@router.post("/{document_id}/reject")
async def reject(request: Request, document_id: str, who: Who) -> Response:
    def body(values: dict[str, str]) -> dict[str, Any]:
        reason = values.get("reason")
        return {"decision": "REJECT", **({"reason": reason} if reason else {})}

    return await _decide(request, document_id, who, body, lambda _r: "/app/review?done=rejected")


@router.post("/{document_id}/retry")
async def retry(request: Request, document_id: str, who: Who) -> Response:
    """Send a failed document back to extraction (the API's `/retry`)."""
    form = await checked_form(request, who)
    if isinstance(form, Response):
        return form
    base_url = origin(app_state(request).settings)
    try:
        await in_write(
            request, lambda s: review.retry(s, document_id, base_url=base_url, actor=who.actor)
        )
    except NotFound:
        return error_page(request, 404, Formatter(who.language).gettext("Not found"), who)
    except DomainError as exc:
        return error_page(request, exc.status, exc.detail, who)
    return see_other(request, "/app/review?done=retried")
