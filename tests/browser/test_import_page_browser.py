"""The import page in a real Chromium (issue 16, item 1): an admin uploads a CSV, sees the
column each header was read as with the first rows, corrects a column the aliases did not
know, runs the import and sees the counts arrive (htmx polling), then finds the export links."""

from __future__ import annotations

import secrets
from typing import Any

from playwright.sync_api import expect

from tests.support.backend import LiveBackend
from tests.support.workspace import browser_sign_in, create_user


def test_admin_uploads_maps_previews_runs_and_sees_counts(
    sqlite_backend: LiveBackend, page: Any, screenshots: Any, tmp_path: Any
) -> None:
    backend = sqlite_backend
    admin = create_user(backend, "ADMIN", name="Ida Importer")
    tag = secrets.token_hex(3)
    book = tmp_path / "offene-posten.csv"
    book.write_bytes(
        "Kunde;Rechnungsnummer;Fälligkeit;Summe offen;Währung\r\n"
        f"Müller {tag};R{tag}-1;31.12.2026;1.234,56;EUR\r\n"
        f"Schulz {tag};R{tag}-2;15.01.2027;99,90;EUR\r\n"
        f"Kaputt {tag};R{tag}-3;31.02.2027;5,00;EUR\r\n".encode("cp1252")
    )
    browser_sign_in(page, backend, admin)
    page.get_by_role("link", name="Import and export").click()
    expect(page.get_by_role("heading", name="Import and export", level=1)).to_be_visible()
    page.get_by_label("File").set_input_files(str(book))
    page.get_by_role("button", name="Check file").click()

    expect(page.get_by_text("Windows-1252")).to_be_visible()
    # the header "Summe offen" is no alias: the check names the column still to be mapped
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "FAILED")
    expect(page.get_by_text("no column for amount")).to_be_visible()
    page.get_by_label("Summe offen").select_option("amount")
    page.get_by_role("button", name="Check again").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "COMPLETED")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("1234.56 EUR")
    expect(preview).to_contain_text(f"Müller {tag}")
    expect(page.locator("[data-count=created]")).to_have_text("2")
    expect(page.locator("[data-count=failed]")).to_have_text("1")
    screenshots(page, "import-check")

    page.get_by_role("button", name="Run import").click()
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "COMPLETED")
    expect(page.locator("[data-count=created]")).to_have_text("2")
    expect(page.locator("[data-count=failed]")).to_have_text("1")
    expect(page.get_by_role("cell", name="4", exact=True)).to_be_visible()  # the bad line
    screenshots(page, "import-done")

    found = backend.admin("GET", "/customers", params={"limit": 1000}).json()["customers"]
    assert {c["name"] for c in found} >= {f"Müller {tag}", f"Schulz {tag}"}
    page.get_by_role("link", name="Import and export").first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").first.click()
    assert download.value.suggested_filename == "payrec-cases.csv"
