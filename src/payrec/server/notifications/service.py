"""Notifications: PENDING → SENT / FAILED / CANCELLED, claimable with leases like tasks."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from payrec.domain.leases import holds, release
from payrec.domain.states import NOTIFICATION, check_transition
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.errors import Conflict, Invalid, NotFound
from payrec.server.models import Notification, RecoveryCase
from payrec.server.notifications.schemas import (
    NotificationClaim,
    NotificationCreate,
    NotificationOut,
    NotificationStatusUpdate,
)


def to_out(item: Notification, *, with_lease: bool = False) -> NotificationOut:
    return NotificationOut.from_row(item, lease_token=item.lease_token if with_lease else None)


def get(session: Session, notification_id: str, *, for_update: bool = False) -> Notification:
    stmt = select(Notification).where(Notification.id == notification_id)
    if for_update:
        stmt = stmt.with_for_update()
    item = session.scalar(stmt)
    if item is None:
        raise NotFound("notification", notification_id)
    return item


def create(session: Session, data: NotificationCreate, actor: Actor) -> Notification:
    if (
        data.recovery_case_id is not None
        and session.get(RecoveryCase, data.recovery_case_id) is None
    ):
        raise Invalid("unknown recovery case", field="recoveryCaseId")
    item = Notification(
        recovery_case_id=data.recovery_case_id,
        type=data.type,
        recipient=data.recipient,
        subject=data.subject,
        body=data.body,
        priority=data.priority,
        scheduled_for=data.scheduled_for or datetime.now(UTC),
        status="PENDING",
    )
    session.add(item)
    session.flush()
    record_change(
        session,
        actor,
        "notification.created",
        item,
        after={"type": item.type, "recipient": item.recipient, "subject": item.subject},
    )
    return item


def update_status(
    session: Session, notification_id: str, data: NotificationStatusUpdate, actor: Actor
) -> Notification:
    item = get(session, notification_id, for_update=True)
    leased = item.status == "IN_PROGRESS" and item.lease_token is not None
    if leased and not holds(data.lease_token, item.lease_token):
        raise Conflict("stale or missing lease token for this notification", code="stale-lease")
    before = item.status
    if not check_transition(NOTIFICATION, item.status, data.status):
        return item
    item.status = data.status
    if data.status == "SENT":
        item.sent_at = data.sent_at or datetime.now(UTC)
    if data.external_id:
        item.external_id = data.external_id
    if data.error:
        item.error = data.error
    if data.status == "PENDING":
        released = release(
            item.attempts, item.max_attempts, counts_as_attempt=before == "IN_PROGRESS"
        )
        item.attempts = released.attempts
        item.lease_token = None
        item.lease_expires_at = None
        item.scheduled_for = data.retry_at or datetime.now(UTC)
        if released.gave_up:
            item.status = "FAILED"
    elif data.status in ("SENT", "FAILED", "CANCELLED"):
        item.lease_expires_at = None
    record_change(
        session,
        actor,
        "notification.status_changed",
        item,
        before={"status": before},
        after={"status": item.status, "externalId": item.external_id, "error": item.error},
    )
    session.flush()
    return item


def claim(session: Session, data: NotificationClaim, actor: Actor) -> Sequence[Notification]:
    now = datetime.now(UTC)
    _expire(session, now)
    items = session.scalars(due(now, data.types, data.limit)).all()
    for item in items:
        item.status = "IN_PROGRESS"
        item.lease_token = secrets.token_urlsafe(24)
        item.lease_expires_at = now + timedelta(seconds=data.lease_seconds)
        item.locked_by = data.worker_id
    session.flush()
    return items


def due(now: datetime, types: Sequence[str] | None, limit: int) -> Select[Notification]:
    """Due PENDING notifications in claim order (time, then id: the `ix_notifications_due`
    order), locked, skipping those another claim holds."""
    stmt = select(Notification).where(
        Notification.status == "PENDING", Notification.scheduled_for <= now
    )
    if types:
        stmt = stmt.where(Notification.type.in_(list(types)))
    return (
        stmt.order_by(Notification.scheduled_for, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def _expire(session: Session, now: datetime) -> None:
    expired = session.scalars(
        select(Notification)
        .where(Notification.status == "IN_PROGRESS", Notification.lease_expires_at < now)
        .limit(500)
        .with_for_update(skip_locked=True)
    ).all()
    for item in expired:
        released = release(item.attempts, item.max_attempts, counts_as_attempt=True)
        item.attempts = released.attempts
        item.lease_token = None
        item.lease_expires_at = None
        item.status = "FAILED" if released.gave_up else "PENDING"
