"""The generated benchmark invoices are deterministic by seed and print their ground truth."""

from __future__ import annotations

import random

from bench.extraction.generated import HELDOUT_LAYOUTS, LAYOUTS, LOCALES, _html, _invoice, _money


def test_same_seed_same_invoices_and_truth_is_printed() -> None:
    for loc in LOCALES:
        a = _invoice(random.Random(7), loc, "classic", 0)
        b = _invoice(random.Random(7), loc, "classic", 0)
        assert a == b
        page = _html(a)
        assert a["number"] in page and _money(a["total"], loc) in page
        assert a["net"] + a["tax"] == a["total"]


def test_heldout_layouts_are_a_proper_subset() -> None:
    assert set(LAYOUTS) > HELDOUT_LAYOUTS
    assert {loc.lang for loc in LOCALES} == {"en", "de", "fr", "es", "it", "nl", "pt", "pl"}
