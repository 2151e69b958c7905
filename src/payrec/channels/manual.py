"""Manual steps (CALL, LETTER): what a person is asked to do. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from payrec.channels.base import DeliveryChannel

__all__ = ["ManualTaskInstruction"]

ManualChannel = Literal[DeliveryChannel.CALL, DeliveryChannel.LETTER]


@dataclass(frozen=True, slots=True)
class ManualTaskInstruction:
    """A rendered CALL or LETTER step for a collector: a title for the task list, the body
    (call script or letter text), the channel, and the contact (phone or postal address)."""

    title: str
    body: str
    channel: DeliveryChannel
    contact: str | None = None

    def __post_init__(self) -> None:
        if self.channel not in (DeliveryChannel.CALL, DeliveryChannel.LETTER):
            raise ValueError(f"manual steps are CALL or LETTER, not {self.channel}")
        if not self.title.strip():
            raise ValueError("a manual task needs a title")

    def to_payload(self) -> dict[str, str]:
        """camelCase fields for a task's payload/result on the automation API."""
        payload = {"title": self.title, "body": self.body, "channel": str(self.channel)}
        if self.contact:
            payload["contact"] = self.contact
        return payload
