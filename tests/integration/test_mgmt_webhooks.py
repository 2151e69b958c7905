"""Inbound SMS (Twilio webhook, signed) and the management opt-out endpoint."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from payrec.channels import compute_twilio_signature
from tests.support.backend import LiveBackend

TOKEN = "twilio-test-" + secrets.token_hex(8)
INBOUND = "/api/v1/webhooks/sms/inbound"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def sms_backend(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> LiveBackend:
    return backend_factory(request.param, env={"PAYREC_SMS_AUTH_TOKEN": TOKEN})


def _post_sms(
    backend: LiveBackend,
    params: dict[str, str],
    *,
    token: str = TOKEN,
    signed: dict[str, str] | None = None,
    signature: str | None = None,
) -> httpx.Response:
    url = backend.base_url + INBOUND
    sig = signature or compute_twilio_signature(url, signed or params, token)
    return httpx.post(url, data=params, headers={"X-Twilio-Signature": sig}, timeout=10)


def _form(number: str, body: str) -> dict[str, str]:
    return {
        "From": number,
        "To": "+15005550006",
        "Body": body,
        "MessageSid": "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + secrets.token_hex(16),
    }


def _book(backend: LiveBackend) -> dict[str, Any]:
    """A customer (phone stored loosely formatted) with SMS and EMAIL work pending."""
    local = f"{2_000_000 + secrets.randbelow(8_000_000):07d}"  # a valid US exchange: 2-9
    e164 = f"+1202{local}"
    customer = backend.new_customer(
        phone=f"+1 (202) {local[:3]}-{local[3:]}", email=f"{local}@example.com"
    )
    twin = backend.new_customer(name="Same phone", phone=f"001 202 {local}")
    case = backend.new_case(customer["id"])
    twin_case = backend.new_case(twin["id"])

    def task(case_id: str, channel: str) -> str:
        created = backend.auto(
            "POST",
            "/tasks",
            json={
                "type": "REMINDER",
                "scheduledAt": "2099-01-01T10:00:00Z",
                "recoveryCaseId": case_id,
                "metadata": {"reminderType": channel, "templateId": "sms-reminder"},
            },
        )
        assert created.status_code == 201, created.text
        task_id: str = created.json()["id"]
        return task_id

    reminder = backend.auto(
        "POST",
        "/reminders",
        json={"recoveryCaseId": case["id"], "type": "SMS", "recipient": e164},
    )
    assert reminder.status_code == 201, reminder.text
    return {
        "e164": e164,
        "customer": customer["id"],
        "twin": twin["id"],
        "sms_task": task(case["id"], "SMS"),
        "twin_sms_task": task(twin_case["id"], "SMS"),
        "email_task": task(case["id"], "EMAIL"),
        "reminder": reminder.json()["id"],
    }


def _task_status(backend: LiveBackend, task_id: str) -> str:
    status: str = backend.auto("GET", f"/tasks/{task_id}").json()["status"]
    return status


def _customer(backend: LiveBackend, customer_id: str) -> dict[str, Any]:
    body: dict[str, Any] = backend.admin("GET", f"/customers/{customer_id}").json()
    return body


def test_stop_opts_out_and_cancels_pending_sms(sms_backend: LiveBackend) -> None:
    book = _book(sms_backend)
    answer = _post_sms(sms_backend, _form(book["e164"], " stop! "))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/xml")
    assert answer.text.endswith("<Response/>")

    assert _customer(sms_backend, book["customer"])["optOutSms"] is True
    assert _customer(sms_backend, book["twin"])["optOutSms"] is True  # 00-prefixed number
    assert _customer(sms_backend, book["customer"])["optOutEmail"] is False
    assert _task_status(sms_backend, book["sms_task"]) == "CANCELLED"
    assert _task_status(sms_backend, book["twin_sms_task"]) == "CANCELLED"
    assert _task_status(sms_backend, book["email_task"]) == "PENDING"
    reminder = sms_backend.auto("GET", f"/reminders/{book['reminder']}").json()
    assert reminder["status"] == "CANCELLED"

    events = sms_backend.admin(
        "GET", "/audit-events", params={"entityType": "customer", "entityId": book["customer"]}
    ).json()["events"]
    assert [e["action"] for e in events].count("customer.opt_out") == 1
    cancelled = sms_backend.admin(
        "GET", "/audit-events", params={"entityType": "task", "entityId": book["sms_task"]}
    ).json()["events"]
    assert "task.cancelled" in [e["action"] for e in cancelled]

    again = _post_sms(sms_backend, _form(book["e164"], "STOP"))  # Twilio retries: no-op
    assert again.status_code == 200
    events = sms_backend.admin(
        "GET", "/audit-events", params={"entityType": "customer", "entityId": book["customer"]}
    ).json()["events"]
    assert [e["action"] for e in events].count("customer.opt_out") == 1

    start = _post_sms(sms_backend, _form(book["e164"], "START"))
    assert start.status_code == 200
    assert _customer(sms_backend, book["customer"])["optOutSms"] is False
    assert _task_status(sms_backend, book["sms_task"]) == "CANCELLED"  # nothing resurrected


def test_bad_or_missing_signature_changes_nothing(sms_backend: LiveBackend) -> None:
    book = _book(sms_backend)
    form = _form(book["e164"], "STOP")
    url = sms_backend.base_url + INBOUND
    attempts = [
        _post_sms(sms_backend, form, token="wrong-token"),
        _post_sms(sms_backend, form, signed={**form, "Body": "hello"}),  # tampered body
        _post_sms(sms_backend, form, signature="not-base64!"),
        httpx.post(url, data=form, timeout=10),  # no signature at all
        httpx.post(
            url + "?x=1",  # signed for another URL
            data=form,
            headers={"X-Twilio-Signature": compute_twilio_signature(url, form, TOKEN)},
            timeout=10,
        ),
    ]
    for answer in attempts:
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
    assert _customer(sms_backend, book["customer"])["optOutSms"] is False
    assert _task_status(sms_backend, book["sms_task"]) == "PENDING"


def test_other_messages_and_unknown_numbers_change_nothing(sms_backend: LiveBackend) -> None:
    book = _book(sms_backend)
    chat = _post_sms(sms_backend, _form(book["e164"], "Please stop calling me at work"))
    assert chat.status_code == 200
    assert _customer(sms_backend, book["customer"])["optOutSms"] is False
    stranger = _post_sms(sms_backend, _form("+15559999999", "STOP"))
    assert stranger.status_code == 200
    no_sender = _post_sms(sms_backend, {"Body": "STOP"})
    assert no_sender.status_code == 422
    assert _task_status(sms_backend, book["sms_task"]) == "PENDING"


def test_without_a_token_the_webhook_is_off(backend: LiveBackend) -> None:
    url = backend.base_url + INBOUND
    form = _form("+15550000000", "STOP")
    signed = {"X-Twilio-Signature": compute_twilio_signature(url, form, "")}
    answer = httpx.post(url, data=form, headers=signed, timeout=10)
    assert answer.status_code == 404


def test_people_record_opt_outs_through_the_api(sms_backend: LiveBackend) -> None:
    book = _book(sms_backend)
    path = f"/customers/{book['customer']}/opt-out"
    out = sms_backend.admin("POST", path, json={"channel": "EMAIL", "optedOut": True})
    assert out.status_code == 200, out.text
    assert out.json()["changed"] is True and out.json()["cancelled"]["tasks"] == 1
    assert _task_status(sms_backend, book["email_task"]) == "CANCELLED"
    assert _task_status(sms_backend, book["sms_task"]) == "PENDING"
    assert _customer(sms_backend, book["customer"])["optOutEmail"] is True

    back = sms_backend.admin("POST", path, json={"channel": "EMAIL", "optedOut": False})
    assert back.json()["changed"] is True
    assert _customer(sms_backend, book["customer"])["optOutEmail"] is False

    bad = sms_backend.admin("POST", path, json={"channel": "FAX"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "channel"
    missing = sms_backend.admin("POST", "/customers/cust-nope/opt-out", json={"channel": "SMS"})
    assert missing.status_code == 404
    agent = {"Authorization": f"Bearer {sms_backend.agent_key}"}
    as_agent = httpx.post(
        sms_backend.base_url + "/api/v1" + path, json={"channel": "SMS"}, headers=agent
    )
    assert as_agent.status_code == 403


def test_stop_finds_a_customer_by_a_phone_number_changed_later(sms_backend: LiveBackend) -> None:
    """Inbound replies find customers by their number's digits, kept in step with the number:
    a STOP from the new number opts the customer out; the old number no longer matches."""
    suffix = secrets.randbelow(10**6)
    old, new = f"+1 (415) 2{suffix:06d}", f"+1 (415) 3{suffix:06d}"
    customer = sms_backend.new_customer(phone=old)
    changed = sms_backend.admin("PATCH", f"/customers/{customer['id']}", json={"phone": new})
    assert changed.status_code == 200, changed.text
    from_old = _post_sms(sms_backend, _form(f"+14152{suffix:06d}", "STOP"))
    assert from_old.status_code == 200
    assert _customer(sms_backend, customer["id"])["optOutSms"] is False
    from_new = _post_sms(sms_backend, _form(f"+14153{suffix:06d}", "STOP"))
    assert from_new.status_code == 200
    assert _customer(sms_backend, customer["id"])["optOutSms"] is True


def test_stop_finds_a_customer_whose_number_was_written_the_national_way(
    sms_backend: LiveBackend,
) -> None:
    """`030 …` for a German customer is stored as +4930…: Twilio's E.164 From finds it."""
    local = f"{secrets.randbelow(10**7):07d}"
    customer = sms_backend.new_customer(
        phone=f"030 {local}", locale="de_DE", timezone="Europe/Berlin"
    )
    assert customer["phone"] == f"+4930{local}"
    answer = _post_sms(sms_backend, _form(f"+4930{local}", "STOP"))
    assert answer.status_code == 200, answer.text
    assert _customer(sms_backend, customer["id"])["optOutSms"] is True
