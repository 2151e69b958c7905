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
    last_delivery_status: DeliveryStatus | None = None  # in lists: the newest delivery's


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


class DeliveryReport(DeliveryResult):
    """One attempt's result in a batched report: `DeliveryResult` with the delivery's id."""

    id: str = Field(min_length=1, max_length=40)


class DeliveryReports(ApiModel):
    results: list[DeliveryReport] = Field(min_length=1, max_length=100)


class RecordedDelivery(OutModel):
    id: str
    status: DeliveryStatus


class StaleReport(OutModel):
    id: str
    reason: Literal["stale-lease", "not-found"]


class DeliveryReportsOut(OutModel):
    recorded: list[RecordedDelivery] = Field(description="Results kept, in request order")
    stale: list[StaleReport] = Field(
        description="Results not kept: the lease ran out (counted as an attempt) or no delivery"
    )
