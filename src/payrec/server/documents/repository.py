"""Document queries for the review queue."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.models import Document, Extraction


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
