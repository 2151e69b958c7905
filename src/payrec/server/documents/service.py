"""Documents: upload, listing, and the bytes for whoever may read them."""

from __future__ import annotations

from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.documents.schemas import DocumentOut
from payrec.server.documents.storage import DocumentStore, sniff_mime
from payrec.server.errors import Invalid, NotFound
from payrec.server.models import Document, RecoveryCase

ALLOWED_MIME = {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/tiff",
    "application/xml",
    "text/xml",
}


def to_out(document: Document, base_url: str) -> DocumentOut:
    return DocumentOut.from_row(
        document,
        download_url=f"{base_url}/api/v1/automation/documents/{document.id}/content",
        metadata={"recoveryCaseId": document.recovery_case_id, "mimeType": document.mime_type},
    )


def get(session: Session, document_id: str) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise NotFound("document", document_id)
    return document


def content(session: Session, store: DocumentStore, document_id: str) -> tuple[str, str, bytes]:
    """A document's media type, a file name safe for a header, and its bytes."""
    document = get(session, document_id)
    data = store.get(document.sha256)
    safe = "".join(ch for ch in document.file_name if ch.isalnum() or ch in "._- ")
    return document.mime_type, safe or "document", data


def upload(
    session: Session,
    store: DocumentStore,
    *,
    data: bytes,
    file_name: str,
    declared_mime: str | None,
    doc_type: str,
    case_id: str | None,
    actor: Actor,
) -> Document:
    if not data:
        raise Invalid("the uploaded file is empty", field="file")
    if case_id is not None and session.get(RecoveryCase, case_id) is None:
        raise Invalid("unknown recovery case", field="recoveryCaseId")
    mime = sniff_mime(data, declared_mime)
    if mime not in ALLOWED_MIME:
        raise Invalid("only PDF, PNG, JPEG, TIFF or XML documents are accepted", field="file")
    digest = store.put(data)
    document = Document(
        type=doc_type,
        file_name=file_name[:300] or "document",
        mime_type=mime,
        sha256=digest,
        size=len(data),
        recovery_case_id=case_id,
        status="PENDING_EXTRACTION",
    )
    session.add(document)
    session.flush()
    record(
        session,
        actor,
        action="document.uploaded",
        entity_type="document",
        entity_id=document.id,
        case_id=case_id,
        after={"fileName": document.file_name, "type": doc_type, "sha256": digest},
    )
    return document
