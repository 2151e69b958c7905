"""Extraction budgets: the render resolution follows the pixel cap, budgets come from the
environment with clear errors, and a result crosses the process boundary unchanged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from payrec.extraction import (
    Budget,
    BudgetExceeded,
    ExtractionError,
    ExtractionResult,
    LineItem,
    extract_isolated,
    sandbox,
)
from payrec.extraction.budget import PixelMeter, bitmap_pixels, render_dpi
from payrec.extraction.sandbox import child_env

A4 = (595.0, 842.0)


def test_ordinary_pages_keep_300_dpi() -> None:
    assert render_dpi(*A4, max_pixels=12_000_000) == 300
    assert render_dpi(612, 792, max_pixels=12_000_000) == 300  # US letter


def test_a_huge_page_gets_the_resolution_the_pixel_cap_allows() -> None:
    dpi = render_dpi(3000, 3000, max_pixels=12_000_000)
    assert 82 < dpi < 84  # not 300 (a 12500x12500 bitmap)
    assert bitmap_pixels(3000, 3000, dpi) <= 12_000_000
    # the largest page size PDF allows (200 in): still within the cap
    assert bitmap_pixels(14400, 14400, render_dpi(14400, 14400, 2_000_000)) <= 2_000_000


def test_a_smaller_cap_lowers_the_resolution_of_an_a4_page() -> None:
    dpi = render_dpi(*A4, max_pixels=2_000_000)
    assert dpi < 300
    assert 1_900_000 < bitmap_pixels(*A4, dpi) <= 2_000_000


@pytest.mark.parametrize("size", [(0, 842), (595, -1), (float("nan"), 842), (float("inf"), 1)])
def test_degenerate_page_sizes_keep_the_default(size: tuple[float, float]) -> None:
    assert render_dpi(*size, max_pixels=12_000_000) == 300


def test_the_pixel_meter_stops_at_the_document_budget() -> None:
    meter = PixelMeter(Budget(total_pixels=10_000_000))
    meter.charge(6_000_000, "page 1")
    with pytest.raises(BudgetExceeded, match="page 2 brings the document to 12,000,000 pixels"):
        meter.charge(6_000_000, "page 2")


def test_budgets_from_the_environment() -> None:
    assert Budget.from_env({}) == Budget()
    budget = Budget.from_env({
        "PAYREC_EXTRACTION_MAX_PAGE_PIXELS": "2000000", "PAYREC_EXTRACTION_MAX_PIXELS": "9_000_000",
        "PAYREC_EXTRACTION_TIMEOUT_SECONDS": "2.5", "PAYREC_EXTRACTION_MEMORY_MB": "512",
        "PAYREC_EXTRACTION_MAX_CONTENT_MB": "8", "PAYREC_EXTRACT_MAX_PAGES": "5",
    })
    assert budget == Budget(page_pixels=2_000_000, total_pixels=9_000_000, timeout_seconds=2.5,
                            memory_mb=512, content_mb=8, max_pages=5)
    assert Budget.from_dict(budget.to_dict()) == budget


@pytest.mark.parametrize(
    ("name", "value"),
    [("PAYREC_EXTRACTION_MEMORY_MB", "lots"), ("PAYREC_EXTRACTION_MEMORY_MB", "64"),
     ("PAYREC_EXTRACTION_TIMEOUT_SECONDS", "0"), ("PAYREC_EXTRACTION_TIMEOUT_SECONDS", "nan"),
     ("PAYREC_EXTRACTION_MAX_PIXELS", "-1")],
)
def test_a_bad_budget_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ValueError, match=name):
        Budget.from_env({name: value})


def test_a_result_crosses_the_process_boundary_unchanged() -> None:
    result = ExtractionResult(method="ocr", pages=2, warnings=["page 2 unreadable"])
    result.set("invoiceNumber", "INV-1", 0.9)
    result.set("amount", Decimal("119.00"), 0.8)
    result.set("amountDue", Decimal("19.50"), 0.7)
    result.set("issueDate", date(2026, 3, 2), 0.9)
    result.set("dueDate", date(2026, 4, 1), 0.6)
    result.set("currency", "EUR", 0.9)
    result.set("lineItems", [LineItem("Widgets", Decimal("100.00"), Decimal(2), Decimal(50)),
                             LineItem("Fee", Decimal("19.00"))], 0.95)
    result.compute_overall()
    again = ExtractionResult.from_wire(result.to_wire())
    assert again == result


def test_the_child_process_sees_no_credential_of_the_worker() -> None:
    env = child_env({
        "PATH": "/usr/bin", "PYTHONPATH": "/src", "LC_ALL": "C.UTF-8", "PAYREC_OCR_LANGS": "eng",
        "PAYREC_API_KEY": "pk_secret", "JAVA_API_KEY": "pk_old", "PAYREC_SMTP_URL":
        "smtp://u:pw@mail", "PAYREC_SMS_AUTH_TOKEN": "t", "PAYREC_SECRET_KEY": "k",
        "PAYREC_DATABASE_URL": "postgresql://u:pw@db/payrec",
    })
    assert env == {"PATH": "/usr/bin", "PYTHONPATH": "/src", "LC_ALL": "C.UTF-8",
                   "PAYREC_OCR_LANGS": "eng", "MALLOC_ARENA_MAX": "2", "OMP_THREAD_LIMIT": "1"}


def test_a_child_that_fails_without_an_answer_is_one_extraction_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # any other module as the child: it exits without the JSON answer
    monkeypatch.setattr(sandbox, "CHILD_MODULE", "json.tool")
    with pytest.raises(ExtractionError, match="the extraction process failed"):
        extract_isolated(b"%PDF-1.7 whatever", filename="x.pdf", budget=Budget(timeout_seconds=30))
