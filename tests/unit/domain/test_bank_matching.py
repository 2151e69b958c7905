"""The order of the bank matching rules (issue 15, item 4)."""

from __future__ import annotations

from decimal import Decimal

from payrec.domain.bank_matching import Candidate, decide, invoice_tokens, referenced_case_ids
from payrec.domain.creditor_reference import for_case, printed

A = Candidate("case-a", "EUR", Decimal("100.00"))
B = Candidate("case-b", "EUR", Decimal("250.00"))


def test_a_reference_wins_over_invoice_and_amount() -> None:
    got = decide(Decimal("1"), "EUR", [A], [B], [B])
    assert (got.case_id, got.matched_by) == ("case-a", "reference")


def test_a_reference_to_a_closed_or_foreign_case_is_unsure() -> None:
    closed = Candidate("case-a", "EUR", Decimal(0), open=False)
    assert decide(Decimal("1"), "EUR", [closed], [B], []).case_id is None
    assert decide(Decimal("1"), "USD", [A], [], []).case_id is None


def test_invoice_then_exact_amount_of_one_case() -> None:
    assert decide(Decimal("5"), "EUR", [], [B], [A]).matched_by == "invoice"
    assert decide(Decimal("5"), "EUR", [], [A, B], []).case_id is None
    assert decide(Decimal("250.00"), "EUR", [], [], [A, B]).case_id == "case-b"
    twin = Candidate("case-c", "EUR", Decimal("250.00"))
    assert decide(Decimal("250.00"), "EUR", [], [], [B, twin]).case_id is None
    assert decide(Decimal("99"), "EUR", [], [], [A, B]).case_id is None


def test_tokens_and_references_from_text() -> None:
    assert invoice_tokens("Inv. inv-2024/7, thanks") == [
        "Inv", "INV", "inv-2024/7", "INV-2024/7", "thanks", "THANKS"]
    ref = for_case("case-0123456789abcdef0123")
    assert ref is not None
    assert referenced_case_ids("", f"paid {printed(ref)}") == ["case-0123456789abcdef0123"]
