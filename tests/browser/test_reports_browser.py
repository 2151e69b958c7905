"""The reports page in a real Chromium: the aging chart shows the seeded cases' figures, a
bar leads to the worklist filtered to its cases, and the CSV downloads. Screenshots saved."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.support.backend import LiveBackend
from tests.support.workspace import browser_sign_in, create_user

CURRENCY = "SEK"  # no other test bills in kronor: this section holds only this test's cases


def test_reports_chart_numbers_bar_links_to_its_cases_and_csv_downloads(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any
) -> None:
    backend = sqlite_backend
    agent = create_user(backend, "AGENT", name="Rita Reporter")
    tag = secrets.token_hex(3)
    today = datetime.now(UTC).date()
    customer = backend.new_customer(name=f"Report Rentals {tag}", email=f"r@{tag}.example")

    def case(invoice: str, amount: str, days_past_due: int) -> dict[str, Any]:
        due = (today - timedelta(days=days_past_due)).isoformat()
        return backend.new_case(
            customer["id"],
            invoiceNumber=f"{invoice}-{tag}",
            amount=amount,
            currency=CURRENCY,
            dueDate=due,
            issueDate=(today - timedelta(days=days_past_due + 30)).isoformat(),
        )

    case("INV-CUR", "100.00", -10)
    case("INV-A", "200.00", 10)
    case("INV-B", "300.00", 20)
    old = case("INV-OLD", "400.00", 200)
    paid = backend.admin(
        "POST",
        f"/recovery-cases/{old['id']}/payments",
        json={"amount": "50.00", "currency": CURRENCY, "reference": f"pay-{tag}"},
    )
    assert paid.status_code == 201, paid.text
    promise = backend.admin(
        "POST",
        f"/recovery-cases/{old['id']}/promises",
        json={"promisedDate": (today + timedelta(days=5)).isoformat()},
    )
    assert promise.status_code == 201, promise.text

    browser_sign_in(page, backend, agent)
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    section = page.locator("section", has=page.get_by_role("heading", name=CURRENCY, level=2))
    figures = section.locator(f"#figures-{CURRENCY}")
    expect(figures).to_contain_text("SEK950.00")  # 100 + 200 + 300 + 350 outstanding
    expect(figures).to_contain_text("SEK50.00")  # recovered
    expect(figures.locator("dt:has-text('Promises pending') + dd")).to_have_text("1")
    expect(figures.locator("dt:has-text('Recovery rate') + dd")).to_have_text("5.0%")
    chart = section.locator(f"figure[aria-labelledby='aging-{CURRENCY}-caption'] svg")
    expect(chart.locator("rect.bar")).to_have_count(5)
    table = section.locator(f"#aging-{CURRENCY}-table")
    expect(table.locator("tr", has_text="1-30")).to_contain_text("SEK500.00")
    expect(table.locator("tr", has_text="90+")).to_contain_text("SEK350.00")
    expect(table.locator("tr", has_text="current")).to_contain_text("SEK100.00")
    screenshots(page, "reports")

    with page.expect_download() as downloaded:
        page.get_by_role("link", name="Download CSV").click()
    text = Path(downloaded.value.path()).read_text(encoding="utf-8")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r.get("currency") == CURRENCY]
    ours = {r["invoiceNumber"]: r for r in rows if r["invoiceNumber"].endswith(tag)}
    assert set(ours) == {f"{n}-{tag}" for n in ("INV-CUR", "INV-A", "INV-B", "INV-OLD")}

    chart.get_by_role("link", name="1-30: 2 cases, SEK500.00").click()
    expect(page.get_by_role("heading", name="Worklist", level=1)).to_be_visible()
    results = page.locator("#results tbody tr")
    expect(results).to_have_count(2)
    expect(results.nth(0)).to_contain_text(tag)
    expect(page.locator("#results")).not_to_contain_text(f"INV-OLD-{tag}")
    screenshots(page, "reports-bar-cases")
