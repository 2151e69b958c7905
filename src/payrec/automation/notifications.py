"""Notification dispatcher: claims due notifications and delivers them like reminders."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from payrec.automation.backoff import retry_at
from payrec.automation.senders import Channels
from payrec.channels import (
    ChannelError,
    OutgoingEmail,
    OutgoingSms,
    PermanentChannelError,
    TransientChannelError,
)
from payrec.client import ApiError, AutomationApiClient, ConflictError, Notification

logger = logging.getLogger("payrec.worker.notifications")


class NotificationDispatcher:
    def __init__(
        self,
        client: AutomationApiClient,
        channels: Channels,
        *,
        worker_id: str,
        batch: int = 20,
        lease_seconds: int = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api = client
        self.channels = channels
        self.worker_id = worker_id
        self.batch = batch
        self.lease_seconds = lease_seconds
        self._clock = clock
        self._send_seconds = 0.0  # moving average of one delivery's duration

    def claim_limit(self) -> int:
        """As many as can be sent within half a lease at the recent pace (at least one)."""
        if self._send_seconds <= 0:
            return self.batch
        return max(1, min(self.batch, int(self.lease_seconds / 2 / self._send_seconds)))

    def step(self) -> int:
        asked = self._clock()
        items = self.api.claim_notifications(
            self.worker_id, limit=self.claim_limit(), lease_seconds=self.lease_seconds
        )
        # Notification leases are not renewed: a notification is only sent while at least
        # half its lease is left, so the lease cannot run out mid-send and let another
        # worker send it again. The rest of a slow batch goes back to the queue.
        expires = asked + self.lease_seconds
        for position, item in enumerate(items):
            if expires - self._clock() < self.lease_seconds / 2:
                self._hand_back(items[position:])
                break
            started = self._clock()
            try:
                self.deliver(item)
            except ConflictError:
                logger.info("notification %s: lease lost or already settled", item["id"])
            except ApiError as exc:
                logger.warning("notification %s: backend error %s", item["id"], type(exc).__name__)
            took = self._clock() - started
            self._send_seconds = (
                took if self._send_seconds <= 0 else (0.7 * self._send_seconds + 0.3 * took)
            )
        return len(items)

    def deliver(self, item: Notification) -> None:
        token = item.get("leaseToken")
        try:
            if item["type"] == "SMS":
                result = self.channels.sms.send(
                    OutgoingSms(
                        to=item["recipient"], body=item["body"], idempotency_seed=item["id"]
                    )
                )
            else:  # EMAIL, and CALL/LETTER/INTERNAL notices for the collections team
                recipient = (
                    item["recipient"]
                    if "@" in item["recipient"]
                    else self.channels.collections_email
                )
                result = self.channels.email.send(
                    OutgoingEmail(
                        to=recipient,
                        subject=item.get("subject") or "payrec notification",
                        text=item["body"],
                        html=None,
                        message_id_seed=item["id"],
                    )
                )
        except PermanentChannelError as exc:
            self._status(item["id"], "FAILED", token, error=exc.reason)
            return
        except (TransientChannelError, ChannelError) as exc:
            hint = exc.retry_after if isinstance(exc, TransientChannelError) else None
            when = retry_at(datetime.now(UTC), int(item.get("attempts") or 0), hint=hint)
            self._status(item["id"], "PENDING", token, error=exc.reason, retry=when)
            return
        self._status(item["id"], "SENT", token, external_id=result.external_id)

    def _hand_back(self, items: list[Notification]) -> None:
        for item in items:
            try:
                self._status(
                    item["id"],
                    "PENDING",
                    item.get("leaseToken"),
                    error="lease running out before sending; handed back",
                    retry=datetime.now(UTC),
                )
            except ApiError as exc:  # the lease will expire and return it anyway
                logger.warning(
                    "notification %s: could not hand back: %s", item["id"], type(exc).__name__
                )
        logger.info("handed back %d notifications: their leases ran short", len(items))

    def _status(
        self,
        notification_id: str,
        status: str,
        token: str | None,
        *,
        external_id: str | None = None,
        error: str | None = None,
        retry: datetime | None = None,
    ) -> None:
        self.api.update_notification_status(
            notification_id,
            status,
            sent_at=datetime.now(UTC) if status == "SENT" else None,
            external_id=external_id,
            error=error,
            lease_token=token,
            retry_at=retry,
        )
