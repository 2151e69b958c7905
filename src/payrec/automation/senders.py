"""Build the delivery channels a worker uses, from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from payrec.channels import EmailSender, SmsSender, email_sender_from_env, sms_sender_from_env


@dataclass
class Channels:
    email: EmailSender
    sms: SmsSender
    collections_email: str

    def close(self) -> None:
        self.email.close()
        self.sms.close()


def channels_from_env(data_dir: Path | str | None = None) -> Channels:
    directory = data_dir or os.environ.get("PAYREC_DATA_DIR") or "./payrec-data"
    return Channels(
        email=email_sender_from_env(data_dir=directory),
        sms=sms_sender_from_env(data_dir=directory),
        collections_email=os.environ.get("PAYREC_COLLECTIONS_EMAIL", "collections@localhost"),
    )
