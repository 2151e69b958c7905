"""Value objects, errors and protocols shared by every delivery channel.

Nothing here does I/O. Error reasons are meant to be stored on a reminder or notification and
shown to operators, so they never contain credentials.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, Self

__all__ = [
    "ChannelError",
    "ClosingSender",
    "DeliveryChannel",
    "DeliveryResult",
    "EmailAttachment",
    "EmailSender",
    "OutgoingEmail",
    "OutgoingSms",
    "PermanentChannelError",
    "SmsSender",
    "TransientChannelError",
    "redact",
    "safe_token",
]


class DeliveryChannel(StrEnum):
    """The contact channels of a dunning step (contract §6)."""

    EMAIL = "EMAIL"
    SMS = "SMS"
    CALL = "CALL"
    LETTER = "LETTER"


class ChannelError(Exception):
    """A delivery failed; ``reason`` is safe to store and show (no secrets)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientChannelError(ChannelError):
    """Retry later with backoff: SMTP 4xx, timeouts, refused connections, provider 5xx/429.

    ``retry_after`` carries a provider's ``Retry-After`` hint in seconds when it sent one.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentChannelError(ChannelError):
    """Do not retry: SMTP 5xx, invalid address or number, provider 4xx about the message."""


@dataclass(frozen=True, slots=True)
class EmailAttachment:
    """A file sent with an email (``content_type`` as ``maintype/subtype``)."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """One email to one recipient.

    ``message_id_seed`` is a stable business id (the reminder id): the ``Message-ID`` and the
    outbox file name derive from it, so a re-send of the same reminder is recognisable.
    ``thread_seeds`` are the seeds of the earlier messages of the same conversation (oldest
    first): they become ``References``, the last one ``In-Reply-To``.
    """

    to: str
    subject: str
    text: str
    html: str | None
    message_id_seed: str
    list_unsubscribe: str | None = None
    reply_to: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    thread_seeds: tuple[str, ...] = ()
    attachments: tuple[EmailAttachment, ...] = ()


@dataclass(frozen=True, slots=True)
class OutgoingSms:
    """One SMS; ``idempotency_seed`` is a stable business id (the reminder id)."""

    to: str
    body: str
    idempotency_seed: str


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    """What a channel answers when the provider accepted the message."""

    external_id: str
    channel: DeliveryChannel
    accepted_at: datetime

    @classmethod
    def now(cls, external_id: str, channel: DeliveryChannel) -> DeliveryResult:
        return cls(external_id=external_id, channel=channel, accepted_at=datetime.now(UTC))


class EmailSender(Protocol):
    def send(self, email: OutgoingEmail) -> DeliveryResult: ...

    def close(self) -> None: ...


class SmsSender(Protocol):
    def send(self, sms: OutgoingSms) -> DeliveryResult: ...

    def close(self) -> None: ...


_SAFE_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")


def safe_token(seed: str) -> str:
    """A deterministic file-name and Message-ID safe token for a business id.

    Ids such as ``rem-3f9a…`` (the backend's prefixed ids) are used as they are; anything else
    (dots, slashes, spaces, non-ASCII, over 100 characters) becomes ``h-`` plus 32 hex digits
    of its SHA-256, so no seed can escape the outbox directory or break a Message-ID.
    """
    if not seed:
        raise ValueError("seed must not be empty")
    if _SAFE_TOKEN.fullmatch(seed):
        return seed
    return "h-" + hashlib.sha256(seed.encode("utf-8")).hexdigest()[:32]


def redact(text: str, *secrets: str | None) -> str:
    """Remove every non-empty secret from ``text`` (defence in depth for error reasons)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class ClosingSender:
    """Makes a sender a context manager that calls its ``close()`` on exit."""

    def close(self) -> None:
        """Release what the sender holds (nothing, unless overridden)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
