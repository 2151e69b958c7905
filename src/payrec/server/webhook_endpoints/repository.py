"""Outbound webhook queries: live endpoints, the delivery queue in per-case order."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, aliased

from payrec.server.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

OPEN = ("PENDING", "IN_PROGRESS")


def live_endpoint(session: Session, endpoint_id: str) -> WebhookEndpoint | None:
    return session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.deleted_at.is_(None)
        )
    )


def live_endpoints(session: Session) -> Sequence[WebhookEndpoint]:
    return session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.deleted_at.is_(None))
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    ).all()


def last_statuses(session: Session, endpoint_ids: Sequence[str]) -> dict[str, str]:
    """Each endpoint's newest delivery's status (endpoints without one are left out)."""
    if not endpoint_ids:
        return {}
    newest = (
        select(func.max(WebhookDelivery.seq))
        .where(WebhookDelivery.endpoint_id.in_(list(endpoint_ids)))
        .group_by(WebhookDelivery.endpoint_id)
    )
    rows = session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status).where(
            WebhookDelivery.seq.in_(newest)
        )
    )
    return {row.endpoint_id: row.status for row in rows}


def endpoints_by_id(session: Session, ids: Sequence[str]) -> dict[str, WebhookEndpoint]:
    rows = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(list(ids))))
    return {row.id: row for row in rows}


def due(session: Session, now: datetime, limit: int) -> Sequence[WebhookDelivery]:
    """Due PENDING deliveries whose case has no earlier one still open at the same endpoint,
    oldest first, locked (skipping those another claim holds)."""
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(
        and_(
            earlier.endpoint_id == WebhookDelivery.endpoint_id,
            earlier.recovery_case_id == WebhookDelivery.recovery_case_id,
            earlier.seq < WebhookDelivery.seq,
            earlier.status.in_(OPEN),
        )
    )
    return session.scalars(
        select(WebhookDelivery)
        .where(
            WebhookDelivery.status == "PENDING",
            WebhookDelivery.next_attempt_at <= now,
            ~blocked,
        )
        .order_by(WebhookDelivery.seq)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def expired(session: Session, now: datetime) -> Sequence[WebhookDelivery]:
    return session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.status == "IN_PROGRESS", WebhookDelivery.lease_expires_at < now)
        .limit(500)
        .with_for_update(skip_locked=True)
    ).all()


def delivery(
    session: Session, delivery_id: str, *, for_update: bool = False
) -> WebhookDelivery | None:
    stmt = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def deliveries_for_update(session: Session, ids: Sequence[str]) -> dict[str, WebhookDelivery]:
    """The deliveries with these ids, locked in `seq` order (as every batch locks them)."""
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.id.in_(list(ids)))
        .order_by(WebhookDelivery.seq)
        .with_for_update()
    )
    return {row.id: row for row in rows}


def deliveries_of(
    session: Session, endpoint_id: str, status: str | None, limit: int
) -> Sequence[WebhookDelivery]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status:
        stmt = stmt.where(WebhookDelivery.status == status)
    return session.scalars(stmt.order_by(WebhookDelivery.seq.desc()).limit(limit)).all()


def open_deliveries_of(session: Session, endpoint_id: str) -> Sequence[WebhookDelivery]:
    return session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.status.in_(OPEN))
        .with_for_update()
    ).all()


def attempts_of(session: Session, ids: Sequence[str]) -> dict[str, list[WebhookAttempt]]:
    found: dict[str, list[WebhookAttempt]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(list(ids)))
        .order_by(WebhookAttempt.at, WebhookAttempt.id)
    )
    for row in rows:
        found[row.delivery_id].append(row)
    return found
