"""ISO 11649 references derived from case ids (issue 15, item 4)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from payrec.domain import creditor_reference as rf


def test_a_case_id_gives_a_valid_reference_that_leads_back() -> None:
    ref = rf.for_case("case-3f9a00c1d2e3f4a5b6c7")
    assert ref is not None and ref.startswith("RF") and len(ref) == 24
    assert rf.is_valid(ref)
    assert rf.case_id_for(ref) == "case-3f9a00c1d2e3f4a5b6c7"
    assert rf.case_id_for(rf.printed(ref).lower()) == "case-3f9a00c1d2e3f4a5b6c7"


def test_known_reference_and_bad_check_digits() -> None:
    assert rf.is_valid("RF18539007547034")  # the standard's example
    assert rf.printed("RF18539007547034") == "RF18 5390 0754 7034"
    assert not rf.is_valid("RF19539007547034")
    assert rf.case_id_for("RF18539007547034") is None  # valid, but not one of ours


def test_ids_that_are_not_ours_have_no_reference() -> None:
    assert rf.for_case("case-123") is None
    assert rf.for_case("cust-3f9a00c1d2e3f4a5b6c7") is None


def test_references_are_found_in_free_text() -> None:
    ref = rf.for_case("case-00000000000000000abc")
    assert ref is not None
    text = f"Payment inv 42 ref {rf.printed(ref)} thanks RF19539007547034 and RF18539007547034."
    assert rf.find_references(text) == [ref, "RF18539007547034"]
    assert rf.find_references(f"ref:{ref}THANKS") == []  # no word boundary: not a reference


@given(st.text(alphabet="0123456789abcdef", min_size=20, max_size=20))
def test_every_case_id_round_trips(body: str) -> None:
    ref = rf.for_case(f"case-{body}")
    assert ref is not None and rf.is_valid(ref)
    assert rf.case_id_for(ref) == f"case-{body}"
    assert rf.find_references(f"paid {rf.printed(ref)} ok") == [ref]
