"""Twilio Messages API client (``POST /2010-04-01/Accounts/{sid}/Messages.json``)."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from payrec.channels._phone import normalise_phone
from payrec.channels.base import (
    ClosingSender,
    DeliveryChannel,
    DeliveryResult,
    OutgoingSms,
    PermanentChannelError,
    TransientChannelError,
    redact,
)

__all__ = ["DEFAULT_SMS_URL", "MAX_SMS_BODY", "TwilioSmsSender", "check_sms_body"]

log = logging.getLogger(__name__)

DEFAULT_SMS_URL = "https://api.twilio.com"
MAX_SMS_BODY = 1600  # Twilio's limit for one Messages API request
_SID = re.compile(r"[A-Za-z0-9]{2,64}")
_MESSAGING_SERVICE = re.compile(r"MG[0-9a-fA-F]{32}")
_ALPHA_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
# Credentials or account problems say nothing about the message: retry after the fix.
_CONFIG_STATUSES = {401, 403, 404}


def check_sms_body(body: str) -> str:
    if not body.strip():
        raise PermanentChannelError("empty SMS body")
    if len(body) > MAX_SMS_BODY:
        raise PermanentChannelError(f"SMS body longer than {MAX_SMS_BODY} characters")
    return body


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _twilio_error(response: httpx.Response) -> str:
    try:
        payload: Any = response.json()
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        code, message = payload.get("code"), payload.get("message")
        if code is not None or message:
            text = " ".join(str(message or "").split())[:300]
            return f"SMS provider HTTP {response.status_code}, Twilio error {code}: {text}"
    return f"SMS provider HTTP {response.status_code}"


class TwilioSmsSender(ClosingSender):
    """Send SMS through Twilio's documented Messages API on one pooled ``httpx.Client``.

    ``from_number`` is an E.164 number, an alphanumeric sender id, or a Messaging Service SID
    (``MG…``, sent as ``MessagingServiceSid``). 201 → the message ``sid``; 4xx about the
    message (e.g. 21211 invalid 'To') → permanent; 429, 5xx, timeouts, network errors, and
    401/403/404 (credentials or account misconfigured) → transient. A timeout after the request
    went out is ambiguous (Twilio has no idempotency key for Messages); it is reported as
    transient and the caller decides.
    """

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str = DEFAULT_SMS_URL,
        timeout: float = 10.0,
        status_callback: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not _SID.fullmatch(account_sid):
            raise ValueError("invalid Twilio account SID")
        if not auth_token:
            raise ValueError("Twilio auth token is empty")
        if _MESSAGING_SERVICE.fullmatch(from_number):
            self._from = {"MessagingServiceSid": from_number}
        elif _ALPHA_SENDER.fullmatch(from_number):
            self._from = {"From": from_number}
        else:
            try:
                self._from = {"From": normalise_phone(from_number)}
            except PermanentChannelError as exc:
                raise ValueError(f"sender: {exc.reason}") from None
        self._account_sid = account_sid
        self._token = auth_token
        self._status_callback = status_callback
        self._path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            auth=httpx.BasicAuth(account_sid, auth_token),
            timeout=timeout,
            headers={"User-Agent": "payrec-sms/1", "Accept": "application/json"},
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"TwilioSmsSender({str(self._client.base_url)!r}, account_sid={self._account_sid!r})"

    def send(self, sms: OutgoingSms) -> DeliveryResult:
        form = {"To": normalise_phone(sms.to), **self._from, "Body": check_sms_body(sms.body)}
        if self._status_callback:
            form["StatusCallback"] = self._status_callback
        try:
            response = self._client.post(self._path, data=form)
        except httpx.TimeoutException as exc:
            raise TransientChannelError("SMS provider timed out") from exc
        except httpx.TransportError as exc:
            raise TransientChannelError(f"SMS provider unreachable ({type(exc).__name__})") from exc
        return self._result(response)

    def _result(self, response: httpx.Response) -> DeliveryResult:
        status = response.status_code
        if status in (200, 201):
            try:
                sid = response.json().get("sid")
            except (ValueError, AttributeError):
                sid = None
            if not isinstance(sid, str) or not sid:
                # Accepted but unidentifiable: do not retry (that could send twice).
                raise PermanentChannelError(f"SMS provider HTTP {status} without a message sid")
            log.info("sms %s accepted", sid)
            return DeliveryResult.now(sid, DeliveryChannel.SMS)
        reason = redact(_twilio_error(response), self._token)
        if status == 429 or status >= 500 or status in _CONFIG_STATUSES:
            raise TransientChannelError(reason, retry_after=_retry_after(response))
        if 400 <= status < 500:
            raise PermanentChannelError(reason)
        raise TransientChannelError(reason)

    def close(self) -> None:
        self._client.close()
