"""NotificationDispatcher never sends on a lease that may run out mid-send (unit level, with
a fake clock; the end-to-end tests run the real worker against the real backend and SMTP)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from payrec.automation.notifications import NotificationDispatcher
from payrec.automation.senders import Channels
from payrec.channels import DeliveryResult


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SlowEmail:
    """Every send takes `seconds` of the fake clock."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock = clock
        self.seconds = seconds
        self.sent: list[str] = []

    def send(self, message: Any) -> DeliveryResult:
        self.clock.now += self.seconds
        self.sent.append(message.message_id_seed)
        return DeliveryResult(external_id="<m@x>", channel="EMAIL", accepted_at=datetime.now(UTC))

    def close(self) -> None:
        pass


class Backend:
    def __init__(self, count: int) -> None:
        self.items = [
            {
                "id": f"ntf-{n}",
                "type": "EMAIL",
                "recipient": "team@example.com",
                "body": "call the customer",
                "leaseToken": f"lease-{n}",
                "attempts": 0,
            }
            for n in range(count)
        ]
        self.statuses: dict[str, tuple[str, str | None]] = {}

    def claim_notifications(self, *_: Any, **__: Any) -> list[dict[str, Any]]:
        return self.items

    def update_notification_status(self, item_id: str, status: str, **kw: Any) -> None:
        self.statuses[item_id] = (status, kw.get("lease_token"))


def _dispatcher(count: int, send_seconds: float) -> tuple[NotificationDispatcher, Backend]:
    clock = Clock()
    backend = Backend(count)
    email = SlowEmail(clock, send_seconds)
    channels = Channels(email=email, sms=email, collections_email="team@example.com")  # type: ignore[arg-type]
    dispatcher = NotificationDispatcher(
        backend,  # type: ignore[arg-type]
        channels,
        worker_id="w",
        lease_seconds=60,
        clock=clock,
    )
    return dispatcher, backend


def _dispatch(count: int, send_seconds: float) -> tuple[Backend, SlowEmail]:
    dispatcher, backend = _dispatcher(count, send_seconds)
    assert dispatcher.step() == count
    email = dispatcher.channels.email
    assert isinstance(email, SlowEmail)
    return backend, email


def test_a_fast_batch_is_sent_whole() -> None:
    backend, email = _dispatch(5, send_seconds=0.1)
    assert email.sent == [f"ntf-{n}" for n in range(5)]
    assert {status for status, _ in backend.statuses.values()} == {"SENT"}


def test_a_slow_batch_stops_sending_while_half_the_lease_is_left() -> None:
    backend, email = _dispatch(5, send_seconds=20)
    # sends start at 0 and 20 s into a 60 s lease; at 40 s only 20 s would be left
    assert email.sent == ["ntf-0", "ntf-1"]
    assert backend.statuses["ntf-0"] == ("SENT", "lease-0")
    assert backend.statuses["ntf-1"] == ("SENT", "lease-1")
    for n in (2, 3, 4):  # handed back with their own lease tokens, for another claim
        assert backend.statuses[f"ntf-{n}"] == ("PENDING", f"lease-{n}")


def test_after_slow_sends_it_claims_only_what_half_a_lease_can_send() -> None:
    dispatcher, _ = _dispatcher(5, send_seconds=20)
    assert dispatcher.claim_limit() == 20  # nothing known yet: the configured batch
    dispatcher.step()
    assert dispatcher.claim_limit() == 1  # 20 s per send, 30 s to send in
    fast, _ = _dispatcher(5, send_seconds=0.5)
    fast.step()
    assert fast.claim_limit() == 20
