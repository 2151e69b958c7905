"""A field that conflicts with another printed field is never high-confidence (< 0.9)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .test_languages import _page


def _totals_page(total: str) -> list[list[tuple[float, str]]]:
    return [
        [(40, "Invoice number: INV-77"), (330, "Invoice date: 2024-03-01")],
        [(380, "Grand total"), (470, f"{total} EUR")],
        [(380, "Subtotal"), (470, "100.00 EUR")],
        [(380, "VAT amount"), (470, "20.00 EUR")],
    ]


def test_total_that_net_plus_tax_does_not_reach_is_not_high_confidence() -> None:
    r = _page(_totals_page("130.00"))
    assert r.fields["amount"] == Decimal("130.00")
    assert r.field_confidence["amount"] < 0.9


def test_consistent_total_stays_high_confidence() -> None:
    r = _page(_totals_page("120.00"))
    assert r.fields["amount"] == Decimal("120.00")
    assert r.field_confidence["amount"] >= 0.9


def test_due_date_before_issue_date_makes_both_low() -> None:
    r = _page(
        [
            [(40, "Rechnungsnummer: R-9"), (330, "Rechnungsdatum: 10.05.2024")],
            [(330, "Fällig am: 01.04.2024")],
            [(380, "Gesamtbetrag"), (470, "50,00 EUR")],
        ]
    )
    assert r.fields["issueDate"] == date(2024, 5, 10)
    assert r.fields["dueDate"] == date(2024, 4, 1)
    assert r.field_confidence["dueDate"] < 0.9
    assert r.field_confidence["issueDate"] < 0.9


def test_name_with_a_label_inside_is_not_high_confidence() -> None:
    r = _page(
        [
            [(40, "Faktura nr 1/2024"), (330, "Data wystawienia: 05.01.2024")],
            [(40, "Nabywca:")],
            [(40, "ABC S.A. Nazwa: Jan Kowalski")],
            [(380, "Razem brutto"), (470, "10,00 zł")],
        ]
    )
    assert r.field_confidence.get("customerName", 0.0) < 0.9


def test_amount_due_above_the_total_makes_both_low() -> None:
    """Paying more than the invoice's total: one of the two figures is misread."""
    r = _page(
        [
            [(40, "Facture n° FA-12"), (330, "Date : 01/03/2024")],
            [(380, "Total HT"), (470, "100,00 €")],
            [(380, "TVA"), (470, "20,00 €")],
            [(380, "Total TTC"), (470, "120,00 €")],
            [(380, "Net à payer"), (470, "210,00 €")],
        ]
    )
    assert r.fields["amount"] == Decimal("120.00")
    assert r.fields["amountDue"] == Decimal("210.00")
    assert r.field_confidence["amount"] < 0.9
    assert r.field_confidence["amountDue"] < 0.9
