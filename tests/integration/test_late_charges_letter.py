"""Issue 18.4: the formal reminder letter on the real backend (SQLite; the API around it is
tested on both databases in test_late_charges.py), in German and English: rendered as a PDF
by WeasyPrint, stored as a LETTER document on the case and downloadable; its text read back
(pdftotext) holds every required item; the first page is saved as a PNG (pdftoppm) under
PAYREC_SCREENSHOT_DIR or the test's tmp dir."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from payrec.domain import creditor_reference
from tests.support.backend import LiveBackend
from tests.support.workspace import AppClient, create_user

CREDITOR_ENV = {
    "PAYREC_CREDITOR_NAME": "Müller & Söhne Maschinenbau GmbH",
    "PAYREC_CREDITOR_ADDRESS": "Industriestraße 7\\n70565 Stuttgart\\nDeutschland",
    "PAYREC_CREDITOR_EMAIL": "forderungen@mueller.example",
    "PAYREC_CREDITOR_SIGNATURE": "Anna Schmidt\nForderungsmanagement",
    "PAYREC_CREDITOR_IBAN": "DE89370400440532013000",
    "PAYREC_CREDITOR_BIC": "COBADEFFXXX",
}
WORDS = {
    "de": ["Mahnung", "Verzugszinsen", "Verzugspauschale", "Referenzzinssatz", "Gesamtbetrag",
           "Verwendungszweck", "GiroCode"],
    "en": ["Formal reminder", "Interest", "Fixed compensation", "reference rate", "Total due",
           "Reference (please quote)", "EPC QR"],
}


@pytest.fixture(scope="module", params=["sqlite"])
def creditor_backend(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[LiveBackend]:
    yield backend_factory(request.param, env=CREDITOR_ENV)


def _half(day: date) -> date:
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def _money(value: Decimal) -> str:  # the customer's locale (de_DE) formats the amounts
    return f"{value:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def test_the_letter_pdf_says_everything_it_must(
    creditor_backend: LiveBackend, tmp_path: Path
) -> None:
    backend = creditor_backend
    today = datetime.now(UTC).date()
    due = today - timedelta(days=45)
    rates = {date.fromisoformat(r["validFrom"]): Decimal(str(r["rate"])) for r in backend.admin(
        "GET", "/reference-rates", params={"reference": "ECB_MRO"}).json()["rates"]}
    for start in {_half(due + timedelta(days=n)) for n in range(1, 46)} - set(rates):
        added = backend.admin("POST", "/reference-rates", json={
            "reference": "ECB_MRO", "validFrom": start.isoformat(), "rate": "2.15",
            "source": "test"})
        assert added.status_code == 201, added.text
        rates[start] = Decimal("2.15")
    policy_id = f"late-{secrets.token_hex(4)}"
    made = backend.admin("POST", "/policies", json={
        "id": policy_id, "name": "Statutory", "lateCharges": {"scheme": "EU_B2B"},
        "steps": [{"offsetDays": 30, "channel": "LETTER", "templateId": "letter-reminder"}]})
    assert made.status_code == 201, made.text
    customer = backend.new_customer(
        name="Beispiel Handels AG", email=f"ap-{secrets.token_hex(4)}@example.com",
        isBusiness=True, postalAddress="Hauptstraße 5\n80331 München\nDeutschland",
        policyId=policy_id, locale="de_DE", timezone="Europe/Berlin")
    invoice = f"RE-{secrets.token_hex(3)}"
    case = backend.new_case(customer["id"], amount="1000.00", currency="EUR",
                            dueDate=due.isoformat(), invoiceNumber=invoice)

    no_address = backend.new_customer(email=f"x-{secrets.token_hex(4)}@example.com")
    other = backend.new_case(no_address["id"], currency="EUR")
    refused = backend.admin("POST", f"/recovery-cases/{other['id']}/letters")
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "postalAddress"

    for lang in ("de", "en"):
        _check_letter(backend, case, lang, due, today, rates, invoice, tmp_path)

    # the workspace's case page shows the charges, the total due and the letters to download
    with AppClient(backend) as app:
        app.signed_in_as(create_user(backend, "AGENT"))
        page = app.get(f"/app/cases/{case['id']}")
        assert page.status_code == 200, page.text
        assert 'data-testid="total-due"' in page.text and "Late charges" in page.text
        links = re.findall(r'href="(/app/review/[^"]+/document)"', page.text)
        assert len(links) == 2
        pdf = app.get(links[0])
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def _check_letter(
    backend: LiveBackend, case: dict[str, Any], lang: str, due: date, today: date,
    rates: dict[date, Decimal], invoice: str, tmp_path: Path,
) -> None:
    letter = backend.admin("POST", f"/recovery-cases/{case['id']}/letters",
                           params={"language": lang})
    assert letter.status_code == 201, letter.text
    document = letter.json()
    assert document["type"] == "LETTER" and document["status"] == "GENERATED"
    content = backend.admin("GET", f"/documents/{document['id']}/content")
    assert content.status_code == 200 and content.content.startswith(b"%PDF")
    listed = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    assert any(d["id"] == document["id"] for d in listed["documents"])

    pdf = tmp_path / f"letter-{lang}.pdf"
    pdf.write_bytes(content.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    flat = " ".join(text.split())
    interest = Decimal(0)
    day = due + timedelta(days=1)
    while day <= today:  # by hand: 1000 * (reference + 8) % / 365 per day
        interest += Decimal(1000) * (rates[_half(day)] + 8) / 100 / 365
        day += timedelta(days=1)
    interest = interest.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    reference = creditor_reference.printed(creditor_reference.for_case(case["id"]) or "")
    for item in [
        "Müller & Söhne Maschinenbau GmbH", "Industriestraße 7", "70565 Stuttgart",
        "Beispiel Handels AG", "Hauptstraße 5", "80331 München", invoice,
        _money(interest), _money(Decimal(40)), _money(1000 + interest + 40),
        "DE89 3704 0044 0532 0130 00", "COBADEFFXXX", reference, *WORDS[lang],
    ]:
        assert item in flat, f"{item!r} missing from the letter:\n{text}"
    rate = f"{rates[_half(today)] + 8:.2f}"
    assert rate.replace(".", ",") in flat

    shots = Path(os.environ.get("PAYREC_SCREENSHOT_DIR") or tmp_path) / "late-charges-letter"
    shots.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile",
                    str(pdf), str(shots / f"letter-{lang}")], check=True)
    png = shots / f"letter-{lang}.png"
    assert png.stat().st_size > 5000
    print(f"letter page 1: {png}")


