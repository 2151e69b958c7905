"""SmtpEmailSender against a real aiosmtpd server on a loopback port."""

from __future__ import annotations

import socket
import threading
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote

import pytest

from conftest import SMTP_PASSWORD, SMTP_USER, StartSmtp, TlsFiles, authenticator, free_port
from payrec.channels import (
    DeliveryChannel,
    OutgoingEmail,
    PermanentChannelError,
    SmtpEmailSender,
    TransientChannelError,
)

SENDER = "Acme Payments <payments@acme.test>"
CREDENTIALS = f"{SMTP_USER}:{quote(SMTP_PASSWORD, safe='')}"


def reminder(seed: str = "rem-abc123", **kw: object) -> OutgoingEmail:
    fields: dict[str, object] = {
        "to": "alice@example.com",
        "subject": "Invoice INV-42 is 5 days overdue",
        "text": "Dear Alice,\nplease pay 5,000.00 EUR.\nReply STOP to opt out.",
        "html": "<p>Dear Alice,</p><p>please pay <b>5,000.00&nbsp;EUR</b>.</p>",
        "message_id_seed": seed,
        "list_unsubscribe": "https://pay.acme.test/unsubscribe?t=tok",
    }
    fields.update(kw)
    return OutgoingEmail(**fields)  # type: ignore[arg-type]


def parsed(content: bytes) -> EmailMessage:
    msg = message_from_bytes(content, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_delivers_multipart_with_expected_headers(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    with SmtpEmailSender(f"smtp://127.0.0.1:{server.port}", SENDER, timeout=5) as sender:
        result = sender.send(reminder())

    assert result.external_id == "<rem-abc123.payrec@acme.test>"
    assert result.channel is DeliveryChannel.EMAIL
    [got] = server.handler.messages
    assert got.mail_from == "payments@acme.test"
    assert got.rcpt_tos == ["alice@example.com"]
    msg = parsed(got.content)
    assert msg["Message-ID"] == "<rem-abc123.payrec@acme.test>"
    assert msg["From"] == SENDER
    assert msg["To"] == "alice@example.com"
    assert msg["Subject"] == "Invoice INV-42 is 5 days overdue"
    assert msg["Date"] is not None
    assert msg["List-Unsubscribe"] == "<https://pay.acme.test/unsubscribe?t=tok>"
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and "Reply STOP to opt out." in plain.get_content()
    assert html is not None and "<b>5,000.00&nbsp;EUR</b>" in html.get_content()


def test_same_seed_carries_same_message_id(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    with SmtpEmailSender(f"smtp://127.0.0.1:{server.port}", SENDER, timeout=5) as sender:
        first = sender.send(reminder())
        second = sender.send(reminder())
    assert first.external_id == second.external_id
    ids = {parsed(m.content)["Message-ID"] for m in server.handler.messages}
    assert ids == {"<rem-abc123.payrec@acme.test>"}


def test_starttls_with_auth_and_ca_file(start_smtp: StartSmtp, tls_files: TlsFiles) -> None:
    server = start_smtp(
        tls_context=tls_files.server_context(),
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    url = (
        f"smtp://{CREDENTIALS}@127.0.0.1:{server.port}"
        f"?starttls=true&cafile={quote(str(tls_files.cert))}"
    )
    with SmtpEmailSender(url, SENDER, timeout=5) as sender:
        sender.send(reminder())
    [got] = server.handler.messages
    assert got.tls and got.authenticated


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_smtps(start_smtp: StartSmtp, tls_files: TlsFiles) -> None:
    server = start_smtp(
        ssl_context=tls_files.server_context(),
        auth_required=True,
        auth_require_tls=False,  # aiosmtpd only counts STARTTLS as TLS; this socket is TLS
        authenticator=authenticator,
    )
    url = f"smtps://{CREDENTIALS}@127.0.0.1:{server.port}?verify=false"
    with SmtpEmailSender(url, SENDER, timeout=5) as sender:
        sender.send(reminder())
    [got] = server.handler.messages
    assert got.tls and got.authenticated


def test_untrusted_certificate_is_refused(start_smtp: StartSmtp, tls_files: TlsFiles) -> None:
    server = start_smtp(ssl_context=tls_files.server_context())
    with (
        SmtpEmailSender(f"smtps://127.0.0.1:{server.port}", SENDER, timeout=5) as sender,
        pytest.raises(TransientChannelError, match="certificate"),
    ):
        sender.send(reminder())
    assert server.handler.messages == []


def test_wrong_password_is_transient_and_not_leaked(
    start_smtp: StartSmtp, tls_files: TlsFiles
) -> None:
    server = start_smtp(
        tls_context=tls_files.server_context(),
        require_starttls=True,
        auth_required=True,
        authenticator=authenticator,
    )
    url = f"smtp://{SMTP_USER}:wrong-Pa55word@127.0.0.1:{server.port}?starttls=true&verify=false"
    with SmtpEmailSender(url, SENDER, timeout=5) as sender:
        with pytest.raises(TransientChannelError) as info:
            sender.send(reminder())
        assert "wrong-Pa55word" not in repr(sender)
    assert "535" in info.value.reason
    assert "wrong-Pa55word" not in info.value.reason and "wrong-Pa55word" not in str(info.value)
    assert server.handler.messages == []


def test_451_is_transient_then_retry_delivers_once(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    server.handler.data_replies.append("451 4.7.1 Greylisted, please try again later")
    with SmtpEmailSender(f"smtp://127.0.0.1:{server.port}", SENDER, timeout=5) as sender:
        with pytest.raises(TransientChannelError) as info:
            sender.send(reminder())
        assert "451" in info.value.reason and "Greylisted" in info.value.reason
        assert server.handler.messages == []
        result = sender.send(reminder())
    assert len(server.handler.messages) == 1
    assert parsed(server.handler.messages[0].content)["Message-ID"] == result.external_id
    assert len(server.handler.connections) == 1  # the failed transaction was reset, not dropped


def test_550_recipient_is_permanent_with_code_and_text(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    server.handler.rcpt_replies["gone@example.com"] = "550 5.1.1 <gone@example.com>: no such user"
    with SmtpEmailSender(f"smtp://127.0.0.1:{server.port}", SENDER, timeout=5) as sender:
        with pytest.raises(PermanentChannelError) as info:
            sender.send(reminder(to="gone@example.com"))
        assert "550" in info.value.reason and "no such user" in info.value.reason
        sender.send(reminder(seed="rem-other"))  # the pooled connection still works
    assert [m.rcpt_tos for m in server.handler.messages] == [["alice@example.com"]]


def test_554_on_data_is_permanent(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    server.handler.data_replies.append("554 5.7.1 Message rejected as spam")
    with (
        SmtpEmailSender(f"smtp://127.0.0.1:{server.port}", SENDER, timeout=5) as sender,
        pytest.raises(PermanentChannelError, match=r"554.*rejected as spam"),
    ):
        sender.send(reminder())


def test_server_down_is_transient() -> None:
    port = free_port()  # nothing listens there
    with (
        SmtpEmailSender(f"smtp://127.0.0.1:{port}", SENDER, timeout=2) as sender,
        pytest.raises(TransientChannelError, match="refused"),
    ):
        sender.send(reminder())


def test_silent_server_times_out_as_transient() -> None:
    with socket.socket() as listener:  # accepts TCP (backlog) but never greets
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        with (
            SmtpEmailSender(f"smtp://127.0.0.1:{port}", SENDER, timeout=0.3) as sender,
            pytest.raises(TransientChannelError, match="timed out"),
        ):
            sender.send(reminder())


def test_pooled_connection_reused_and_reestablished(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    with SmtpEmailSender(f"smtp://127.0.0.1:{server.port}", SENDER, timeout=5) as sender:
        for i in range(3):
            sender.send(reminder(seed=f"rem-{i}"))
        assert len(server.handler.connections) == 1

        server.drop_connections()
        sender.send(reminder(seed="rem-after-drop"))

        assert sender.connections_opened == 2
    assert len(server.handler.connections) == 2
    assert len(server.handler.messages) == 4


@pytest.mark.parametrize(
    ("noop_after", "max_idle"),
    [(0.0, 60.0), (60.0, 0.0)],
    ids=["noop-check-finds-dead-connection", "long-idle-connection-replaced"],
)
def test_idle_connection_checked_or_replaced(
    start_smtp: StartSmtp, noop_after: float, max_idle: float
) -> None:
    server = start_smtp()
    url = f"smtp://127.0.0.1:{server.port}"
    with SmtpEmailSender(
        url, SENDER, timeout=5, noop_after=noop_after, max_idle=max_idle
    ) as sender:
        sender.send(reminder(seed="rem-1"))
        server.drop_connections()
        sender.send(reminder(seed="rem-2"))
        assert sender.connections_opened == 2
    assert len(server.handler.messages) == 2


def test_concurrent_sends_share_one_connection(start_smtp: StartSmtp) -> None:
    server = start_smtp()
    errors: list[BaseException] = []
    with SmtpEmailSender(f"smtp://127.0.0.1:{server.port}", SENDER, timeout=5) as sender:

        def work(worker: int) -> None:
            try:
                for i in range(5):
                    sender.send(reminder(seed=f"rem-{worker}-{i}"))
            except BaseException as exc:  # surfaced below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=10)
    assert errors == []
    assert len(server.handler.messages) == 20
    assert len(server.handler.connections) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("to", "not-an-address"),
        ("to", "alice@example.com, bob@example.com"),
        ("to", "alice@example.com\r\nBcc: victim@example.com"),
        ("to", "alice@exa mple.com"),
        ("to", ""),
        ("subject", "Overdue\r\nBcc: victim@example.com"),
        ("subject", "Overdue\nX-Evil: 1"),
        ("reply_to", "help@acme.test\r\nBcc: victim@example.com"),
        ("list_unsubscribe", "https://x.test/u\r\nBcc: victim@example.com"),
        ("headers", {"X-Campaign": "a\r\nBcc: victim@example.com"}),
        ("headers", {"Bcc": "victim@example.com"}),
        ("headers", {"X Bad Name": "1"}),
    ],
)
def test_invalid_input_rejected_before_any_network(
    start_smtp: StartSmtp, field: str, value: Any
) -> None:
    server = start_smtp()
    with SmtpEmailSender(f"smtp://127.0.0.1:{server.port}", SENDER, timeout=5) as sender:
        with pytest.raises(PermanentChannelError):
            sender.send(replace(reminder(), **{field: value}))
        assert sender.connections_opened == 0
    assert server.handler.connections == []
