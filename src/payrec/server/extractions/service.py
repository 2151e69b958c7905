"""Storing extraction results and moving the document on."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.errors import Invalid
from payrec.server.events.service import document_data, emit
from payrec.server.extractions.apply import apply_extraction
from payrec.server.extractions.schemas import ExtractionCreate, ExtractionOut
from payrec.server.jsonio import to_plain
from payrec.server.models import Document, Extraction


def to_out(extraction: Extraction, case_id: str | None = None) -> ExtractionOut:
    return ExtractionOut.from_row(extraction, recovery_case_id=case_id)


def submit(
    session: Session, data: ExtractionCreate, threshold: Decimal, actor: Actor
) -> ExtractionOut:
    document = session.scalar(
        select(Document).where(Document.id == data.document_id).with_for_update()
    )
    if document is None:
        raise Invalid("unknown document", field="documentId")
    before = document.status
    stored_data = dict(data.extracted_data)
    if data.field_confidence:
        stored_data.setdefault(
            "_fieldConfidence", {k: str(v) for k, v in data.field_confidence.items()}
        )
    if data.method:
        stored_data.setdefault("_method", data.method)
    extraction = Extraction(
        document_id=document.id,
        extraction_type=data.extraction_type,
        extracted_data=_jsonable(stored_data),
        confidence=data.confidence,
        extracted_at=data.extracted_at or datetime.now(UTC),
        outcome="FAILED",
    )
    case_id = document.recovery_case_id
    if data.status == "FAILED":
        document.status = "FAILED"
        document.failure_reason = (data.error or "extraction failed")[:2000]
        extraction.outcome_detail = document.failure_reason
    else:
        outcome = apply_extraction(
            session, document, data.extracted_data, data.confidence, threshold, actor
        )
        extraction.outcome = outcome.status
        extraction.outcome_detail = outcome.detail
        document.status = "NEEDS_REVIEW" if outcome.status == "NEEDS_REVIEW" else "EXTRACTED"
        document.failure_reason = outcome.detail if outcome.status == "NEEDS_REVIEW" else None
        case_id = outcome.case_id or document.recovery_case_id
    session.add(extraction)
    session.flush()
    record(
        session,
        actor,
        action="document.extracted",
        entity_type="document",
        entity_id=document.id,
        case_id=case_id,
        before={"status": before},
        after={
            "status": document.status,
            "extractionId": extraction.id,
            "outcome": extraction.outcome,
            "detail": extraction.outcome_detail,
            "confidence": data.confidence,
        },
    )
    if document.status == "NEEDS_REVIEW":
        emit(session, "document.needs_review", document_data(document, case_id, extraction))
    return to_out(extraction, case_id)


def _jsonable(data: dict[str, object]) -> dict[str, object]:
    plain: dict[str, object] = to_plain(data)
    return plain
