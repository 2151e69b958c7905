"""Outbound webhook wire shapes: endpoints (management API) and deliveries (both APIs)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from payrec.domain.webhooks import EventType
from payrec.server.types import ApiModel, OutModel

DeliveryStatus = Literal["PENDING", "IN_PROGRESS", "SUCCEEDED", "FAILED", "CANCELLED"]


class WebhookEndpointCreate(ApiModel):
    url: str = Field(min_length=8, max_length=2000)
    events: list[EventType] = Field(min_length=1, max_length=20)


class WebhookEndpointOut(OutModel):
    id: str
    url: str
    events: list[str]
    created_at: datetime
    secret: str | None = None  # only in the answer to the creation


class WebhookEndpointList(OutModel):
    endpoints: list[WebhookEndpointOut]


class AttemptOut(OutModel):
    at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None


class DeliveryOut(OutModel):
    id: str
    endpoint_id: str
    webhook_id: str
    type: str
    recovery_case_id: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptOut] = []


class DeliveryList(OutModel):
    deliveries: list[DeliveryOut]


class DeliveryClaim(ApiModel):
    worker_id: str = Field(min_length=1, max_length=200)
    limit: int = Field(default=10, ge=1, le=100)
    lease_seconds: int = Field(default=60, ge=5, le=3600)


class ClaimedDelivery(OutModel):
    id: str
    webhook_id: str
    type: str
    recovery_case_id: str | None
    url: str
    secret: str
    body: str
    attempts: int
    lease_token: str
    allow_private: bool


class ClaimedDeliveries(OutModel):
    deliveries: list[ClaimedDelivery]


class DeliveryResult(ApiModel):
    lease_token: str = Field(min_length=1, max_length=64)
    succeeded: bool
    status_code: int | None = Field(default=None, ge=100, le=599)
    latency_ms: int | None = Field(default=None, ge=0)
    error: str | None = Field(default=None, max_length=2000)
    permanent: bool = False  # refused address: no retry
