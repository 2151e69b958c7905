"""Email delivery: message building, SMTP sender, file outbox, and the factory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from payrec.channels._mime import BuiltEmail, build_message, message_id_for, parse_address
from payrec.channels._outbox import write_once
from payrec.channels._smtp import SmtpEmailSender
from payrec.channels._smtp_config import SmtpConfig, parse_smtp_url
from payrec.channels.base import (
    ChannelError,
    ClosingSender,
    DeliveryChannel,
    DeliveryResult,
    EmailSender,
    OutgoingEmail,
    safe_token,
)

__all__ = [
    "DEFAULT_EMAIL_FROM",
    "BuiltEmail",
    "FileOutboxEmailSender",
    "SmtpConfig",
    "SmtpEmailSender",
    "build_message",
    "email_sender_from_env",
    "message_id_for",
    "parse_address",
    "parse_smtp_url",
]

DEFAULT_EMAIL_FROM = "payments@localhost"


class FileOutboxEmailSender(ClosingSender):
    """Write each message as ``{seed}.eml`` under ``outbox_dir`` (the default without SMTP).

    Same validation as SMTP; the same seed twice leaves one file (the first one).
    """

    def __init__(self, outbox_dir: Path | str, *, sender: str = DEFAULT_EMAIL_FROM) -> None:
        try:
            parse_address(sender, what="sender")
        except ChannelError as exc:
            raise ValueError(exc.reason) from None
        self.outbox_dir = Path(outbox_dir)
        self._sender = sender

    def __repr__(self) -> str:
        return f"FileOutboxEmailSender({str(self.outbox_dir)!r}, sender={self._sender!r})"

    def path_for(self, seed: str) -> Path:
        return self.outbox_dir / f"{safe_token(seed)}.eml"

    def send(self, email: OutgoingEmail) -> DeliveryResult:
        built = build_message(email, sender=self._sender)
        write_once(
            self.outbox_dir, self.path_for(email.message_id_seed).name, built.message.as_bytes()
        )
        return DeliveryResult.now(built.message_id, DeliveryChannel.EMAIL)


def email_sender_from_env(
    environ: Mapping[str, str] | None = None,
    *,
    smtp_url: str | None = None,
    email_from: str | None = None,
    data_dir: Path | str | None = None,
    timeout: float = 30.0,
) -> EmailSender:
    """SMTP when ``PAYREC_SMTP_URL`` is set, else a file outbox in ``$PAYREC_DATA_DIR/outbox``.

    Explicit arguments (e.g. from the settings object) win over ``environ`` (default
    ``os.environ``); empty strings count as unset.
    """
    env = os.environ if environ is None else environ
    url = smtp_url or env.get("PAYREC_SMTP_URL") or None
    sender = email_from or env.get("PAYREC_EMAIL_FROM") or DEFAULT_EMAIL_FROM
    if url:
        return SmtpEmailSender(url, sender, timeout=timeout)
    base = Path(data_dir or env.get("PAYREC_DATA_DIR") or "./payrec-data")
    return FileOutboxEmailSender(base / "outbox", sender=sender)
