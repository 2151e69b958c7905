"""Stored template queries (the shipped ones live in `payrec.domain.default_templates`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.models import MessageTemplate


def get(
    session: Session, template_id: str, language: str, *, for_update: bool = False
) -> MessageTemplate | None:
    stmt = select(MessageTemplate).where(
        MessageTemplate.template_id == template_id, MessageTemplate.language == language
    )
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def all_stored(session: Session, template_id: str | None = None) -> Sequence[MessageTemplate]:
    stmt = select(MessageTemplate).order_by(MessageTemplate.template_id, MessageTemplate.language)
    if template_id is not None:
        stmt = stmt.where(MessageTemplate.template_id == template_id)
    return session.scalars(stmt).all()
