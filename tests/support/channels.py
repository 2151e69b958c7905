"""Channel stand-ins for tests that drive the reminder sender in process."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from payrec.channels import DeliveryResult


class RecordingEmail:
    """Accepts every message and keeps it."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, message: Any) -> DeliveryResult:
        self.sent.append(message)
        return DeliveryResult(external_id="<m@x>", channel="EMAIL", accepted_at=datetime.now(UTC))

    def close(self) -> None:
        pass
