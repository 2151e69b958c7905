"""Document queries: the list, the review queue."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.models import Document, Extraction
from payrec.server.pagination import count_and_page


def get_for_update(session: Session, document_id: str) -> Document | None:
    return session.scalar(select(Document).where(Document.id == document_id).with_for_update())


def latest_extractions(session: Session, document_ids: Sequence[str]) -> dict[str, Extraction]:
    """The newest extraction of each document (documents without one are left out)."""
    if not document_ids:
        return {}
    rows = session.scalars(
        select(Extraction)
        .where(Extraction.document_id.in_(list(document_ids)))
        .order_by(Extraction.document_id, Extraction.created_at, Extraction.id)
    ).all()
    return {row.document_id: row for row in rows}  # the last one of each document wins


def page(
    session: Session,
    *,
    status: str | None,
    doc_type: str | None,
    case_id: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Document], int]:
    conditions = []
    if status:
        conditions.append(Document.status == status)
    if doc_type:
        conditions.append(Document.type == doc_type)
    if case_id:
        conditions.append(Document.recovery_case_id == case_id)
    order = (Document.uploaded_at, Document.id)
    return count_and_page(session, Document, conditions, order, offset=offset, limit=limit)
