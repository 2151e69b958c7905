"""A collector works one case in a real Chromium: find it by search, record a partial
payment, take a promise, complete a call task, log a dispute, sign out; bad input and a
CSRF-less post are refused with a plain message and nothing written; an AGENT's session
reaches no admin-only API. Screenshots of every page are saved by the run."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from playwright.sync_api import expect

from tests.support.backend import LiveBackend
from tests.support.workspace import AppClient, browser_sign_in, create_user


def _case_with_call_task(backend: LiveBackend, tag: str) -> tuple[dict[str, Any], str]:
    customer = backend.new_customer(name=f"Case Page Cafe {tag}", timezone="Europe/Berlin")
    case = backend.new_case(customer["id"], invoiceNumber=f"INV-CP-{tag}", amount="1000.00")
    task = backend.auto(
        "POST",
        "/tasks",
        json={
            "type": "CALL",
            "scheduledAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "recoveryCaseId": case["id"],
            "metadata": {},
        },
    )
    assert task.status_code == 201, task.text
    return case, task.json()["id"]


HOSTILE_SUBJECT = 'Pay now <img src=x onerror="window.pwned=1">'
HOSTILE_BODY = "Dear customer,\n<script>window.pwned=1</script>\nPlease pay."


def _sent_hostile_reminder(backend: LiveBackend, case: dict[str, Any], tag: str) -> None:
    """An e-mail reminder rendered from a template with markup in it, then marked SENT."""
    template = backend.admin(
        "POST",
        "/templates",
        json={
            "templateId": f"hostile-{tag}",
            "language": "en",
            "channel": "EMAIL",
            "subject": HOSTILE_SUBJECT,
            "bodyText": HOSTILE_BODY,
        },
    )
    assert template.status_code == 201, template.text
    made = backend.auto(
        "POST",
        "/reminders",
        json={
            "recoveryCaseId": case["id"],
            "type": "EMAIL",
            "templateId": f"hostile-{tag}",
            "recipient": "owner@example.com",
            "render": True,
        },
    )
    assert made.status_code == 201, made.text
    sent = backend.auto("PUT", f"/reminders/{made.json()['id']}/sent", json={"status": "SENT"})
    assert sent.status_code == 200, sent.text


def _form(page: Any, button: str) -> Any:
    return page.locator("form").filter(has=page.get_by_role("button", name=button, exact=True))


def test_collector_records_payment_promise_call_and_dispute_on_the_case_page(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    backend = sqlite_backend
    agent = create_user(backend, "AGENT", name="Cora Caller")
    tag = secrets.token_hex(3)
    case, task_id = _case_with_call_task(backend, tag)
    _sent_hostile_reminder(backend, case, tag)

    browser_sign_in(page, backend, agent)
    page.get_by_label("Search", exact=True).fill(f"INV-CP-{tag}")
    expect(page.locator("#results tbody tr")).to_have_count(1)
    page.get_by_role("link", name=f"INV-CP-{tag}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"INV-CP-{tag}")
    expect(page.get_by_text("Europe/Berlin").first).to_be_visible()
    screenshots(page, "case")

    # the sent reminder as the customer received it: its subject, its text behind a toggle,
    # the template's markup shown as text, never run
    expect(page.get_by_test_id("reminder-subject")).to_have_text(HOSTILE_SUBJECT)
    text = page.get_by_test_id("reminder-text")
    expect(text).to_be_hidden()
    page.get_by_text("Text sent").click()
    expect(text).to_contain_text("<script>window.pwned=1</script>")
    assert page.evaluate("window.pwned") is None

    payment = _form(page, "Record payment")
    payment.get_by_label("Amount", exact=True).fill("250.00")
    payment.get_by_label("Reference", exact=True).fill(f"BANK-{tag}")
    payment.get_by_role("button", name="Record payment").click()
    expect(page.get_by_test_id("outstanding")).to_have_text("$750.00")
    expect(page.get_by_text(f"BANK-{tag}")).to_be_visible()
    expect(page.get_by_role("list", name="Timeline")).to_contain_text("payment.recorded")
    expect(page.get_by_role("list", name="Timeline")).to_contain_text("$250.00")
    screenshots(page, "partial-payment")

    call = _form(page, "Complete task")
    call.get_by_label("Outcome").select_option("PROMISE_TAKEN")
    call.get_by_label("Note").fill("Owner will pay the rest")
    call.get_by_role("button", name="Complete task").click()
    expect(page.get_by_role("button", name="Complete task")).to_have_count(0)
    expect(page.get_by_role("list", name="Timeline")).to_contain_text("Owner will pay the rest")
    screenshots(page, "call-completed")

    promised = date.today() + timedelta(days=10)
    promise = _form(page, "Promise to pay")
    promise.get_by_label("Promised date", exact=True).fill(promised.isoformat())
    promise.get_by_label("Amount", exact=True).fill("750.00")
    promise.get_by_role("button", name="Promise to pay").click()
    expect(page.get_by_text("Promise due")).to_be_visible()
    screenshots(page, "promise")

    dispute = _form(page, "Dispute")
    dispute.get_by_label("Reason", exact=True).select_option("WRONG_AMOUNT")
    dispute.get_by_label("Note", exact=True).fill("Invoice counts one crate too many")
    dispute.get_by_role("button", name="Dispute").click()
    expect(page.get_by_test_id("status")).to_have_text("DISPUTED")
    screenshots(page, "dispute")

    tasks = backend.admin(
        "GET", "/tasks", params={"status": "COMPLETED", "recoveryCaseId": case["id"]}
    )
    assert [t["id"] for t in tasks.json()["tasks"]] == [task_id]
    detail = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    assert detail["amountOutstanding"] in ("750.00", 750.0, "750")
    assert {e["actor"] for e in detail["timeline"] if e["action"].startswith("payment")} == {
        agent.email
    }

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()


def test_bad_input_on_the_case_page_is_a_plain_message_and_writes_nothing(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    backend = sqlite_backend
    agent = create_user(backend, "AGENT")
    case = backend.new_case(amount="300.00")
    browser_sign_in(page, backend, agent)
    page.goto(backend.base_url + f"/app/cases/{case['id']}")
    payment = _form(page, "Record payment")
    payment.get_by_label("Amount", exact=True).fill("lots")
    payment.get_by_role("button", name="Record payment").click()
    expect(page.get_by_role("alert")).to_contain_text("Amount")
    payment = _form(page, "Record payment")
    payment.get_by_label("Amount", exact=True).fill("999.00")  # more than is owed
    payment.get_by_role("button", name="Record payment").click()
    expect(page.get_by_role("alert")).to_be_visible()
    screenshots(page, "bad-input")
    answer = backend.admin("GET", f"/recovery-cases/{case['id']}/payments")
    assert answer.json()["total"] == 0


def test_csrf_less_post_is_refused_and_an_agent_reaches_no_admin_api(
    sqlite_backend: LiveBackend,
) -> None:
    backend = sqlite_backend
    agent = create_user(backend, "AGENT")
    case = backend.new_case(amount="100.00")
    with AppClient(backend) as client:
        client.signed_in_as(agent)
        page = client.get(f"/app/cases/{case['id']}")
        assert page.status_code == 200 and "Record payment" in page.text
        refused = client.post(f"/app/cases/{case['id']}/payments", {"amount": "10.00"}, csrf=False)
        assert refused.status_code == 403, refused.text
        forged = client.http.post(
            f"/app/cases/{case['id']}/notes", data={"note": "x", "csrf_token": "forged"}
        )
        assert forged.status_code == 403
        accepted = client.post(f"/app/cases/{case['id']}/notes", {"note": "called, no answer"})
        assert accepted.status_code == 303, accepted.text
        for path in ("/api/v1/users", "/api/v1/recovery-cases"):  # the session is no API key
            assert client.http.get(path).status_code == 401
    assert backend.admin("GET", f"/recovery-cases/{case['id']}/payments").json()["total"] == 0
    notes = backend.admin("GET", f"/recovery-cases/{case['id']}").json()["notes"]
    assert [n["body"] for n in notes] == ["called, no answer"]


def test_the_case_page_speaks_the_users_language(sqlite_backend: LiveBackend) -> None:
    backend = sqlite_backend
    collector = create_user(backend, "AGENT", language="de")
    case = backend.new_case(amount="1234.50")
    with AppClient(backend) as client:
        client.signed_in_as(collector)
        page = client.get(f"/app/cases/{case['id']}")
        assert page.status_code == 200
        for words in ("Zahlung erfassen", "Zahlungszusage", "Pausieren bis", "1.234,50"):
            assert words in page.text
        refused = client.post(f"/app/cases/{case['id']}/payments", {"amount": ""})
        assert refused.status_code == 422
        assert "Betrag: bitte ausfüllen." in refused.text


def test_a_case_page_completes_only_its_own_tasks(sqlite_backend: LiveBackend) -> None:
    backend = sqlite_backend
    agent = create_user(backend, "AGENT")
    _theirs, their_task = _case_with_call_task(backend, secrets.token_hex(3))
    mine = backend.new_case(amount="100.00")
    with AppClient(backend) as client:
        client.signed_in_as(agent)
        client.get(f"/app/cases/{mine['id']}")
        refused = client.post(
            f"/app/cases/{mine['id']}/tasks/{their_task}/complete", {"outcome": "REACHED"}
        )
        assert refused.status_code == 404, refused.text
    assert backend.auto("GET", f"/tasks/{their_task}").json()["status"] == "PENDING"


def test_case_page_times_show_in_the_signed_in_users_zone(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    backend = sqlite_backend
    agent = create_user(backend, "AGENT", name="Tomo Tokyo")
    zoned = backend.admin("PATCH", f"/users/{agent.id}", json={"timeZone": "Asia/Tokyo"})
    assert zoned.status_code == 200, zoned.text
    case, _task = _case_with_call_task(backend, secrets.token_hex(3))  # customer in Berlin
    detail = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    first = datetime.fromisoformat(detail["timeline"][0]["at"].replace("Z", "+00:00"))
    planned = datetime.fromisoformat(detail["tasks"][0]["scheduledAt"].replace("Z", "+00:00"))

    def shown(moment: datetime, zone: str) -> str:
        return format_datetime(moment, format="medium", tzinfo=ZoneInfo(zone), locale="en_US")

    browser_sign_in(page, backend, agent)
    page.goto(backend.base_url + f"/app/cases/{case['id']}")
    timeline = page.get_by_role("list", name="Timeline")
    expect(timeline).to_contain_text(f"{shown(first, 'Asia/Tokyo')} Asia/Tokyo")
    expect(page.get_by_test_id("next-step-time")).to_have_text(
        f"{shown(planned, 'Asia/Tokyo')} Asia/Tokyo"
    )
    expect(page.get_by_test_id("next-step-customer-time")).to_have_text(
        shown(planned, "Europe/Berlin")
    )
    screenshots(page, "case-in-users-zone")
