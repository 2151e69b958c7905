"""Outbound webhook endpoints (ADMIN) and their deliveries: list, redeliver, claim, report.

An endpoint's `whsec_` secret is answered once, at creation, and stored sealed with the
master key (`auth.secretbox`): the worker needs it back to sign, so it cannot be a hash.
"""

from __future__ import annotations

import base64
import secrets
import socket
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from payrec.config import Settings
from payrec.domain.webhooks import address_refusal, retry_delay
from payrec.server.actor import Actor
from payrec.server.audit.subjects import record_change
from payrec.server.auth.secretbox import SecretBox
from payrec.server.errors import Conflict, Invalid, NotFound
from payrec.server.events.service import endpoints_changed
from payrec.server.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from payrec.server.webhook_endpoints import repository
from payrec.server.webhook_endpoints.schemas import (
    AttemptOut,
    ClaimedDelivery,
    DeliveryClaim,
    DeliveryOut,
    DeliveryReport,
    DeliveryReportsOut,
    DeliveryResult,
    RecordedDelivery,
    StaleReport,
    WebhookEndpointCreate,
    WebhookEndpointOut,
)


def endpoint_out(endpoint: WebhookEndpoint, secret: str | None = None) -> WebhookEndpointOut:
    return WebhookEndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        events=list(endpoint.events or []),
        created_at=endpoint.created_at,
        secret=secret,
    )


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL that is not http(s) or whose host is (or resolves to) a refused address."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("an http:// or https:// URL with a host", field="url")
    if parts.username or parts.password:
        raise Invalid("credentials in the URL are not accepted", field="url")
    try:
        port = parts.port
    except ValueError as exc:
        raise Invalid("the URL's port is not valid", field="url") from exc
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Invalid(f"the host {parts.hostname} cannot be resolved", field="url") from exc
    for info in infos:
        why = address_refusal(str(info[4][0]))
        if why:
            raise Invalid(
                f"{parts.hostname} is {why} ({info[4][0]}); webhooks go to public addresses "
                "(PAYREC_WEBHOOK_ALLOW_PRIVATE=true admits private ones)",
                field="url",
            )


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def create(
    session: Session,
    data: WebhookEndpointCreate,
    actor: Actor,
    *,
    box: SecretBox,
    allow_private: bool,
) -> WebhookEndpointOut:
    check_url(data.url, allow_private=allow_private)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        url=data.url,
        events=sorted(set(data.events)),
        secret_sealed=box.seal(secret),
        created_at=datetime.now(UTC),
    )
    session.add(endpoint)
    session.flush()
    endpoints_changed(session)
    record_change(
        session,
        actor,
        "webhook_endpoint.created",
        endpoint,
        after={"url": endpoint.url, "events": endpoint.events},
    )
    return endpoint_out(endpoint, secret)


def get(session: Session, endpoint_id: str) -> WebhookEndpoint:
    endpoint = repository.live_endpoint(session, endpoint_id)
    if endpoint is None:
        raise NotFound("webhook endpoint", endpoint_id)
    return endpoint


def list_all(session: Session) -> list[WebhookEndpointOut]:
    """The live endpoints, oldest first, each with its newest delivery's status."""
    endpoints = repository.live_endpoints(session)
    last = repository.last_statuses(session, [e.id for e in endpoints])
    return [
        endpoint_out(e).model_copy(update={"last_delivery_status": last.get(e.id)})
        for e in endpoints
    ]


def delete(session: Session, endpoint_id: str, actor: Actor) -> None:
    """Stop sending to the endpoint: it is kept (its deliveries' history), open ones cancelled."""
    endpoint = get(session, endpoint_id)
    endpoint.deleted_at = datetime.now(UTC)
    endpoints_changed(session)
    for item in repository.open_deliveries_of(session, endpoint_id):
        item.status = "CANCELLED"
        item.lease_token = None
    record_change(
        session, actor, "webhook_endpoint.deleted", endpoint, before={"url": endpoint.url}
    )
    session.flush()


def delivery_out(item: WebhookDelivery, attempts: Sequence[WebhookAttempt] = ()) -> DeliveryOut:
    return DeliveryOut(
        id=item.id,
        endpoint_id=item.endpoint_id,
        webhook_id=item.message_id,
        type=item.type,
        recovery_case_id=item.recovery_case_id,
        status=item.status,
        attempts=item.attempts,
        next_attempt_at=item.next_attempt_at if item.status == "PENDING" else None,
        last_error=item.last_error,
        created_at=item.created_at,
        delivered_at=item.delivered_at,
        attempt_log=[
            AttemptOut(at=a.at, status_code=a.status_code, latency_ms=a.latency_ms, error=a.error)
            for a in attempts
        ],
    )


def deliveries(
    session: Session, endpoint_id: str, *, status: str | None, limit: int
) -> list[DeliveryOut]:
    get(session, endpoint_id)
    items = repository.deliveries_of(session, endpoint_id, status, limit)
    attempts = repository.attempts_of(session, [i.id for i in items])
    return [delivery_out(i, attempts[i.id]) for i in items]


def redeliver(session: Session, endpoint_id: str, delivery_id: str, actor: Actor) -> DeliveryOut:
    get(session, endpoint_id)
    item = repository.delivery(session, delivery_id, for_update=True)
    if item is None or item.endpoint_id != endpoint_id:
        raise NotFound("webhook delivery", delivery_id)
    if item.status in ("PENDING", "IN_PROGRESS"):
        raise Conflict("this delivery is still being delivered", code="delivery-open")
    before = item.status
    item.status = "PENDING"
    item.attempts = 0
    item.next_attempt_at = datetime.now(UTC)
    item.lease_token = None
    record_change(
        session,
        actor,
        "webhook_delivery.redelivered",
        item,
        before={"status": before},
        after={"status": "PENDING"},
    )
    session.flush()
    return delivery_out(item, repository.attempts_of(session, [item.id])[item.id])


def claim(
    session: Session, data: DeliveryClaim, *, box: SecretBox, settings: Settings
) -> list[ClaimedDelivery]:
    """Lease due deliveries (one per case and endpoint at a time) with what signing needs."""
    now = datetime.now(UTC)
    for item in repository.expired(session, now):
        _failed_attempt(item, settings, now, error="lease expired before a result was reported")
        session.add(WebhookAttempt(delivery_id=item.id, at=now, error=item.last_error))
    session.flush()
    items = repository.due(session, now, data.limit)
    endpoints = repository.endpoints_by_id(session, sorted({i.endpoint_id for i in items}))
    claimed: list[ClaimedDelivery] = []
    for item in items:
        endpoint = endpoints[item.endpoint_id]
        item.status = "IN_PROGRESS"
        item.lease_token = secrets.token_urlsafe(24)
        item.lease_expires_at = now + timedelta(seconds=data.lease_seconds)
        item.locked_by = data.worker_id
        claimed.append(
            ClaimedDelivery(
                id=item.id,
                webhook_id=item.message_id,
                type=item.type,
                recovery_case_id=item.recovery_case_id,
                url=endpoint.url,
                secret=box.open(endpoint.secret_sealed),
                body=item.body,
                attempts=item.attempts,
                lease_token=item.lease_token,
                allow_private=settings.webhook_allow_private,
            )
        )
    session.flush()
    return claimed


def report_many(
    session: Session, reports: Sequence[DeliveryReport], *, settings: Settings
) -> DeliveryReportsOut:
    """Record several attempts at once (one query reads and locks their deliveries): each
    succeeded, retried later with backoff, or failed for good. A result whose lease is gone
    (ran out and was counted, or another worker holds it now) is answered stale, not kept."""
    items = repository.deliveries_for_update(session, sorted({r.id for r in reports}))
    now = datetime.now(UTC)
    out = DeliveryReportsOut(recorded=[], stale=[])
    for data in reports:
        item = items.get(data.id)
        if item is None:
            out.stale.append(StaleReport(id=data.id, reason="not-found"))
            continue
        if (
            item.status != "IN_PROGRESS"
            or not item.lease_token
            or not secrets.compare_digest(item.lease_token, data.lease_token)
        ):
            out.stale.append(StaleReport(id=data.id, reason="stale-lease"))
            continue
        _record_attempt(session, item, data, settings, now)
        out.recorded.append(RecordedDelivery(id=item.id, status=item.status))
    session.flush()
    return out


def report(
    session: Session, delivery_id: str, data: DeliveryResult, *, settings: Settings
) -> DeliveryOut:
    """`PUT .../{id}/result`: `report_many` of one, answering the delivery (404/409 if not kept)."""
    one = DeliveryReport(id=delivery_id, **data.model_dump())
    for stale in report_many(session, [one], settings=settings).stale:
        if stale.reason == "not-found":
            raise NotFound("webhook delivery", delivery_id)
        raise Conflict("stale or missing lease token for this delivery", code="stale-lease")
    item = repository.delivery(session, delivery_id)
    if item is None:
        raise NotFound("webhook delivery", delivery_id)
    return delivery_out(item)


def _record_attempt(
    session: Session,
    item: WebhookDelivery,
    data: DeliveryResult,
    settings: Settings,
    now: datetime,
) -> None:
    error = None if data.succeeded else (data.error or f"HTTP {data.status_code}")
    session.add(
        WebhookAttempt(
            delivery_id=item.id,
            at=now,
            status_code=data.status_code,
            latency_ms=data.latency_ms,
            error=error,
        )
    )
    if data.succeeded:
        item.status = "SUCCEEDED"
        item.attempts += 1
        item.delivered_at = now
        item.lease_token = None
        item.lease_expires_at = None
        item.last_error = None
    else:
        _failed_attempt(item, settings, now, error=error or "failed", final=data.permanent)


def _failed_attempt(
    item: WebhookDelivery, settings: Settings, now: datetime, *, error: str, final: bool = False
) -> None:
    item.attempts += 1
    item.last_error = error
    item.lease_token = None
    item.lease_expires_at = None
    if final or item.attempts >= settings.webhook_max_attempts:
        item.status = "FAILED"
    else:
        item.status = "PENDING"
        item.next_attempt_at = now + retry_delay(item.attempts, settings.webhook_retry_base_seconds)
