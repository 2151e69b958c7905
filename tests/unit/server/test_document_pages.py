"""A document's pages as PNG for reviewers whose browser shows no PDF inline."""

from __future__ import annotations

from pathlib import Path

import pytest

from payrec.server.documents.pages import page_count, page_png
from payrec.server.errors import Invalid, NotFound

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
INVOICE = SHARED / "corpus" / "invoices" / "pdf" / "i2d__AmazonWebServices.pdf"


def _pdf() -> bytes:
    if not INVOICE.exists():
        pytest.skip(f"corpus file {INVOICE} not present")
    return INVOICE.read_bytes()


def test_a_pdf_page_is_shown_as_a_png() -> None:
    data = _pdf()
    assert page_count(data) >= 1
    image = page_png(data, 1)
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 1000


def test_past_the_last_page_or_not_a_pdf_is_refused() -> None:
    data = _pdf()
    with pytest.raises(NotFound):
        page_png(data, page_count(data) + 1)
    with pytest.raises(NotFound):
        page_png(data, 0)
    with pytest.raises(Invalid):
        page_count(b"not a pdf at all")
