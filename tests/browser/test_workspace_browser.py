"""A collector's day in a real Chromium: sign in, find a case by search, open it, sign out;
a wrong password is refused. Screenshots of every page are saved by the run."""

from __future__ import annotations

import re
import secrets
from typing import Any

from playwright.sync_api import expect

from tests.support.backend import LiveBackend
from tests.support.workspace import browser_sign_in, create_user


def test_sign_in_find_a_case_by_search_open_it_and_sign_out(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    backend = sqlite_backend
    agent = create_user(backend, "AGENT", name="Carla Collector")
    tag = secrets.token_hex(3)
    customer = backend.new_customer(name=f"Browser Bakery {tag}", email=f"owner@{tag}.example")
    case = backend.new_case(customer["id"], invoiceNumber=f"INV-BR-{tag}", amount="1234.50")
    backend.new_case(customer["id"], invoiceNumber=f"INV-OTHER-{tag}")

    page.goto(backend.base_url + "/")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    screenshots(page, "sign-in")
    browser_sign_in(page, backend, agent)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_text("Carla Collector")).to_be_visible()
    screenshots(page, "worklist")

    page.get_by_label("Search", exact=True).fill(f"INV-BR-{tag}")  # htmx swaps the results in
    results = page.locator("#results tbody tr")
    expect(results).to_have_count(1)
    expect(page).to_have_url(re.compile(rf"q=INV-BR-{tag}"))
    screenshots(page, "search")
    page.get_by_role("link", name=f"INV-BR-{tag}").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text(f"INV-BR-{tag}")
    assert page.url.endswith(f"/app/cases/{case['id']}")
    timeline = page.get_by_role("list", name="Timeline")
    expect(timeline).to_be_visible()
    expect(timeline.get_by_role("listitem").first).to_contain_text("case.created")
    expect(page.get_by_text("$1,234.50").first).to_be_visible()
    screenshots(page, "case")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.goto(backend.base_url + f"/app/cases/{case['id']}")  # the session is over
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    screenshots(page, "signed-out")


def test_wrong_password_is_refused_in_the_browser(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    agent = create_user(sqlite_backend, "AGENT")
    page.goto(sqlite_backend.base_url + "/app/")
    page.get_by_label("Email", exact=True).fill(agent.email)
    page.get_by_label("Password", exact=True).fill(agent.password + "-wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email", exact=True)).to_have_value(agent.email)
    expect(page.get_by_role("heading", name="Worklist")).to_have_count(0)
    screenshots(page, "wrong-password")
