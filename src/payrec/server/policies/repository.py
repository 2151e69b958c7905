"""Policy queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payrec.server.models import MessageTemplate, Policy


def get(session: Session, policy_id: str, *, for_update: bool = False) -> Policy | None:
    stmt = select(Policy).where(Policy.id == policy_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def page(
    session: Session, *, offset: int, limit: int, exclude: str | None = None
) -> tuple[Sequence[Policy], int]:
    conditions = [Policy.id != exclude] if exclude else []
    total = session.scalar(select(func.count()).select_from(Policy).where(*conditions)) or 0
    rows = session.scalars(
        select(Policy)
        .where(*conditions)
        .order_by(Policy.created_at, Policy.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def stored_template_channels(session: Session, template_ids: Sequence[str]) -> dict[str, set[str]]:
    """Channels of the stored templates with these ids (any language)."""
    found: dict[str, set[str]] = {}
    if not template_ids:
        return found
    rows = session.execute(
        select(MessageTemplate.template_id, MessageTemplate.channel).where(
            MessageTemplate.template_id.in_(list(template_ids))
        )
    ).all()
    for template_id, channel in rows:
        found.setdefault(template_id, set()).add(channel)
    return found
