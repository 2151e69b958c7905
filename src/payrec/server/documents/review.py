"""Reviewing what extraction flagged: approve with corrected fields, reject, or retry.

An approval goes through `extractions.apply.apply_extraction`, the very function an
extraction above the confidence threshold goes through: the case is filled or created
exactly as it would have been. The review is stored as an extraction of its own (method
`REVIEW`), so the document's history shows what the reviewer decided and with which fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.audit.subjects import record_change
from payrec.server.documents import repository
from payrec.server.documents.review_schemas import ReviewedFields, ReviewOut, ReviewRequest
from payrec.server.documents.schemas import DocumentOut
from payrec.server.documents.service import get, to_out
from payrec.server.errors import Conflict, Invalid, NotFound
from payrec.server.extractions.apply import apply_extraction
from payrec.server.extractions.service import to_out as extraction_out
from payrec.server.jsonio import to_plain
from payrec.server.models import Document, Extraction

REVIEWABLE = ("NEEDS_REVIEW",)
RETRYABLE = ("FAILED",)
REVIEW_CONFIDENCE = Decimal(1)  # a person read the document


@dataclass(frozen=True)
class QueueItem:
    document: Document
    extraction: Extraction | None

    @property
    def fields(self) -> dict[str, Any]:
        return extracted_fields(self.extraction)

    @property
    def field_confidence(self) -> dict[str, str]:
        data = self.extraction.extracted_data if self.extraction is not None else {}
        found = (data or {}).get("_fieldConfidence")
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def queue(session: Session, status: str, *, limit: int = 200) -> tuple[list[QueueItem], int]:
    """Documents in `status` (NEEDS_REVIEW, FAILED), oldest first, with their last extraction."""
    rows, total = repository.page(
        session, status=status, doc_type=None, case_id=None, offset=0, limit=limit
    )
    latest = repository.latest_extractions(session, [d.id for d in rows])
    return [QueueItem(d, latest.get(d.id)) for d in rows], total


def item(session: Session, document_id: str) -> QueueItem:
    document = get(session, document_id)
    return QueueItem(
        document, repository.latest_extractions(session, [document.id]).get(document.id)
    )


def _locked(session: Session, document_id: str) -> Document:
    document = repository.get_for_update(session, document_id)
    if document is None:
        raise NotFound("document", document_id)
    return document


def extracted_fields(extraction: Extraction | None) -> dict[str, Any]:
    """What extraction read, without its bookkeeping keys (`_fieldConfidence`, `_method`)."""
    if extraction is None:
        return {}
    return {k: v for k, v in (extraction.extracted_data or {}).items() if not k.startswith("_")}


def corrected(base: dict[str, Any], fields: ReviewedFields) -> dict[str, Any]:
    """The extracted data with the reviewer's fields laid over it."""
    data = dict(base)
    given = fields.model_dump(by_alias=True, exclude_none=True)
    if "amount" in given:
        data.pop("amountDue", None)  # the reviewer's amount is the amount due
    for key, value in given.items():
        data[key] = value.isoformat() if hasattr(value, "isoformat") else value
    plain: dict[str, Any] = to_plain(data)
    return plain


def review(
    session: Session,
    document_id: str,
    request: ReviewRequest,
    *,
    threshold: Decimal,
    base_url: str,
    actor: Actor,
) -> ReviewOut:
    document = _locked(session, document_id)
    if document.status not in REVIEWABLE:
        raise Conflict(
            f"document {document.id} is {document.status}; only documents waiting for "
            "review (NEEDS_REVIEW) can be approved or rejected",
            code="document-not-in-review",
        )
    latest = repository.latest_extractions(session, [document.id]).get(document.id)
    before = {"status": document.status, "failureReason": document.failure_reason}
    if request.decision == "REJECT":
        document.status = "REJECTED"
        document.failure_reason = (request.reason or "rejected by a reviewer")[:2000]
        session.flush()
        _audit(session, actor, document, before, decision="REJECT", reason=request.reason)
        return ReviewOut(
            document=to_out(document, base_url),
            decision="REJECT",
            recovery_case_id=document.recovery_case_id,
        )
    data = corrected(extracted_fields(latest), request.fields)
    outcome = apply_extraction(
        session, document, data, REVIEW_CONFIDENCE, min(threshold, REVIEW_CONFIDENCE), actor
    )
    if outcome.status == "NEEDS_REVIEW":
        # nothing was changed: the transaction rolls back with this answer
        raise Invalid(f"cannot approve: {outcome.detail}", field="fields")
    extraction = Extraction(
        document_id=document.id,
        extraction_type=latest.extraction_type if latest is not None else document.type,
        extracted_data={**data, "_method": "REVIEW"},
        confidence=REVIEW_CONFIDENCE,
        extracted_at=datetime.now(UTC),
        outcome=outcome.status,
        outcome_detail=outcome.detail,
    )
    session.add(extraction)
    document.status = "EXTRACTED"
    document.failure_reason = None
    session.flush()
    _audit(
        session,
        actor,
        document,
        before,
        decision="APPROVE",
        reason=request.reason,
        extra={
            "extractionId": extraction.id,
            "outcome": outcome.status,
            "fields": request.fields.model_dump(by_alias=True, exclude_none=True),
        },
        case_id=outcome.case_id,
    )
    return ReviewOut(
        document=to_out(document, base_url),
        decision="APPROVE",
        extraction=extraction_out(extraction, outcome.case_id),
        recovery_case_id=outcome.case_id,
    )


def retry(session: Session, document_id: str, *, base_url: str, actor: Actor) -> DocumentOut:
    """Send a failed document back to extraction."""
    document = _locked(session, document_id)
    if document.status not in RETRYABLE:
        raise Conflict(
            f"document {document.id} is {document.status}; only FAILED documents can be retried",
            code="document-not-failed",
        )
    before = {"status": document.status, "failureReason": document.failure_reason}
    document.status = "PENDING_EXTRACTION"
    document.failure_reason = None
    session.flush()
    record_change(
        session,
        actor,
        "document.retried",
        document,
        before=before,
        after={"status": document.status},
    )
    return to_out(document, base_url)


def _audit(
    session: Session,
    actor: Actor,
    document: Document,
    before: dict[str, Any],
    *,
    decision: str,
    reason: str | None,
    extra: dict[str, Any] | None = None,
    case_id: str | None = None,
) -> None:
    record(
        session,
        actor,
        action="document.reviewed",
        entity_type="document",
        entity_id=document.id,
        case_id=case_id or document.recovery_case_id,
        before=before,
        after={
            "status": document.status,
            "decision": decision,
            "reason": reason,
            **(extra or {}),
        },
    )
