"""Building and validating outgoing email messages (no I/O)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr

from email_validator import EmailNotValidError, validate_email

from payrec.channels.base import OutgoingEmail, PermanentChannelError, safe_token

__all__ = ["BuiltEmail", "Mailbox", "build_message", "mailbox", "message_id_for", "parse_address"]

# RFC 5322 dot-atom local part (ASCII) and a hostname of LDH labels (IDNs as A-labels, xn--).
_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDR_RE = re.compile(rf"(?P<local>{_LOCAL})@(?P<domain>{_LABEL}(?:\.{_LABEL})*)")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_HEADER_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,75}")
# CRLF line ends for SMTP, and 7-bit transfer encodings (quoted-printable/base64 for non-ASCII
# text) so no server needs 8BITMIME.
_POLICY = policy.SMTP.clone(cte_type="7bit", refold_source="none")
# RFC 6532 headers (a non-ASCII local part is written as UTF-8): only sent with SMTPUTF8.
_UTF8_POLICY = policy.SMTPUTF8.clone(cte_type="7bit", refold_source="none")

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
        "In-Reply-To",
        "References",
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
    smtputf8: bool = False
    """An address has a non-ASCII local part: the server must offer SMTPUTF8 (RFC 6531)."""


@dataclass(frozen=True, slots=True)
class Mailbox:
    """A validated mailbox: its header value, its envelope address, whether it needs SMTPUTF8.

    An internationalised domain is always written as its A-label (``xn--…``), so an ASCII
    local part at an IDN domain travels through any server; only a non-ASCII local part needs
    SMTPUTF8.
    """

    header: str
    address: str
    smtputf8: bool


def _check_header_value(name: str, value: str) -> None:
    if _CONTROL_RE.search(value.replace("\t", " ")):
        raise PermanentChannelError(f"invalid header {name}: control characters (CR/LF) refused")


def parse_address(raw: str, *, what: str = "address") -> tuple[str, str]:
    """Validate one mailbox; return ``(header value, envelope address)``."""
    box = mailbox(raw, what=what)
    return box.header, box.address


def mailbox(raw: str, *, what: str = "address") -> Mailbox:
    """Validate one mailbox (``alice@example.com`` or ``Alice <alice@example.com>``).

    Refuses lists, control characters (header injection) and anything that is not a sane
    address. A non-ASCII address is checked with ``email-validator``: its domain becomes the
    IDNA A-label; a non-ASCII local part is kept (in Unicode NFC) and marks the mailbox as
    needing SMTPUTF8.
    """
    shown = raw if len(raw) <= 80 else raw[:77] + "..."
    shown = _CONTROL_RE.sub("?", shown)
    if _CONTROL_RE.search(raw):
        raise PermanentChannelError(f"invalid {what} {shown!r}: control characters refused")
    stripped = raw.strip()
    name, addr = parseaddr(stripped)
    # parseaddr is lenient (it silently takes the first of a list): insist that the raw value
    # is exactly the address, or a display name followed by exactly <address>.
    well_formed = stripped == addr or (stripped.endswith(f"<{addr}>") and "<" not in name)
    if not addr or not well_formed:
        raise PermanentChannelError(f"invalid {what} {shown!r}")
    smtputf8 = False
    if not addr.isascii():
        addr, smtputf8 = _international(addr, what, shown)
    local = addr.rpartition("@")[0]
    sane = smtputf8 or _ADDR_RE.fullmatch(addr) is not None  # email-validator checked a UTF-8 one
    if not sane or len(addr.encode()) > 254 or len(local.encode()) > 64:
        raise PermanentChannelError(f"invalid {what} {shown!r}")
    if not name:
        return Mailbox(addr, addr, smtputf8)
    if smtputf8:  # formataddr takes ASCII addresses only; a UTF-8 one is written raw (RFC 6532)
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        return Mailbox(f'"{quoted}" <{addr}>', addr, smtputf8)
    return Mailbox(formataddr((name, addr)), addr, smtputf8)


def _international(addr: str, what: str, shown: str) -> tuple[str, bool]:
    """``local@a-label`` of a non-ASCII address, and whether its local part needs SMTPUTF8."""
    try:
        checked = validate_email(
            addr, check_deliverability=False, globally_deliverable=False, allow_smtputf8=True
        )
    except EmailNotValidError as exc:
        raise PermanentChannelError(f"invalid {what} {shown!r}: {exc}") from None
    return f"{checked.local_part}@{checked.ascii_domain}", not checked.local_part.isascii()


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
    sender_box = mailbox(sender, what="sender")
    recipient = mailbox(email.to, what="address")
    reply_to = mailbox(email.reply_to, what="reply-to address") if email.reply_to else None
    smtputf8 = any(b.smtputf8 for b in (sender_box, recipient, reply_to) if b is not None)
    _check_header_value("Subject", email.subject)
    extra: dict[str, str] = {}
    for name, value in email.headers.items():
        if not _HEADER_NAME_RE.fullmatch(name) or name.lower() in _RESERVED:
            raise PermanentChannelError(f"invalid or reserved header name {name!r}")
        _check_header_value(name, value)
        extra[name] = value

    msg = EmailMessage(policy=_UTF8_POLICY if smtputf8 else _POLICY)
    message_id = message_id_for(email.message_id_seed, sender_box.address)
    msg["From"] = sender_box.header
    msg["To"] = recipient.header
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(now or datetime.now(UTC))
    msg["Message-ID"] = message_id
    if reply_to is not None:
        msg["Reply-To"] = reply_to.header
    if email.thread_seeds:  # one conversation per case: mail clients thread on these
        earlier = [message_id_for(seed, sender_box.address) for seed in email.thread_seeds]
        msg["In-Reply-To"] = earlier[-1]
        msg["References"] = " ".join(earlier)
    if email.list_unsubscribe:
        _check_header_value("List-Unsubscribe", email.list_unsubscribe)
        value, one_click = _list_unsubscribe(email.list_unsubscribe)
        # as given, one URI a line: folding would turn a long https URI into encoded words
        # (RFC 2047), which no mail client reads as a URI; `refold_source="none"` keeps it
        msg.set_raw("List-Unsubscribe", value.replace(", ", ",\n "))
        if one_click:
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    for name, value in extra.items():
        msg[name] = value
    msg.set_content(email.text)
    if email.html is not None:
        msg.add_alternative(email.html, subtype="html")
    for item in email.attachments:  # the body becomes the first part of a multipart/mixed
        maintype, _, subtype = item.content_type.partition("/")
        name = _CONTROL_RE.sub("_", item.filename) or "attachment"  # an uploaded name: no CR/LF
        msg.add_attachment(
            item.data, maintype=maintype, subtype=subtype or "octet-stream", filename=name
        )
    return BuiltEmail(msg, sender_box.address, recipient.address, message_id, smtputf8)
