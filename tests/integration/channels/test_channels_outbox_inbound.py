"""File outboxes, factories, message building, inbound SMS parsing, Twilio signatures."""

from __future__ import annotations

import json
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from payrec.channels import (
    DeliveryChannel,
    FileOutboxEmailSender,
    FileOutboxSmsSender,
    ManualTaskInstruction,
    OutgoingEmail,
    OutgoingSms,
    PermanentChannelError,
    SmtpEmailSender,
    TwilioSmsSender,
    build_message,
    compute_twilio_signature,
    email_sender_from_env,
    parse_inbound_sms,
    parse_smtp_url,
    sms_sender_from_env,
    validate_twilio_signature,
)


def email(seed: str = "rem-1", **kw: object) -> OutgoingEmail:
    fields: dict[str, object] = {
        "to": "alice@example.com",
        "subject": "Overdue",
        "text": "Pay please. STOP to opt out",
        "html": None,
        "message_id_seed": seed,
    }
    fields.update(kw)
    return OutgoingEmail(**fields)  # type: ignore[arg-type]


# --- file outboxes ---------------------------------------------------------------------------


def test_email_outbox_same_seed_twice_leaves_one_file(tmp_path: Path) -> None:
    outbox = FileOutboxEmailSender(tmp_path / "outbox", sender="payments@acme.test")
    first = outbox.send(email(subject="first"))
    second = outbox.send(email(subject="second"))
    outbox.send(email(seed="rem-2"))

    assert first.external_id == second.external_id == "<rem-1.payrec@acme.test>"
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == ["rem-1.eml", "rem-2.eml"]
    msg = message_from_bytes(
        (tmp_path / "outbox" / "rem-1.eml").read_bytes(), policy=policy.default
    )
    assert msg["Subject"] == "first" and msg["Message-ID"] == first.external_id


def test_email_outbox_validates_like_smtp(tmp_path: Path) -> None:
    outbox = FileOutboxEmailSender(tmp_path)
    with pytest.raises(PermanentChannelError, match="invalid address"):
        outbox.send(email(to="bob@@example.com"))
    assert list(tmp_path.iterdir()) == []


def test_email_outbox_unsafe_seed_gets_a_stable_hashed_name(tmp_path: Path) -> None:
    outbox = FileOutboxEmailSender(tmp_path)
    a = outbox.send(email(seed="../../etc/passwd"))
    b = outbox.send(email(seed="../../etc/passwd"))
    [path] = list(tmp_path.iterdir())
    assert path.name.startswith("h-") and path.name.endswith(".eml")
    assert a.external_id == b.external_id


def test_sms_outbox_same_seed_twice_leaves_one_file(tmp_path: Path) -> None:
    outbox = FileOutboxSmsSender(tmp_path)
    first = outbox.send(OutgoingSms("+44 20 7946 0958", "Pay please. STOP to opt out", "rem-9"))
    second = outbox.send(OutgoingSms("+44 20 7946 0958", "changed", "rem-9"))
    assert first.external_id == second.external_id and first.channel is DeliveryChannel.SMS
    [path] = list(tmp_path.iterdir())
    assert path.name == "rem-9.sms.json"
    record = json.loads(path.read_text())
    assert record["to"] == "+442079460958" and record["body"] == "Pay please. STOP to opt out"
    with pytest.raises(PermanentChannelError):
        outbox.send(OutgoingSms("call me maybe", "x", "rem-10"))


# --- factories and configuration -------------------------------------------------------------


def test_email_factory_defaults_to_file_outbox(tmp_path: Path) -> None:
    sender = email_sender_from_env({"PAYREC_DATA_DIR": str(tmp_path)})
    assert isinstance(sender, FileOutboxEmailSender)
    assert sender.outbox_dir == tmp_path / "outbox"
    assert sender.send(email()).external_id == "<rem-1.payrec@localhost>"


def test_email_factory_uses_smtp_url_without_connecting() -> None:
    env = {
        "PAYREC_SMTP_URL": "smtps://u:top%40secret@mail.acme.test",
        "PAYREC_EMAIL_FROM": "billing@acme.test",
    }
    sender = email_sender_from_env(env)
    assert isinstance(sender, SmtpEmailSender)
    assert "secret" not in repr(sender) and sender.connections_opened == 0


def test_sms_factory(tmp_path: Path) -> None:
    assert isinstance(sms_sender_from_env({}, data_dir=tmp_path), FileOutboxSmsSender)
    sender = sms_sender_from_env(
        {
            "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
            "TWILIO_AUTH_TOKEN": "tok-123",
            "PAYREC_SMS_FROM": "+15005550006",
            "PAYREC_SMS_URL": "http://127.0.0.1:9",
        }
    )
    assert isinstance(sender, TwilioSmsSender) and "tok-123" not in repr(sender)
    sender.close()


@pytest.mark.parametrize(
    ("url", "host", "port", "implicit", "starttls", "verify", "user", "password"),
    [
        ("smtp://mail.test", "mail.test", 25, False, False, True, None, None),
        (
            "smtp://u:p%2Fq@mail.test:2525?starttls=true",
            "mail.test",
            2525,
            False,
            True,
            True,
            "u",
            "p/q",
        ),
        ("smtp://mail.test?starttls=true", "mail.test", 587, False, True, True, None, None),
        ("smtps://u:p@mail.test?verify=false", "mail.test", 465, True, False, False, "u", "p"),
    ],
)
def test_parse_smtp_url(
    url: str,
    host: str,
    port: int,
    implicit: bool,
    starttls: bool,
    verify: bool,
    user: str | None,
    password: str | None,
) -> None:
    cfg = parse_smtp_url(url)
    assert (cfg.host, cfg.port, cfg.implicit_tls, cfg.starttls, cfg.verify) == (
        host,
        port,
        implicit,
        starttls,
        verify,
    )
    assert (cfg.username, cfg.password) == (user, password)
    assert "hunter2" not in repr(parse_smtp_url("smtps://u:hunter2@mail.test"))


@pytest.mark.parametrize(
    "url",
    [
        "http://u:hunter2@mail.test",
        "smtp://u:hunter2@:25",
        "smtps://u:hunter2@h?starttls=true",
        "smtp://u:hunter2@h?bogus=1",
        "smtp://u:hunter2@h:99999",
    ],
)
def test_bad_smtp_url_errors_hide_the_password(url: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_smtp_url(url)
    assert "hunter2" not in str(info.value)


# --- message building ------------------------------------------------------------------------


def test_message_id_is_deterministic_and_mailto_unsubscribe_has_no_one_click() -> None:
    a = build_message(email(list_unsubscribe="mailto:unsub@acme.test"), sender="p@acme.test")
    b = build_message(email(list_unsubscribe="mailto:unsub@acme.test"), sender="p@acme.test")
    assert a.message_id == b.message_id == "<rem-1.payrec@acme.test>"
    assert a.message["List-Unsubscribe"] == "<mailto:unsub@acme.test>"
    assert a.message["List-Unsubscribe-Post"] is None
    assert a.message.get_content_type() == "text/plain"  # no HTML given


def test_display_names_and_reply_to() -> None:
    built = build_message(
        email(
            to='"Müller, Anna" <anna@example.de>',
            reply_to="Help <help@acme.test>",
            headers={"X-Payrec-Case": "case-123"},
        ),
        sender="payments@acme.test",
    )
    assert built.envelope_to == "anna@example.de"
    assert built.message["Reply-To"] == "Help <help@acme.test>"
    assert built.message["X-Payrec-Case"] == "case-123"


# --- inbound SMS -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "opt_out", "opt_in"),
    [
        ("STOP", True, False),
        (" stop ", True, False),
        ("Stop.", True, False),
        ("stopall", True, False),
        ("UNSUBSCRIBE", True, False),
        ("cancel", True, False),
        ("End", True, False),
        ("quit\n", True, False),
        ("START", False, True),
        ("unstop", False, True),
        ("please stop calling me", False, False),
        ("I paid yesterday", False, False),
        ("", False, False),
        ("YES", False, False),
    ],
)
def test_parse_inbound_sms_keywords(body: str, opt_out: bool, opt_in: bool) -> None:
    inbound = parse_inbound_sms(
        {"From": "+1 555 010 0123", "To": "+15005550006", "Body": body, "MessageSid": "SM1"}
    )
    assert (inbound.is_opt_out, inbound.is_opt_in) == (opt_out, opt_in)
    assert inbound.from_number == "+15550100123" and inbound.to_number == "+15005550006"
    assert inbound.body == body and inbound.message_sid == "SM1"


def test_parse_inbound_sms_requires_from() -> None:
    with pytest.raises(ValueError):
        parse_inbound_sms({"Body": "STOP"})


# --- Twilio signatures -----------------------------------------------------------------------

DOC_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
DOC_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
DOC_SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="  # Twilio's documented example, token "12345"


def test_signature_matches_twilio_documented_example() -> None:
    assert compute_twilio_signature(DOC_URL, DOC_PARAMS, "12345") == DOC_SIGNATURE
    assert validate_twilio_signature(DOC_URL, DOC_PARAMS, DOC_SIGNATURE, "12345")


def test_signature_with_repeated_parameters() -> None:
    params = {"Sid": ["CA123"], "SidAccount": ["AC123"], "Digits": ["5678", "1234", "1234"]}
    assert validate_twilio_signature(DOC_URL, params, "IK+Dwps556ElfBT0I3Rgjkr1wJU=", "12345")


def test_signature_accepts_explicit_or_implicit_default_port() -> None:
    with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
    assert validate_twilio_signature(with_port, DOC_PARAMS, DOC_SIGNATURE, "12345")
    signed_with_port = compute_twilio_signature(with_port, DOC_PARAMS, "12345")
    assert validate_twilio_signature(DOC_URL, DOC_PARAMS, signed_with_port, "12345")


@pytest.mark.parametrize(
    ("url", "params", "signature", "token"),
    [
        (DOC_URL, {**DOC_PARAMS, "Digits": "9999"}, DOC_SIGNATURE, "12345"),
        (DOC_URL + "&extra=1", DOC_PARAMS, DOC_SIGNATURE, "12345"),
        (DOC_URL, DOC_PARAMS, DOC_SIGNATURE, "54321"),
        (DOC_URL, DOC_PARAMS, "", "12345"),
        (DOC_URL, DOC_PARAMS, None, "12345"),
        (DOC_URL, DOC_PARAMS, "invalid 王", "12345"),
        (DOC_URL, DOC_PARAMS, DOC_SIGNATURE, ""),
    ],
)
def test_signature_rejects_tampering(
    url: str, params: dict[str, str], signature: str | None, token: str
) -> None:
    assert not validate_twilio_signature(url, params, signature, token)


# --- manual steps ----------------------------------------------------------------------------


def test_manual_task_instruction() -> None:
    task = ManualTaskInstruction(
        "Call Alice about INV-42", "Script…", DeliveryChannel.CALL, contact="+15550100123"
    )
    assert task.to_payload() == {
        "title": "Call Alice about INV-42",
        "body": "Script…",
        "channel": "CALL",
        "contact": "+15550100123",
    }
    with pytest.raises(ValueError):
        ManualTaskInstruction("Email", "x", DeliveryChannel.EMAIL)
