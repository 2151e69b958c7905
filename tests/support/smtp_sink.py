"""A real SMTP server (aiosmtpd) that records what it accepts and can refuse on cue."""

from __future__ import annotations

import email
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.backend import free_port


@dataclass
class Received:
    to: list[str]
    message: Message
    raw: bytes = b""

    @property
    def message_id(self) -> str:
        return str(self.message.get("Message-ID", ""))

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))


@dataclass
class SinkHandler:
    messages: list[Received] = field(default_factory=list)
    # recipient -> list of SMTP replies to give before accepting (e.g. ["451 4.3.0 try later"])
    scripted: dict[str, list[str]] = field(default_factory=dict)
    refusals: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        recipients = [str(r) for r in envelope.rcpt_tos]
        with self.lock:
            for rcpt in recipients:
                queue = self.scripted.get(rcpt)
                if queue:
                    reply = (
                        queue.pop(0) if len(queue) > 1 or not queue[0].startswith("5") else queue[0]
                    )
                    self.refusals[rcpt] += 1
                    return reply
            content: Any = envelope.content
            raw = content if isinstance(content, bytes) else str(content).encode()
            self.messages.append(Received(recipients, email.message_from_bytes(raw), raw))
        return "250 OK"


class SmtpSink:
    def __init__(self, *, smtputf8: bool = True) -> None:
        """`smtputf8=False`: a server that does not offer SMTPUTF8 (RFC 6531)."""
        self.handler = SinkHandler()
        self.port = free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SmtpSink:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    @property
    def messages(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.messages)

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.to]

    def script(self, recipient: str, *replies: str) -> None:
        with self.handler.lock:
            self.handler.scripted[recipient] = list(replies)
