"""The customer page's queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from payrec.domain.cases import TERMINAL
from payrec.server.models import Document, PortalLink, RecoveryCase


def link(session: Session, token: str) -> PortalLink | None:
    return session.get(PortalLink, token)


def young_link(session: Session, case_id: str, fresh_until: datetime) -> PortalLink | None:
    """The case's newest live link that stays valid past `fresh_until`."""
    return session.scalars(
        select(PortalLink)
        .where(
            PortalLink.recovery_case_id == case_id,
            PortalLink.expires_at > fresh_until,
            PortalLink.revoked_at.is_(None),
        )
        .order_by(PortalLink.expires_at.desc())
        .limit(1)
    ).first()


def revoke_case_links(session: Session, case_id: str, now: object) -> int:
    result = session.execute(
        update(PortalLink)
        .where(PortalLink.recovery_case_id == case_id, PortalLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def open_cases(session: Session, customer_id: str) -> Sequence[RecoveryCase]:
    return session.scalars(
        select(RecoveryCase)
        .where(RecoveryCase.customer_id == customer_id, RecoveryCase.status.not_in(TERMINAL))
        .order_by(RecoveryCase.due_date, RecoveryCase.id)
    ).all()


def pdfs(session: Session, case_ids: Sequence[str]) -> dict[str, str]:
    """The newest uploaded PDF of each case (case id -> document id)."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Document.recovery_case_id, Document.id)
        .where(Document.recovery_case_id.in_(case_ids), Document.mime_type == "application/pdf")
        .order_by(Document.uploaded_at)
    ).all()
    return {str(case_id): str(doc_id) for case_id, doc_id in rows}
