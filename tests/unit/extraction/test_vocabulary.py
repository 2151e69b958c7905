"""One label table per language: each covers the fields a page in that language labels."""

from __future__ import annotations

import pytest

from payrec.extraction.dates import fold
from payrec.extraction.labels import KINDS, LANGUAGES, find_labels, vocabulary

# what a reader needs from every language: number, dates, total/amount due, both parties
CORE = ("invoice_number", "issue_date", "due_date", "total", "amount_due", "issuer", "customer")


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_table_labels_the_core_fields(language: str) -> None:
    table = vocabulary(language)
    assert set(table) <= set(KINDS)
    for kind in CORE:
        assert table.get(kind), f"{language}: no {kind} labels"
    for labels in table.values():
        for label, strength in labels.items():
            assert label == label.strip() and 0 < strength <= 1, (language, label)


@pytest.mark.parametrize(
    ("language", "text", "kind"),
    [
        ("fr", "Net à payer", "amount_due"),
        ("de", "Zahlbar bis", "due_date"),
        ("es", "Fecha de vencimiento", "due_date"),
        ("it", "Totale documento", "total"),
        ("nl", "Factuurnummer", "invoice_number"),
        ("pt", "Data de emissão", "issue_date"),
        ("pl", "Nabywca", "customer"),
        ("en", "Bill to", "customer"),
    ],
)
def test_a_label_from_its_language_table_is_found(language: str, text: str, kind: str) -> None:
    assert fold(text) in vocabulary(language)[kind] or text.lower() in vocabulary(language)[kind]
    assert [h.kind for h in find_labels(fold(text))] == [kind]
