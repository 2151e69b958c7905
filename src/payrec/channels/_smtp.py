"""SMTP delivery over one pooled, thread-safe connection."""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
import threading
import time

from payrec.channels._mime import BuiltEmail, build_message, parse_address
from payrec.channels._smtp_config import SmtpConfig, parse_smtp_url
from payrec.channels.base import (
    ChannelError,
    ClosingSender,
    DeliveryChannel,
    DeliveryResult,
    OutgoingEmail,
    PermanentChannelError,
    TransientChannelError,
    redact,
)

__all__ = ["SmtpEmailSender"]

log = logging.getLogger(__name__)


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())[:300]


def _reply_error(stage: str, code: int, text: bytes | str) -> ChannelError:
    """4xx is a temporary refusal, 5xx a permanent one (RFC 5321 §4.2.1)."""
    reason = f"SMTP {code} at {stage}: {_text(text)}"
    if 400 <= code < 500:
        return TransientChannelError(reason)
    if 500 <= code < 600:
        return PermanentChannelError(reason)
    return TransientChannelError(f"unexpected {reason}")


def _network_error(stage: str, exc: BaseException) -> TransientChannelError:
    cause = exc.__context__
    if isinstance(exc, smtplib.SMTPServerDisconnected) and isinstance(cause, OSError):
        exc = cause  # smtplib wraps a socket timeout or reset in SMTPServerDisconnected
    if isinstance(exc, TimeoutError):
        what = "timed out"
    elif isinstance(exc, ConnectionRefusedError):
        what = "connection refused"
    elif isinstance(exc, socket.gaierror):
        what = "host name not resolved"
    elif isinstance(exc, ssl.SSLCertVerificationError):
        what = f"TLS certificate rejected ({exc.verify_message})"
    elif isinstance(exc, ssl.SSLError):
        what = f"TLS error ({exc.reason})"
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        what = "server closed the connection"
    elif isinstance(exc, OSError):
        what = f"network error ({exc.strerror or type(exc).__name__})"
    else:
        what = f"{type(exc).__name__}"
    return TransientChannelError(f"SMTP {stage}: {what}")


def _quiet_close(conn: smtplib.SMTP) -> None:
    try:
        conn.quit()
    except (smtplib.SMTPException, OSError):
        conn.close()


class SmtpEmailSender(ClosingSender):
    """Send through ``PAYREC_SMTP_URL`` on one pooled connection per sender object.

    The connection is opened lazily, checked with NOOP after ``noop_after`` seconds idle,
    replaced after ``max_idle`` seconds idle, and re-established when the server dropped it
    before the message transaction began. A drop during DATA is not retried here (the server
    may have accepted the message); it surfaces as a transient error and the caller's retry
    carries the same Message-ID. Connection-level failures (refused, timeout, TLS, AUTH) are
    transient: they say nothing about the message. Replies to MAIL/RCPT/DATA follow the SMTP
    code: 4xx transient, 5xx permanent.
    """

    def __init__(
        self,
        url: str,
        sender: str,
        *,
        timeout: float = 30.0,
        noop_after: float = 30.0,
        max_idle: float = 240.0,
    ) -> None:
        self._config: SmtpConfig = parse_smtp_url(url)
        try:
            self._sender = sender
            parse_address(sender, what="sender")
        except ChannelError as exc:
            raise ValueError(exc.reason) from None
        self._timeout = timeout
        self._noop_after = noop_after
        self._max_idle = max_idle
        self._lock = threading.Lock()
        self._conn: smtplib.SMTP | None = None
        self._last_used = 0.0
        self._connections_opened = 0
        if self._config.username and not self._config.uses_tls:
            log.warning("SMTP credentials configured without TLS for %s", self._config.describe())

    def __repr__(self) -> str:
        return f"SmtpEmailSender({self._config.describe()!r}, sender={self._sender!r})"

    @property
    def connections_opened(self) -> int:
        """How many SMTP connections this sender has opened so far."""
        return self._connections_opened

    def send(self, email: OutgoingEmail) -> DeliveryResult:
        """Deliver one message; its Message-ID (from the seed) is the external id."""
        built = build_message(email, sender=self._sender)  # validation before any I/O
        data = built.message.as_bytes()
        with self._lock:
            try:
                self._deliver(built, data)
            except ChannelError as exc:
                exc.reason = redact(exc.reason, self._config.password, self._config.username)
                exc.args = (exc.reason,)
                raise
        log.info("email %s accepted by %s", built.message_id, self._config.describe())
        return DeliveryResult.now(built.message_id, DeliveryChannel.EMAIL)

    def close(self) -> None:
        with self._lock:
            self._drop(graceful=True)

    # -- internals (called with the lock held) -------------------------------------------

    def _deliver(self, built: BuiltEmail, data: bytes) -> None:
        for attempt in (1, 2):
            conn, reused = self._connection()
            try:
                self._envelope(conn, built)
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self._drop(graceful=False)
                if reused and attempt == 1:
                    log.info("pooled SMTP connection was closed; reconnecting")
                    continue
                raise _network_error("envelope", exc) from exc
            break
        try:
            # smtplib raises for a refused DATA command but *returns* the final reply.
            code, text = conn.data(data)
        except smtplib.SMTPResponseException as exc:
            self._reset(conn)
            raise _reply_error("DATA", exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self._drop(graceful=False)
            raise _network_error("DATA", exc) from exc
        self._last_used = time.monotonic()
        if code != 250:
            raise _reply_error("end of DATA", code, text)

    def _envelope(self, conn: smtplib.SMTP, built: BuiltEmail) -> None:
        options: list[str] = []
        if built.smtputf8:
            if not conn.has_extn("smtputf8"):
                raise PermanentChannelError(
                    f"address {built.envelope_to!r} has a non-ASCII local part and "
                    f"{self._config.host}:{self._config.port} does not offer SMTPUTF8 "
                    "(RFC 6531): it cannot be delivered through this server"
                )
            options = ["SMTPUTF8", *(["BODY=8BITMIME"] if conn.has_extn("8bitmime") else [])]
        code, text = conn.mail(built.envelope_from, options)
        if code != 250:
            self._reset(conn)
            raise _reply_error("MAIL FROM", code, text)
        code, text = conn.rcpt(built.envelope_to)
        if code not in (250, 251):
            self._reset(conn)
            raise _reply_error("RCPT TO", code, text)

    def _reset(self, conn: smtplib.SMTP) -> None:
        """Abort the failed transaction so the pooled connection can serve the next one."""
        try:
            conn.rset()
            self._last_used = time.monotonic()
        except (smtplib.SMTPException, OSError):
            self._drop(graceful=False)

    def _connection(self) -> tuple[smtplib.SMTP, bool]:
        if self._conn is not None:
            idle = time.monotonic() - self._last_used
            if idle > self._max_idle:
                self._drop(graceful=True)
            elif idle > self._noop_after and not self._alive(self._conn):
                self._drop(graceful=False)
        if self._conn is not None:
            return self._conn, True
        self._conn = self._connect()
        self._last_used = time.monotonic()
        return self._conn, False

    @staticmethod
    def _alive(conn: smtplib.SMTP) -> bool:
        try:
            return conn.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def _connect(self) -> smtplib.SMTP:
        cfg = self._config
        ctx = cfg.ssl_context() if cfg.uses_tls else None
        stage = "connect"
        conn: smtplib.SMTP | None = None
        try:
            if cfg.implicit_tls:
                conn = smtplib.SMTP_SSL(
                    cfg.host, cfg.port, cfg.local_hostname, timeout=self._timeout, context=ctx
                )
            else:
                conn = smtplib.SMTP(cfg.host, cfg.port, cfg.local_hostname, timeout=self._timeout)
            stage = "EHLO"
            conn.ehlo_or_helo_if_needed()
            if cfg.starttls:
                stage = "STARTTLS"
                conn.starttls(context=ctx)
                conn.ehlo_or_helo_if_needed()
            if cfg.username is not None:
                stage = "AUTH"
                conn.login(cfg.username, cfg.password or "")
        except smtplib.SMTPResponseException as exc:
            if conn is not None:
                _quiet_close(conn)
            # A refusal while connecting is about this sender's setup, not the message.
            raise TransientChannelError(
                f"SMTP {exc.smtp_code} at {stage} on {cfg.host}:{cfg.port}: {_text(exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPNotSupportedError as exc:
            if conn is not None:
                conn.close()
            raise TransientChannelError(
                f"SMTP {stage} on {cfg.host}:{cfg.port}: not supported by the server"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            if conn is not None:
                conn.close()
            error = _network_error(f"{stage} to {cfg.host}:{cfg.port}", exc)
            raise error from exc
        self._connections_opened += 1
        log.debug("SMTP connection opened to %s", cfg.describe())
        return conn

    def _drop(self, *, graceful: bool) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if graceful:
            _quiet_close(conn)
        else:
            conn.close()
