"""Admin settings in a real Chromium: edit a policy step, edit a template with its live
preview for a real case (a broken template shows its error and is not saved), create a user
and an API key (shown once, revocable); an AGENT is refused every settings page and POST.
Webhook endpoints: a private receiver refused on the shared backend, then (on a second backend
process over the same database that admits it) added with its secret shown once, a delivery
seen, one failed for good and redelivered. The policy and template are the test's own (the
backend is shared). Screenshots saved."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.support.backend import LiveBackend, wait_until
from tests.support.webhook_receiver import Receiver
from tests.support.workers import start_worker
from tests.support.workspace import AppClient, browser_sign_in, create_user


def _own_policy_and_template(backend: LiveBackend, tag: str) -> tuple[str, str]:
    template_id = f"browser-{tag}"
    made = backend.admin(
        "POST",
        "/templates",
        json={
            "templateId": template_id,
            "language": "en",
            "channel": "EMAIL",
            "subject": "Invoice {{ invoiceNumber }}",
            "bodyText": "Dear {{ customerName }}, please pay {{ amount }}.",
        },
    )
    assert made.status_code == 201, made.text
    policy_id = f"pol-{tag}"
    made = backend.admin(
        "POST",
        "/policies",
        json={
            "id": policy_id,
            "name": f"Browser ladder {tag}",
            "steps": [
                {"offsetDays": 1, "channel": "EMAIL", "templateId": template_id},
                {
                    "offsetDays": 10,
                    "channel": "EMAIL",
                    "templateId": "reminder-2",
                    "attachInvoice": True,
                    "attachLetter": True,
                },
            ],
            "sendWindow": {"start": "09:00", "end": "18:00", "weekends": False},
            "businessDaysOnly": True,
            "maxContactsPer7Days": 2,
        },
    )
    assert made.status_code == 201, made.text
    return policy_id, template_id


def test_admin_edits_policy_and_template_with_preview_creates_user_and_api_key(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    backend = sqlite_backend
    admin = create_user(backend, "ADMIN", name="Ada Admin")
    tag = secrets.token_hex(3)
    policy_id, template_id = _own_policy_and_template(backend, tag)
    customer = backend.new_customer(name=f"Preview Pantry {tag}", email=f"p@{tag}.example")
    case = backend.new_case(customer["id"], invoiceNumber=f"INV-PV-{tag}", amount="321.00")

    browser_sign_in(page, backend, admin)
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Settings", level=1)).to_be_visible()
    screenshots(page, "settings")

    # a policy: the second step moves from day 10 to day 12, the cap to 3
    page.get_by_role("link", name="Policies").click()
    page.get_by_role("link", name=f"Browser ladder {tag}").click()
    page.get_by_label("Days after due, step 2").fill("12")
    expect(page.get_by_label("Attach the invoice PDF, step 2")).to_be_checked()
    page.get_by_label("Attach the invoice PDF, step 1").check()
    expect(page.get_by_label("Attach the formal letter, step 2")).to_be_checked()
    page.get_by_label("Contacts per 7 days (per channel)").fill("3")
    screenshots(page, "settings-policy")
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    stored = backend.admin("GET", f"/policies/{policy_id}").json()
    assert [s["offsetDays"] for s in stored["steps"]] == [1, 12]
    assert [s["attachInvoice"] for s in stored["steps"]] == [True, True]
    assert [s["attachLetter"] for s in stored["steps"]] == [False, True]  # kept by the form
    assert stored["maxContactsPer7Days"] == 3
    assert stored["businessDaysOnly"] is True

    # a template: the preview renders for the real case as one types
    page.goto(backend.base_url + f"/app/settings/templates/{template_id}/en")
    page.get_by_label("Case for the preview").fill(case["id"])
    body = page.get_by_label("Text", exact=True)
    body.fill("Hello {{ customerName }}, {{ amount }} is due for {{ invoiceNumber }}.")
    expect(page.locator("#preview-text")).to_contain_text(
        f"Hello Preview Pantry {tag}, $321.00 is due for INV-PV-{tag}."
    )
    screenshots(page, "settings-template-preview")
    body.fill("Hello {% if customerName %}{{ customerName }")
    expect(page.locator("#preview-error")).to_be_visible()
    screenshots(page, "settings-template-error")
    page.get_by_role("button", name="Save template").click()
    expect(page.locator("#save-error")).to_contain_text("Not saved")
    kept = backend.admin("GET", f"/templates/{template_id}/en").json()
    assert kept["bodyText"] == "Dear {{ customerName }}, please pay {{ amount }}."
    page.get_by_label("Text", exact=True).fill("Hi {{ customerName }}, thank you.")
    page.get_by_role("button", name="Save template").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    saved = backend.admin("GET", f"/templates/{template_id}/en").json()
    assert saved["bodyText"] == "Hi {{ customerName }}, thank you."

    # a user, with a one-time password shown once
    page.goto(backend.base_url + "/app/settings/users")
    page.get_by_label("Email", exact=True).fill(f"new-{tag}@example.com")
    page.get_by_label("Name", exact=True).fill(f"Newt {tag}")
    page.get_by_label("Role", exact=True).select_option("AGENT")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#one-time")).to_contain_text(f"new-{tag}@example.com")
    expect(page.locator("#users")).to_contain_text(f"Newt {tag}")
    screenshots(page, "settings-users")

    # sign a signed-in collector out everywhere, then deactivate them
    other = create_user(backend, "AGENT", name=f"Otto {tag}")
    with AppClient(backend) as client:
        client.signed_in_as(other)
        page.reload()
        page.get_by_role("button", name=f"Sign out Otto {tag} everywhere").click()
        expect(page.get_by_role("heading", name="Users", level=1)).to_be_visible()
        assert client.get("/app/").status_code == 303  # back to the sign-in form
        row = page.locator("#users tr", has_text=f"Otto {tag}")
        row.get_by_role("button", name="Deactivate").click()
        expect(page.locator("#users tr", has_text=f"Otto {tag}")).to_contain_text("Deactivated")

    # an API key: its secret shown once, it works, and revoked it does not
    page.goto(backend.base_url + "/app/settings/api-keys")
    page.get_by_label("Name", exact=True).fill(f"robot-{tag}")
    page.get_by_label("AGENT", exact=True).check()
    page.get_by_role("button", name="Create API key").click()
    key = page.locator("#api-key").inner_text()
    assert key.startswith("prk_")
    screenshots(page, "settings-api-keys")
    api = f"{backend.base_url}/api/v1/worklist"
    auth = {"Authorization": f"Bearer {key}"}
    assert httpx.get(api, headers=auth, timeout=30).status_code == 200
    page.goto(backend.base_url + "/app/settings/api-keys")
    expect(page.locator("#api-key")).to_have_count(0)  # shown once only
    page.get_by_role("button", name=f"Revoke robot-{tag}").click()
    expect(page.locator("#keys tr", has_text=f"robot-{tag}")).to_contain_text("Revoked")
    assert httpx.get(api, headers=auth, timeout=30).status_code == 401


def test_an_agent_cannot_reach_settings_page_or_post(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    backend = sqlite_backend
    agent = create_user(backend, "AGENT")
    browser_sign_in(page, backend, agent)
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    for path in ("", "/users", "/api-keys", "/policies", "/templates", "/webhooks", "/rates"):
        answer = page.goto(backend.base_url + "/app/settings" + path)
        assert answer is not None and answer.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_contain_text("403")
    screenshots(page, "settings-refused")
    tag = secrets.token_hex(3)
    with AppClient(backend) as client:
        client.signed_in_as(agent)
        for path, data in (
            ("/app/settings/users", {"email": f"sneak-{tag}@example.com", "role": "ADMIN"}),
            ("/app/settings/api-keys", {"name": f"sneak-{tag}", "roles": "ADMIN"}),
            ("/app/settings/policies/policy-default", {"name": "hijacked"}),
            ("/app/settings/templates/reminder-1/en", {"channel": "EMAIL", "bodyText": "x"}),
            ("/app/settings/webhooks", {"url": "https://example.com/x", "events": "case.created"}),
            (
                "/app/settings/rates",
                {
                    "reference": "BOE_BASE",
                    "validFrom": "2031-01-01",
                    "rate": "1",
                    "source": "sneak",
                },
            ),
        ):
            assert client.post(path, data).status_code == 403, path
    users = backend.admin("GET", "/users").json()
    listed = users.get("users", users) if isinstance(users, dict) else users
    assert f"sneak-{tag}@example.com" not in str(listed)
    hooks = backend.admin("GET", "/webhook-endpoints").json()["endpoints"]
    assert "https://example.com/x" not in [e["url"] for e in hooks]
    rates = backend.admin("GET", "/reference-rates").json()["rates"]
    assert "sneak" not in [r["source"] for r in rates]


def _rates(backend: LiveBackend, **params: str) -> Any:
    listed = backend.admin("GET", "/reference-rates", params=params)
    return listed.json(parse_float=Decimal)


def _half_start(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def test_admin_sees_a_missing_reference_rate_and_adds_it(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    backend = sqlite_backend
    admin = create_user(backend, "ADMIN", name="Rita Rates")
    start = _half_start(datetime.now(UTC).date())
    half = f"{start.year}-{'H1' if start.month == 1 else 'H2'}"
    listed = _rates(backend, reference="ECB_MRO")
    assert start.isoformat() not in [r["validFrom"] for r in listed["rates"]], (
        "the shipped table now has this half-year's ECB rate: the test needs one it lacks"
    )
    # the page also names a missing previous half-year: on a later calendar, give it one
    previous = _half_start(start - timedelta(days=1)).isoformat()
    if previous not in [r["validFrom"] for r in listed["rates"]]:
        made = backend.admin(
            "POST",
            "/reference-rates",
            json={"reference": "ECB_MRO", "validFrom": previous, "rate": "2", "source": "test"},
        )
        assert made.status_code == 201, made.text

    browser_sign_in(page, backend, admin)
    page.goto(backend.base_url + "/app/settings")
    page.get_by_role("link", name="Reference rates").click()
    alert = page.locator("#rates-missing")
    expect(alert.locator('[data-reference="ECB_MRO"]')).to_contain_text(half)
    expect(page.locator("#rates-ECB_MRO")).to_contain_text("Shipped")
    screenshots(page, "settings-rates-missing")

    # a rate that is not a number, a day that starts no half-year: the field is named
    page.get_by_label("Reference", exact=True).select_option("ECB_MRO")
    page.get_by_label("Valid from (1 January or 1 July)").fill(start.isoformat())
    page.get_by_label("Rate (percent per year)").fill("two")
    page.get_by_label("Source (URL or text)").fill("https://www.ecb.europa.eu/press/")
    page.get_by_role("button", name="Add rate").click()
    expect(page.locator("#rate-error")).to_contain_text("Rate")
    page.get_by_label("Valid from (1 January or 1 July)").fill(start.replace(day=2).isoformat())
    page.get_by_label("Rate (percent per year)").fill("2.15")
    page.get_by_role("button", name="Add rate").click()
    expect(page.locator("#rate-error")).to_contain_text("validFrom")

    page.get_by_label("Valid from (1 January or 1 July)").fill(start.isoformat())
    page.get_by_role("button", name="Add rate").click()
    expect(page.get_by_role("status")).to_have_text("Rate added.")
    expect(page.locator('#rates-missing [data-reference="ECB_MRO"]')).to_have_count(0)
    newest = page.locator("#rates-ECB_MRO tbody tr").first  # newest first
    expect(newest).to_contain_text("2.15 %")
    expect(newest).to_contain_text("Added by an admin")
    screenshots(page, "settings-rates-added")
    listed = _rates(backend, reference="ECB_MRO")
    (added,) = [r for r in listed["rates"] if r["validFrom"] == start.isoformat()]
    assert (added["rate"], added["source"], added["shipped"]) == (
        Decimal("2.15"),
        "https://www.ecb.europa.eu/press/",
        False,
    )

    # the same half-year again: 409 on the page; a form without its CSRF token: refused
    with AppClient(backend) as client:
        client.signed_in_as(admin)
        client.get("/app/settings/rates")
        form = {"reference": "ECB_MRO", "validFrom": start.isoformat(), "rate": "9",
                "source": "again"}  # fmt: skip
        again = client.post("/app/settings/rates", form)
        assert again.status_code == 409 and "already has a rate" in again.text
        assert client.post("/app/settings/rates", form, csrf=False).status_code == 403
        # a decimal comma, as de/fr/es write it, is the same Decimal
        comma = {**form, "reference": "DE_BASIS", "rate": "1,27", "source": "Bundesbank"}
        assert client.post("/app/settings/rates", comma).status_code == 303
    now = {r["reference"]: r["rate"] for r in _rates(backend)["rates"]
           if r["validFrom"] == start.isoformat()}  # fmt: skip
    assert (now["ECB_MRO"], now["DE_BASIS"]) == (Decimal("2.15"), Decimal("1.27"))


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def test_admin_adds_a_webhook_endpoint_sees_deliveries_and_redelivers_a_failed_one(
    sqlite_backend: LiveBackend,
    backend_factory: Callable[..., LiveBackend],
    receiver: Receiver,
    page: Any,
    screenshots: Any,
) -> None:
    shared = sqlite_backend
    admin = create_user(shared, "ADMIN", name="Hook Admin")
    tag = secrets.token_hex(3)
    path = f"/browser-{tag}"
    url = receiver.base_url + path

    # the shared backend refuses a receiver on 127.0.0.1: a plain error page, nothing stored
    browser_sign_in(page, shared, admin)
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL").fill(url)
    page.get_by_label("case.created").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("422")
    expect(page.locator("main")).to_contain_text("PAYREC_WEBHOOK_ALLOW_PRIVATE")
    assert shared.admin("GET", "/webhook-endpoints").json()["endpoints"] == []

    # a second backend on the same database admits it and retries fast (two attempts)
    hooks = backend_factory(
        db_url=shared.db_url,
        env={
            "PAYREC_WEBHOOK_ALLOW_PRIVATE": "true",
            "PAYREC_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
            "PAYREC_WEBHOOK_MAX_ATTEMPTS": "2",
        },
    )
    page.goto(hooks.base_url + "/app/settings/webhooks")  # signed in: the session is the DB's
    page.get_by_label("URL").fill(url)
    page.get_by_label("case.created").check()
    page.get_by_label("payment.recorded").check()
    page.get_by_role("button", name="Add endpoint").click()
    secret = page.locator("#webhook-secret").inner_text()
    assert secret.startswith("whsec_")
    receiver.secrets[path] = secret
    row = page.locator("#endpoints tr", has_text=url)
    expect(row).to_contain_text("case.created, payment.recorded")
    screenshots(page, "settings-webhooks")
    page.goto(hooks.base_url + "/app/settings/webhooks")
    expect(page.locator("#webhook-secret")).to_have_count(0)  # shown once only
    (endpoint,) = hooks.admin("GET", "/webhook-endpoints").json()["endpoints"]

    worker = start_worker(hooks, smtp_url=None, services="webhooks", name=f"wh-{tag}")
    try:
        customer = hooks.new_customer(name=f"Hook Co {tag}")
        first = hooks.new_case(customer["id"], invoiceNumber=f"INV-H1-{tag}")
        wait_until(
            lambda: any(r.answered == 200 for r in receiver.of(path)),
            timeout=30,
            message="the first event is delivered",
        )
        # the worker reports the attempt after the receiver answered: wait for the record
        wait_until(
            lambda: hooks.admin("GET", "/webhook-endpoints").json()["endpoints"][0].get(
                "lastDeliveryStatus"
            )
            == "SUCCEEDED",
            timeout=30,
            message="the delivery is recorded",
        )
        page.reload()
        expect(row).to_contain_text("SUCCEEDED")
        row.get_by_role("link", name=url).click()
        delivered = page.locator("#deliveries tr", has_text=first["id"])
        expect(delivered).to_contain_text("SUCCEEDED")
        expect(delivered).to_contain_text("HTTP 200")

        # the receiver refuses: two attempts, then FAILED with a Redeliver button
        receiver.always_fail.add(path)
        second = hooks.new_case(customer["id"], invoiceNumber=f"INV-H2-{tag}")
        failed = f"/webhook-endpoints/{endpoint['id']}/deliveries?status=FAILED"
        wait_until(
            lambda: len(hooks.admin("GET", failed).json()["deliveries"]) == 1,
            timeout=30,
            message="the refused delivery gives up",
        )
        page.get_by_label("Status").select_option("FAILED")
        page.get_by_role("button", name="Filter").click()
        refused = page.locator("#deliveries tbody tr")
        expect(refused).to_have_count(1)
        expect(refused).to_contain_text(second["id"])
        expect(refused).to_contain_text("HTTP 500")
        screenshots(page, "settings-webhook-deliveries")

        receiver.always_fail.discard(path)
        refused.get_by_role("button", name="Redeliver case.created").click()
        wait_until(
            lambda: [r.body["data"]["recoveryCaseId"] for r in receiver.of(path)
                     if r.answered == 200] == [first["id"], second["id"]],
            timeout=30,
            message="the redelivery arrives",
        )  # fmt: skip
        succeeded = f"/webhook-endpoints/{endpoint['id']}/deliveries?status=SUCCEEDED"
        wait_until(
            lambda: len(hooks.admin("GET", succeeded).json()["deliveries"]) == 2,
            timeout=30,
            message="the redelivery is recorded",
        )
        page.get_by_label("Status").select_option("SUCCEEDED")
        page.get_by_role("button", name="Filter").click()
        expect(page.locator("#deliveries tbody tr")).to_have_count(2)
        assert all(r.verified for r in receiver.of(path))
    finally:
        worker.terminate()

    # a form without its CSRF token, no event, an unknown status: refused, nothing changed
    with AppClient(hooks) as client:
        client.signed_in_as(admin)
        form = {"url": receiver.base_url + "/other", "events": "case.created"}
        assert client.post("/app/settings/webhooks", form, csrf=False).status_code == 403
        client.get("/app/settings/webhooks")
        no_event = client.post("/app/settings/webhooks", {"url": form["url"]})
        assert no_event.status_code == 422 and "Choose at least one event." in no_event.text
        odd = client.get(f"/app/settings/webhooks/{endpoint['id']}?status=LOST")
        assert odd.status_code == 422
    assert [e["url"] for e in hooks.admin("GET", "/webhook-endpoints").json()["endpoints"]] == [url]

    page.goto(hooks.base_url + "/app/settings/webhooks")
    page.get_by_role("button", name=f"Delete {url}").click()
    expect(page.locator("#endpoints")).not_to_contain_text(url)
    assert hooks.admin("GET", "/webhook-endpoints").json()["endpoints"] == []
