"""Twilio inbound SMS webhooks: form parsing, opt-out keywords, signature check."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from payrec.channels._phone import normalise_phone
from payrec.channels.base import PermanentChannelError

__all__ = [
    "OPT_IN_KEYWORDS",
    "OPT_OUT_KEYWORDS",
    "InboundSms",
    "compute_twilio_signature",
    "parse_inbound_sms",
    "validate_twilio_signature",
]

# Twilio's standard opt-out keywords, plus REVOKE/OPTOUT (honouring more opt-outs is the safe
# side). Opt-in is deliberately narrow (no "YES"): re-subscribing must be explicit.
OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP"})

FormParams = Mapping[str, str] | Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class InboundSms:
    from_number: str
    body: str
    is_opt_out: bool
    is_opt_in: bool
    to_number: str | None = None
    message_sid: str | None = None


def _keyword(body: str) -> str:
    """The whole message as one keyword: trimmed, trailing punctuation dropped, upper case."""
    return body.strip().rstrip(".!").strip().upper()


def _number(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except PermanentChannelError:
        return raw.strip()  # short codes and alphanumeric senders stay as they are


def parse_inbound_sms(form: Mapping[str, str]) -> InboundSms:
    """Read Twilio's inbound-message webhook fields (``From``, ``To``, ``Body``, ``MessageSid``).

    Raises ``ValueError`` when ``From`` is missing.
    """
    sender = (form.get("From") or "").strip()
    if not sender:
        raise ValueError("inbound SMS without From")
    body = form.get("Body") or ""
    keyword = _keyword(body)
    to = (form.get("To") or "").strip()
    return InboundSms(
        from_number=_number(sender),
        body=body,
        is_opt_out=keyword in OPT_OUT_KEYWORDS,
        is_opt_in=keyword in OPT_IN_KEYWORDS,
        to_number=_number(to) if to else None,
        message_sid=(form.get("MessageSid") or form.get("SmsSid") or None),
    )


def _values(value: str | Sequence[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def compute_twilio_signature(url: str, params: FormParams | None, auth_token: str) -> str:
    """Base64 HMAC-SHA1 over the URL followed by every POST parameter, sorted by name
    (and a repeated parameter's values sorted), each as name + value."""
    payload = url
    for name in sorted(params or {}):
        for value in sorted(set(_values((params or {})[name]))):
            payload += name + value
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def _port_variants(url: str) -> set[str]:
    """The URL as given, without an explicit port, and with the scheme's default port:
    Twilio may sign either form depending on how the webhook URL was configured."""
    parts = urlsplit(url)
    variants = {url}
    try:
        port = parts.port
    except ValueError:
        return variants
    if port is not None:
        netloc = parts.netloc[: -len(f":{port}")] if parts.netloc.endswith(f":{port}") else None
        if netloc:
            variants.add(urlunsplit(parts._replace(netloc=netloc)))
    elif parts.netloc:
        default = 443 if parts.scheme == "https" else 80
        variants.add(urlunsplit(parts._replace(netloc=f"{parts.netloc}:{default}")))
    return variants


def validate_twilio_signature(
    url: str, params: FormParams | None, signature: str | None, auth_token: str
) -> bool:
    """Check an ``X-Twilio-Signature`` header in constant time. ``url`` is the full URL Twilio
    requested (scheme, host, path, query as received); ``params`` the form fields."""
    if not signature or not auth_token:
        return False
    given = signature.strip().encode("utf-8")
    matched = False
    for candidate in sorted(_port_variants(url)):
        expected = compute_twilio_signature(candidate, params, auth_token).encode("ascii")
        matched |= hmac.compare_digest(expected, given)
    return matched
