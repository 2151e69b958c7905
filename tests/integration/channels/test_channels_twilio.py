"""TwilioSmsSender against a local HTTP server speaking Twilio's Messages API."""

from __future__ import annotations

import pytest

from conftest import TWILIO_SID, TWILIO_TOKEN, FakeTwilio, free_port
from payrec.channels import (
    DeliveryChannel,
    OutgoingSms,
    PermanentChannelError,
    TransientChannelError,
    TwilioSmsSender,
)

FROM = "+15005550006"


def sender_for(
    fake: FakeTwilio, *, token: str = TWILIO_TOKEN, timeout: float = 5.0, from_number: str = FROM
) -> TwilioSmsSender:
    return TwilioSmsSender(
        base_url=fake.url,
        account_sid=TWILIO_SID,
        auth_token=token,
        from_number=from_number,
        timeout=timeout,
    )


def sms(
    to: str = "+1 (555) 010-0123", body: str = "Invoice INV-42 is overdue. STOP to opt out"
) -> OutgoingSms:
    return OutgoingSms(to=to, body=body, idempotency_seed="rem-sms-1")


def test_success_returns_message_sid(fake_twilio: FakeTwilio) -> None:
    with sender_for(fake_twilio) as sender:
        result = sender.send(sms())
    assert result.external_id.startswith("SM") and len(result.external_id) == 34
    assert result.channel is DeliveryChannel.SMS
    assert fake_twilio.requests == [
        {"To": "+15550100123", "From": FROM, "Body": "Invoice INV-42 is overdue. STOP to opt out"}
    ]


def test_messaging_service_sid_and_status_callback(fake_twilio: FakeTwilio) -> None:
    service = "MG" + "ab" * 16
    with TwilioSmsSender(
        base_url=fake_twilio.url,
        account_sid=TWILIO_SID,
        auth_token=TWILIO_TOKEN,
        from_number=service,
        status_callback="https://payrec.test/hooks/sms-status",
    ) as sender:
        sender.send(sms())
    [form] = fake_twilio.requests
    assert form["MessagingServiceSid"] == service and "From" not in form
    assert form["StatusCallback"] == "https://payrec.test/hooks/sms-status"


def test_invalid_to_number_21211_is_permanent(fake_twilio: FakeTwilio) -> None:
    fake_twilio.script.append(
        (
            400,
            {
                "code": 21211,
                "message": "The 'To' number +15550100123 is not a valid phone number.",
                "more_info": "https://www.twilio.com/docs/errors/21211",
                "status": 400,
            },
            {},
        )
    )
    with sender_for(fake_twilio) as sender, pytest.raises(PermanentChannelError) as info:
        sender.send(sms())
    assert "21211" in info.value.reason and "not a valid phone number" in info.value.reason
    assert TWILIO_TOKEN not in info.value.reason


@pytest.mark.parametrize(("status", "code"), [(503, 20500), (500, 20500), (429, 20429)])
def test_server_errors_and_throttling_are_transient(
    fake_twilio: FakeTwilio, status: int, code: int
) -> None:
    fake_twilio.script.append(
        (status, {"code": code, "message": "try later", "status": status}, {"Retry-After": "7"})
    )
    with sender_for(fake_twilio) as sender:
        with pytest.raises(TransientChannelError) as info:
            sender.send(sms())
        assert str(status) in info.value.reason
        assert info.value.retry_after == 7.0
        sender.send(sms())  # the retry goes through
    assert len(fake_twilio.requests) == 2


def test_bad_credentials_are_transient_and_not_leaked(fake_twilio: FakeTwilio) -> None:
    with sender_for(fake_twilio, token="wrong-token-value") as sender:
        with pytest.raises(TransientChannelError) as info:
            sender.send(sms())
        assert "wrong-token-value" not in repr(sender)
    assert "401" in info.value.reason and "20003" in info.value.reason
    assert "wrong-token-value" not in info.value.reason


@pytest.mark.parametrize("number", ["hello", "12345", "+0 555 0100", "+1555010012345678", ""])
def test_garbage_number_is_permanent_before_network(fake_twilio: FakeTwilio, number: str) -> None:
    with sender_for(fake_twilio) as sender, pytest.raises(PermanentChannelError, match="phone"):
        sender.send(sms(to=number))
    assert fake_twilio.requests == [] and fake_twilio.client_ports == set()


def test_empty_or_oversized_body_is_permanent(fake_twilio: FakeTwilio) -> None:
    with sender_for(fake_twilio) as sender:
        for body in ("  ", "x" * 1601):
            with pytest.raises(PermanentChannelError):
                sender.send(sms(body=body))
    assert fake_twilio.requests == []


def test_timeout_is_transient(fake_twilio: FakeTwilio) -> None:
    fake_twilio.hang = True
    with (
        sender_for(fake_twilio, timeout=0.3) as sender,
        pytest.raises(TransientChannelError, match="timed out"),
    ):
        sender.send(sms())


def test_provider_down_is_transient() -> None:
    with (
        TwilioSmsSender(
            base_url=f"http://127.0.0.1:{free_port()}",
            account_sid=TWILIO_SID,
            auth_token=TWILIO_TOKEN,
            from_number=FROM,
            timeout=2,
        ) as sender,
        pytest.raises(TransientChannelError, match="unreachable"),
    ):
        sender.send(sms())


def test_one_pooled_connection_for_many_messages(fake_twilio: FakeTwilio) -> None:
    with sender_for(fake_twilio) as sender:
        ids = {sender.send(sms()).external_id for _ in range(5)}
    assert len(ids) == 5
    assert len(fake_twilio.client_ports) == 1


def test_sender_validation() -> None:
    with pytest.raises(ValueError, match="sender"):
        TwilioSmsSender(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN, from_number="+12")
    with pytest.raises(ValueError, match="SID"):
        TwilioSmsSender(account_sid="AC/../x", auth_token=TWILIO_TOKEN, from_number=FROM)
