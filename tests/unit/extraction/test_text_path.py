"""The text-layer path on corpus files across languages, and synthetic es/pl layouts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from payrec.extraction import ExtractionResult, extract_document
from payrec.extraction.assemble import assemble
from payrec.extraction.context import analyse
from payrec.extraction.layout import Word, make_document

CASES = [
    # file, language, expected fields
    (
        "i2d__QualityHosting.pdf",
        "de",
        {
            "invoiceNumber": "30064443",
            "amount": "34.73",
            "currency": "EUR",
            "issueDate": date(2014, 5, 7),
            "issuerName": "QualityHosting AG",
        },
    ),
    (
        "i2d__NetpresseInvoice.pdf",
        "fr",
        {
            "invoiceNumber": "2022089083",
            "amount": "56.02",
            "currency": "EUR",
            "issueDate": date(2022, 11, 28),
        },
    ),
    (
        "i2d__coolblue1.pdf",
        "nl",
        {
            "invoiceNumber": "993548900",
            "amount": "717.97",
            "currency": "EUR",
            "issueDate": date(2014, 4, 19),
            "issuerName": "Coolblue B.V.",
        },
    ),
    (
        "i2d__SammyMaystoneLinesTest.pdf",
        "en",
        {
            "amount": "127.50",
            "currency": "USD",
            "issueDate": date(2022, 1, 1),
            "dueDate": date(2022, 1, 31),
            "customerEmail": "triddel9@fake.com",
        },
    ),
    (
        "i2d__free_fiber.pdf",
        "fr",
        {"invoiceNumber": "562044387", "amount": "29.99", "dueDate": date(2015, 7, 5)},
    ),
    (
        "zugferd__ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_COMFORT_Einfach.pdf",
        "de",
        {
            "invoiceNumber": "471102",
            "amount": "529.87",
            "issueDate": date(2013, 3, 5),
            "dueDate": date(2013, 4, 4),
            "issuerName": "Lieferant GmbH",
            "customerName": "Kunden AG Mitte",
        },
    ),
    (
        "zugferd__ZUGFeRDv2__correct__Mustangproject__MustangGnuaccountingBeispielRE-20190610_507.pdf",
        "en",
        {
            "invoiceNumber": "RE-20190610/507",
            "amount": "571.04",
            "issueDate": date(2019, 6, 10),
            "dueDate": date(2019, 7, 1),
            "issuerName": "Bei Spiel GmbH",
            "customerName": "Theodor Est",
        },
    ),
]


@pytest.mark.parametrize(("name", "lang", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_text_path(corpus: Path, name: str, lang: str, expected: dict[str, object]) -> None:
    result = extract_document((corpus / "pdf" / name).read_bytes(), filename=name)
    assert result.method == "text"
    for key, want in expected.items():
        got = result.fields.get(key)
        if key == "amount":
            assert got == Decimal(str(want)), (lang, key)
        else:
            assert got == want, (lang, key)
    assert 0.0 < result.confidence <= 1.0


def test_line_items_table(corpus: Path) -> None:
    name = "i2d__coolblue1.pdf"
    result = extract_document((corpus / "pdf" / name).read_bytes())
    items = {it.description: it for it in result.fields["lineItems"]}
    ipad = items["Apple iPad Air Wifi 16 GB Zilver"]
    assert (ipad.quantity, ipad.unit_price, ipad.amount) == (
        Decimal("1"),
        Decimal("399.00"),
        Decimal("399.00"),
    )
    assert items["Mario Kart 7 3DS"].amount == Decimal("44.99")


def test_line_items_sum_raises_confidence(corpus: Path) -> None:
    name = "zugferd__ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_COMFORT_Einfach.pdf"
    result = extract_document((corpus / "pdf" / name).read_bytes())
    items = result.fields["lineItems"]
    assert [i.amount for i in items] == [Decimal("198.00"), Decimal("275.00")]
    assert result.field_confidence["lineItems"] >= 0.9


def _synthetic(lines: list[list[tuple[float, str]]]) -> ExtractionResult:
    """Build a one-page document from (x, text) cells per line, 14 pt apart."""
    words: list[Word] = []
    for n, cells in enumerate(lines):
        top = 60.0 + 14 * n
        for x, text in cells:
            cx = x
            for token in text.split():
                w = 5.0 * len(token)
                words.append(Word(token, cx, cx + w, top, top + 10, 0, 10.0))
                cx += w + 3
    doc = make_document([(595.0, 842.0, words)])
    return assemble(analyse(doc), ExtractionResult(method="text"))


def test_spanish_invoice() -> None:
    r = _synthetic(
        [
            [(40, "Ferretería López S.L.")],
            [(40, "Calle Mayor 5, 28013 Madrid")],
            [(40, "Factura nº: F-2023-0042"), (360, "Fecha: 3 de marzo de 2023")],
            [(40, "Cliente:")],
            [(40, "Construcciones Pérez S.A.")],
            [(40, "Descripción"), (300, "Cantidad"), (380, "Precio"), (470, "Importe")],
            [(40, "Tornillos"), (300, "100"), (380, "0,50"), (470, "50,00")],
            [(40, "Martillo"), (300, "2"), (380, "12,50"), (470, "25,00")],
            [(380, "Base imponible"), (470, "75,00 €")],
            [(380, "IVA 21%"), (470, "15,75 €")],
            [(380, "Total factura"), (470, "90,75 €")],
            [(40, "Forma de pago: transferencia, vencimiento a 30 días")],
        ]
    )
    f = r.fields
    assert f["invoiceNumber"] == "F-2023-0042"
    assert f["issueDate"] == date(2023, 3, 3)
    assert f["dueDate"] == date(2023, 4, 2)
    assert f["amount"] == Decimal("90.75")
    assert f["currency"] == "EUR"
    assert f["customerName"] == "Construcciones Pérez S.A."
    assert f["issuerName"] == "Ferretería López S.L."
    assert [(i.description, i.amount) for i in f["lineItems"]] == [
        ("Tornillos", Decimal("50.00")),
        ("Martillo", Decimal("25.00")),
    ]
    assert r.field_confidence["amount"] >= 0.9  # subtotal + tax = total


def test_polish_invoice() -> None:
    r = _synthetic(
        [
            [(40, "Faktura VAT nr FV/12/2023")],
            [(40, "Data wystawienia: 05.12.2023"), (330, "Termin płatności: 19.12.2023")],
            [(40, "Sprzedawca:"), (330, "Nabywca:")],
            [(40, "Kowalski Sp. z o.o."), (330, "Nowak Handel Sp. z o.o.")],
            [(40, "Nazwa"), (300, "Ilość"), (380, "Cena netto"), (470, "Wartość")],
            [(40, "Usługa serwisowa"), (300, "1"), (380, "1 000,00"), (470, "1 000,00")],
            [(380, "Razem netto"), (470, "1 000,00 zł")],
            [(380, "Podatek VAT"), (470, "230,00 zł")],
            [(380, "Do zapłaty"), (470, "1 230,00 zł")],
        ]
    )
    f = r.fields
    assert f["invoiceNumber"] == "FV/12/2023"
    assert f["issueDate"] == date(2023, 12, 5)
    assert f["dueDate"] == date(2023, 12, 19)
    assert f["amountDue"] == Decimal("1230.00")
    assert f["amount"] == Decimal("1230.00")
    assert f["currency"] == "PLN"
    assert f["issuerName"] == "Kowalski Sp. z o.o."
    assert f["customerName"] == "Nowak Handel Sp. z o.o."
