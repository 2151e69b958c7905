"""Delivery channels used by the automation workers: email, SMS, manual steps.

No database and no server imports: a channel takes a message and answers a
:class:`DeliveryResult` or raises a :class:`TransientChannelError` (retry with backoff) or a
:class:`PermanentChannelError` (fail the reminder with the reason).
"""

from payrec.channels.base import (
    ChannelError,
    DeliveryChannel,
    DeliveryResult,
    EmailAttachment,
    EmailSender,
    OutgoingEmail,
    OutgoingSms,
    PermanentChannelError,
    SmsSender,
    TransientChannelError,
)
from payrec.channels.email import (
    DEFAULT_EMAIL_FROM,
    FileOutboxEmailSender,
    SmtpEmailSender,
    build_message,
    email_sender_from_env,
    message_id_for,
    parse_smtp_url,
)
from payrec.channels.manual import ManualTaskInstruction
from payrec.channels.sms import (
    FileOutboxSmsSender,
    InboundSms,
    TwilioSmsSender,
    compute_twilio_signature,
    normalise_phone,
    parse_inbound_sms,
    sms_sender_from_env,
    validate_twilio_signature,
)

__all__ = [
    "DEFAULT_EMAIL_FROM",
    "ChannelError",
    "DeliveryChannel",
    "DeliveryResult",
    "EmailAttachment",
    "EmailSender",
    "FileOutboxEmailSender",
    "FileOutboxSmsSender",
    "InboundSms",
    "ManualTaskInstruction",
    "OutgoingEmail",
    "OutgoingSms",
    "PermanentChannelError",
    "SmsSender",
    "SmtpEmailSender",
    "TransientChannelError",
    "TwilioSmsSender",
    "build_message",
    "compute_twilio_signature",
    "email_sender_from_env",
    "message_id_for",
    "normalise_phone",
    "parse_inbound_sms",
    "parse_smtp_url",
    "sms_sender_from_env",
    "validate_twilio_signature",
]
