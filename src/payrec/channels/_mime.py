"""Building and validating outgoing email messages (no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from payrec.channels.base import OutgoingEmail, PermanentChannelError, safe_token

__all__ = ["BuiltEmail", "build_message", "message_id_for", "parse_address"]

# RFC 5322 dot-atom local part (ASCII) and a hostname of LDH labels (IDNs arrive as punycode).
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR_RE = re.compile(rf"(?P<local>{_LOCAL})@(?P<domain>{_LABEL}(?:\.{_LABEL})*)")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_HEADER_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,75}")
# CRLF line ends for SMTP, and 7-bit transfer encodings (quoted-printable/base64 for non-ASCII
# text) so no server needs 8BITMIME.
_POLICY = policy.SMTP.clone(cte_type="7bit")

# Headers this module sets itself; callers may not override them through ``headers``.
_RESERVED = frozenset(
    h.lower()
    for h in (
        "From",
        "To",
        "Cc",
        "Bcc",
        "Subject",
        "Date",
        "Message-ID",
        "Reply-To",
        "Sender",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
        "Auto-Submitted",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
        "Return-Path",
    )
)


@dataclass(frozen=True, slots=True)
class BuiltEmail:
    """A ready message plus the SMTP envelope addresses."""

    message: EmailMessage
    envelope_from: str
    envelope_to: str
    message_id: str


def _check_header_value(name: str, value: str) -> None:
    if _CONTROL_RE.search(value.replace("\t", " ")):
        raise PermanentChannelError(f"invalid header {name}: control characters (CR/LF) refused")


def parse_address(raw: str, *, what: str = "address") -> tuple[str, str]:
    """Validate one mailbox; return ``(header value, bare address)``.

    Accepts ``alice@example.com`` and ``Alice <alice@example.com>``; refuses lists, control
    characters (header injection) and anything the regex does not call a sane address.
    """
    shown = raw if len(raw) <= 80 else raw[:77] + "..."
    shown = _CONTROL_RE.sub("?", shown)
    if _CONTROL_RE.search(raw):
        raise PermanentChannelError(f"invalid {what} {shown!r}: control characters refused")
    stripped = raw.strip()
    name, addr = parseaddr(stripped)
    match = _ADDR_RE.fullmatch(addr) if addr else None
    # parseaddr is lenient (it silently takes the first of a list): insist that the raw value
    # is exactly the address, or a display name followed by exactly <address>.
    well_formed = stripped == addr or (stripped.endswith(f"<{addr}>") and "<" not in name)
    if match is None or not well_formed or len(addr) > 254 or len(match.group("local")) > 64:
        raise PermanentChannelError(f"invalid {what} {shown!r}")
    return (formataddr((name, addr)) if name else addr), addr


def message_id_for(seed: str, sender_address: str) -> str:
    """``<{seed}.payrec@{sender domain}>``: the same reminder always gets the same Message-ID."""
    domain = sender_address.rpartition("@")[2].lower() or "localhost"
    return f"<{safe_token(seed)}.payrec@{domain}>"


def _list_unsubscribe(value: str) -> tuple[str, bool]:
    """Normalise to ``<uri>, <uri>``; say whether one-click (an https URI) applies."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    uris = [p[1:-1].strip() if p.startswith("<") and p.endswith(">") else p for p in parts]
    if not uris or any(
        not re.fullmatch(r"(?:https?|mailto):\S+", u) or "<" in u or ">" in u for u in uris
    ):
        raise PermanentChannelError("invalid List-Unsubscribe value")
    one_click = any(u.lower().startswith("https://") for u in uris)
    return ", ".join(f"<{u}>" for u in uris), one_click


def build_message(email: OutgoingEmail, *, sender: str, now: datetime | None = None) -> BuiltEmail:
    """Validate ``email`` and build a multipart/alternative (plain + HTML) message.

    Raises :class:`PermanentChannelError` for an invalid recipient, reply-to, header name or
    value; nothing here touches the network.
    """
    from_header, from_addr = parse_address(sender, what="sender")
    to_header, to_addr = parse_address(email.to, what="address")
    _check_header_value("Subject", email.subject)
    extra: dict[str, str] = {}
    for name, value in email.headers.items():
        if not _HEADER_NAME_RE.fullmatch(name) or name.lower() in _RESERVED:
            raise PermanentChannelError(f"invalid or reserved header name {name!r}")
        _check_header_value(name, value)
        extra[name] = value

    msg = EmailMessage(policy=_POLICY)
    message_id = message_id_for(email.message_id_seed, from_addr)
    msg["From"] = from_header
    msg["To"] = to_header
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = message_id
    if email.reply_to:
        msg["Reply-To"] = parse_address(email.reply_to, what="reply-to address")[0]
    if email.list_unsubscribe:
        _check_header_value("List-Unsubscribe", email.list_unsubscribe)
        value, one_click = _list_unsubscribe(email.list_unsubscribe)
        msg["List-Unsubscribe"] = value
        if one_click:
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    for name, value in extra.items():
        msg[name] = value
    msg.set_content(email.text)
    if email.html is not None:
        msg.add_alternative(email.html, subtype="html")
    return BuiltEmail(msg, from_addr, to_addr, message_id)
