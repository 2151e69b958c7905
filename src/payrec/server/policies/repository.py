"""Policy queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from payrec.server.models import MessageTemplate, Policy
from payrec.server.pagination import count_and_page


def get(session: Session, policy_id: str, *, for_update: bool = False) -> Policy | None:
    stmt = select(Policy).where(Policy.id == policy_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def page(
    session: Session, *, offset: int, limit: int, exclude: str | None = None
) -> tuple[Sequence[Policy], int]:
    conditions = [Policy.id != exclude] if exclude else []
    order = (Policy.created_at, Policy.id)
    return count_and_page(session, Policy, conditions, order, offset=offset, limit=limit)


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
