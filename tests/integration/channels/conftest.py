"""Real local servers for the channel tests: aiosmtpd SMTP and a Twilio-shaped HTTP API."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ipaddress
import json
import socket
import ssl
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER = "mailer"
SMTP_PASSWORD = "s3cret/pass"  # the "/" must be percent-encoded in the URL
TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-auth-token-0123456789"


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``predicate`` until it holds or the deadline passes (no blind sleeps)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached before the deadline")
        time.sleep(0.005)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- TLS material ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TlsFiles:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """A self-signed certificate for 127.0.0.1 / localhost, made fresh for this run."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "payrec test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return TlsFiles(cert_path, key_path)


# --- SMTP --------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    authenticated: bool
    tls: bool


@dataclass
class RecordingHandler:
    """Records messages and connections; replies can be scripted per recipient or for DATA."""

    messages: list[Received] = field(default_factory=list)
    connections: list[SMTP] = field(default_factory=list)  # one protocol object per TCP conn
    data_replies: deque[str] = field(default_factory=deque)
    rcpt_replies: dict[str, str] = field(default_factory=dict)

    async def handle_EHLO(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        if not any(known is server for known in self.connections):
            self.connections.append(server)
        return responses

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        reply = self.rcpt_replies.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.data_replies:
            return self.data_replies.popleft()
        content = envelope.original_content or b""
        assert isinstance(content, bytes)
        transport = server.transport
        self.messages.append(
            Received(
                mail_from=str(envelope.mail_from),
                rcpt_tos=list(envelope.rcpt_tos),
                content=content,
                authenticated=bool(session.authenticated),
                tls=transport is not None and transport.get_extra_info("ssl_object") is not None,
            )
        )
        return "250 2.0.0 queued"


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == SMTP_USER.encode()
        and auth_data.password == SMTP_PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@dataclass
class SmtpServer:
    controller: Controller
    handler: RecordingHandler
    port: int

    def drop_connections(self) -> None:
        """Close every client connection from the server side, as an idle timeout would."""
        loop = self.controller.loop

        async def close_all() -> None:
            for proto in self.handler.connections:
                if proto.transport is not None:
                    proto.transport.close()

        asyncio.run_coroutine_threadsafe(close_all(), loop).result(timeout=5)
        wait_until(
            lambda: all(
                p.transport is None or p.transport.is_closing() for p in self.handler.connections
            )
        )


StartSmtp = Callable[..., SmtpServer]


@pytest.fixture
def start_smtp() -> Iterator[StartSmtp]:
    """Start an aiosmtpd server on a free loopback port; keyword arguments go to Controller."""
    started: list[Controller] = []

    def start(**kwargs: Any) -> SmtpServer:
        handler = RecordingHandler()
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        return SmtpServer(controller, handler, port)

    yield start
    for controller in started:
        controller.stop()


# --- Twilio-shaped HTTP API --------------------------------------------------------------------


@dataclass
class FakeTwilio:
    """State of the fake API: recorded requests and scripted replies."""

    url: str = ""
    requests: list[dict[str, str]] = field(default_factory=list)
    client_ports: set[int] = field(default_factory=set)
    script: deque[tuple[int, dict[str, Any], dict[str, str]]] = field(default_factory=deque)
    hang: bool = False
    release: threading.Event = field(default_factory=threading.Event)


def _twilio_handler(state: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    expected_auth = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
    path = f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so connection pooling is observable

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _reply(self, status: int, body: dict[str, Any], headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length).decode()
            state.client_ports.add(self.client_address[1])
            if self.path != path:
                self._reply(404, {"code": 20404, "message": "not found", "status": 404}, {})
                return
            if self.headers.get("Authorization") != expected_auth:
                self._reply(401, {"code": 20003, "message": "Authenticate", "status": 401}, {})
                return
            if not self.headers.get("Content-Type", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                self._reply(415, {"code": 0, "message": "form expected", "status": 415}, {})
                return
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            state.requests.append(form)
            if state.hang:
                state.release.wait(5)
                return
            if (
                "To" not in form
                or "Body" not in form
                or not ("From" in form or "MessagingServiceSid" in form)
            ):
                self._reply(400, {"code": 21604, "message": "missing field", "status": 400}, {})
                return
            if state.script:
                self._reply(*state.script.popleft())
                return
            sid = "SM" + uuid.uuid4().hex
            self._reply(
                201,
                {
                    "sid": sid,
                    "status": "queued",
                    "to": form["To"],
                    "from": form.get("From"),
                    "body": form["Body"],
                    "account_sid": TWILIO_SID,
                },
                {},
            )

    return Handler


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    state = FakeTwilio()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _twilio_handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="fake-twilio", daemon=True
    )
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
