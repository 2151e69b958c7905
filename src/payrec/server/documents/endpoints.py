"""Documents: upload and lists (management), pending extraction and content (automation)."""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Query, Request, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from payrec.config import Settings
from payrec.server.automation_deps import AutomationContext, ManagementContext, StaffContext
from payrec.server.context import RequestContext
from payrec.server.documents import repository, review, service
from payrec.server.documents.review_schemas import ReviewOut, ReviewRequest
from payrec.server.documents.schemas import DocumentList, DocumentOut, DocumentStatus, DocumentType
from payrec.server.documents.storage import DocumentStore
from payrec.server.errors import PayloadTooLarge
from payrec.server.jsonio import json_response
from payrec.server.pagination import PageQuery
from payrec.server.routing import api_router

automation_router = api_router(prefix="/documents", tags=["documents"])
management_router = api_router(prefix="/documents", tags=["documents"])


_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::", "[::]"})


def base_url(ctx: RequestContext) -> str:
    """`origin` of the request's backend."""
    return origin(ctx.state.settings)


def origin(settings: Settings) -> str:
    """The origin of the URLs the backend hands out (`downloadUrl`): PAYREC_PUBLIC_URL, else
    the address it is configured to listen on, else none (the URLs are then relative).

    Never the request's `Host` header: whoever sends the request chooses it, and a link
    pointing elsewhere would carry the next caller's API key to that host.
    """
    if settings.public_url:
        return str(settings.public_url).rstrip("/")
    host = str(settings.host).strip()
    if host in _ANY_ADDRESS:
        return ""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def store_of(ctx: RequestContext) -> DocumentStore:
    return DocumentStore(ctx.state.settings.data_dir / "documents")


def _content(ctx: RequestContext, document_id: str) -> Response:
    with ctx.read() as session:
        document = service.get(session, document_id)
        mime, name, digest = document.mime_type, document.file_name, document.sha256
    data = store_of(ctx).get(digest)
    safe_name = "".join(ch for ch in name if ch.isalnum() or ch in "._- ") or "document"
    return Response(
        data,
        media_type=mime,
        headers={"Content-Disposition": f'attachment; filename="{safe_name}"'},
    )


@automation_router.get("/pending-extraction", response_model=DocumentList)
def get_pending_documents(
    ctx: AutomationContext,
    type: DocumentType | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
) -> Response:
    with ctx.read() as session:
        rows, total = repository.page(
            session, status="PENDING_EXTRACTION", doc_type=type, case_id=None, offset=0, limit=limit
        )
        body = DocumentList(documents=[service.to_out(d, base_url(ctx)) for d in rows], total=total)
    return json_response(body)


@automation_router.get("/{document_id}/content", response_class=Response)
def get_document_content(document_id: str, ctx: AutomationContext) -> Response:
    return _content(ctx, document_id)


@management_router.post("", status_code=201, response_model=DocumentOut)
async def upload_document(
    request: Request,
    ctx: ManagementContext,
    file: Annotated[UploadFile, File()],
    type: Annotated[DocumentType, Form()] = "INVOICE",
    recovery_case_id: Annotated[str | None, Form(alias="recoveryCaseId", max_length=40)] = None,
) -> Response:
    limit = ctx.state.settings.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"documents may be at most {limit} bytes")
    store = store_of(ctx)
    return await run_in_threadpool(
        ctx.write,
        lambda s: service.to_out(
            service.upload(
                s,
                store,
                data=data,
                file_name=file.filename or "document",
                declared_mime=file.content_type,
                doc_type=type,
                case_id=recovery_case_id or None,
                actor=ctx.actor,
            ),
            base_url(ctx),
        ),
        status_code=201,
    )


@management_router.get("", response_model=DocumentList)
def list_documents(
    ctx: ManagementContext,
    page: PageQuery,
    status: DocumentStatus | None = None,
    type: DocumentType | None = None,
    recovery_case_id: Annotated[str | None, Query(alias="recoveryCaseId", max_length=40)] = None,
) -> Response:
    with ctx.read() as session:
        rows, total = repository.page(
            session,
            status=status,
            doc_type=type,
            case_id=recovery_case_id,
            offset=page.offset,
            limit=page.limit,
        )
        body = DocumentList(
            documents=[service.to_out(d, base_url(ctx)) for d in rows],
            total=total,
            next_cursor=page.next_cursor(len(rows), total),
        )
    return json_response(body)


@management_router.get("/{document_id}", response_model=DocumentOut)
def get_document(document_id: str, ctx: ManagementContext) -> Response:
    with ctx.read() as session:
        return json_response(service.to_out(service.get(session, document_id), base_url(ctx)))


@management_router.get("/{document_id}/content", response_class=Response)
def get_document_content_managed(document_id: str, ctx: ManagementContext) -> Response:
    return _content(ctx, document_id)


@management_router.post("/{document_id}/review", response_model=ReviewOut)
def review_document(document_id: str, body: ReviewRequest, ctx: StaffContext) -> Response:
    """Approve a flagged document with corrected fields (the case is filled or created exactly
    as an extraction above the threshold would) or reject it; ADMIN or AGENT; audited."""
    threshold = ctx.state.settings.auto_apply_confidence
    return ctx.write(
        lambda s: review.review(
            s, document_id, body, threshold=threshold, base_url=base_url(ctx), actor=ctx.actor
        )
    )


@management_router.post("/{document_id}/retry", response_model=DocumentOut)
def retry_document(document_id: str, ctx: StaffContext) -> Response:
    """Send a FAILED document back to extraction (409 for any other status); audited."""
    return ctx.write(
        lambda s: review.retry(s, document_id, base_url=base_url(ctx), actor=ctx.actor)
    )
