"""SMS delivery: Twilio Messages API, file outbox, inbound webhooks, and the factory."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from payrec.channels._inbound import (
    OPT_IN_KEYWORDS,
    OPT_OUT_KEYWORDS,
    InboundSms,
    compute_twilio_signature,
    parse_inbound_sms,
    validate_twilio_signature,
)
from payrec.channels._outbox import write_once
from payrec.channels._phone import normalise_phone
from payrec.channels._twilio import DEFAULT_SMS_URL, TwilioSmsSender, check_sms_body
from payrec.channels.base import (
    ClosingSender,
    DeliveryChannel,
    DeliveryResult,
    OutgoingSms,
    SmsSender,
    safe_token,
)

__all__ = [
    "DEFAULT_SMS_URL",
    "OPT_IN_KEYWORDS",
    "OPT_OUT_KEYWORDS",
    "FileOutboxSmsSender",
    "InboundSms",
    "TwilioSmsSender",
    "compute_twilio_signature",
    "normalise_phone",
    "parse_inbound_sms",
    "sms_sender_from_env",
    "validate_twilio_signature",
]


class FileOutboxSmsSender(ClosingSender):
    """Write each SMS as ``{seed}.sms.json`` under ``outbox_dir``; same seed twice → one file."""

    def __init__(self, outbox_dir: Path | str) -> None:
        self.outbox_dir = Path(outbox_dir)

    def __repr__(self) -> str:
        return f"FileOutboxSmsSender({str(self.outbox_dir)!r})"

    def path_for(self, seed: str) -> Path:
        return self.outbox_dir / f"{safe_token(seed)}.sms.json"

    def send(self, sms: OutgoingSms) -> DeliveryResult:
        to = normalise_phone(sms.to)
        body = check_sms_body(sms.body)
        token = safe_token(sms.idempotency_seed)
        record = {
            "id": f"sms-{token}",
            "to": to,
            "body": body,
            "seed": sms.idempotency_seed,
            "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        }
        data = (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        write_once(self.outbox_dir, self.path_for(sms.idempotency_seed).name, data)
        return DeliveryResult.now(f"sms-{token}", DeliveryChannel.SMS)


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = env.get(name)
        if value:
            return value
    return None


def sms_sender_from_env(
    environ: Mapping[str, str] | None = None,
    *,
    data_dir: Path | str | None = None,
    timeout: float = 10.0,
) -> SmsSender:
    """Twilio when an account SID, auth token and sender are configured, else a file outbox in
    ``$PAYREC_DATA_DIR/outbox``.

    Variables: ``PAYREC_SMS_URL`` (default Twilio's API), ``PAYREC_SMS_ACCOUNT_SID`` (alias
    ``TWILIO_ACCOUNT_SID``), ``PAYREC_SMS_AUTH_TOKEN`` (alias ``TWILIO_AUTH_TOKEN``),
    ``PAYREC_SMS_FROM`` (E.164 number, alphanumeric id or ``MG…`` service SID),
    ``PAYREC_SMS_STATUS_CALLBACK`` (optional).
    """
    env = os.environ if environ is None else environ
    sid = _first(env, "PAYREC_SMS_ACCOUNT_SID", "TWILIO_ACCOUNT_SID")
    token = _first(env, "PAYREC_SMS_AUTH_TOKEN", "TWILIO_AUTH_TOKEN")
    sender = _first(env, "PAYREC_SMS_FROM")
    if sid and token and sender:
        return TwilioSmsSender(
            account_sid=sid,
            auth_token=token,
            from_number=sender,
            base_url=_first(env, "PAYREC_SMS_URL") or DEFAULT_SMS_URL,
            timeout=timeout,
            status_callback=_first(env, "PAYREC_SMS_STATUS_CALLBACK"),
        )
    base = Path(data_dir or env.get("PAYREC_DATA_DIR") or "./payrec-data")
    return FileOutboxSmsSender(base / "outbox")
