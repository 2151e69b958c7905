"""Build the delivery channels a worker uses, from the environment."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

from payrec.channels import (
    EmailSender,
    SmsSender,
    email_sender_from_env,
    parse_smtp_url,
    sms_sender_from_env,
)


@dataclass
class Channels:
    email: EmailSender
    sms: SmsSender
    collections_email: str

    def close(self) -> None:
        self.email.close()
        self.sms.close()


def smtp_problem(url: str | None = None, timeout: float = 3.0) -> str | None:
    """One line saying why the configured SMTP server cannot be reached, or None when it can.

    Reminders still wait and retry; this is only so that a wrong address shows at start-up.
    """
    url = url if url is not None else os.environ.get("PAYREC_SMTP_URL")
    if not url:
        return None
    try:
        config = parse_smtp_url(url)
    except ValueError as exc:
        return f"PAYREC_SMTP_URL is not usable: {exc}"
    try:
        with socket.create_connection((config.host, config.port), timeout=timeout):
            return None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return (
            f"cannot reach the SMTP server at {config.host}:{config.port} ({reason}); "
            "reminders will wait and retry"
        )


def channels_from_env(data_dir: Path | str | None = None) -> Channels:
    directory = data_dir or os.environ.get("PAYREC_DATA_DIR") or "./payrec-data"
    return Channels(
        email=email_sender_from_env(data_dir=directory),
        sms=sms_sender_from_env(data_dir=directory),
        collections_email=os.environ.get("PAYREC_COLLECTIONS_EMAIL", "collections@localhost"),
    )
