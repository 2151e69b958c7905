"""OCR on a page rendered to an image (Tesseract: apt install tesseract-ocr + language packs)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from payrec.extraction import Budget, ExtractionError, extract_document, extract_isolated
from payrec.extraction import ocr as ocr_mod
from payrec.extraction.ocr import ocr_available

needs_ocr = pytest.mark.skipif(
    not ocr_available(),
    reason="Tesseract not installed (apt-get install tesseract-ocr tesseract-ocr-deu "
    "tesseract-ocr-fra tesseract-ocr-nld tesseract-ocr-spa tesseract-ocr-pol)",
)


def _render(pdf_path: Path, fmt: str = "PNG") -> bytes:
    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        img = pdf[0].render(scale=300 / 72).to_pil().convert("L")
    finally:
        pdf.close()
    buf = io.BytesIO()
    img.save(buf, format=fmt, dpi=(300, 300))
    return buf.getvalue()


@needs_ocr
def test_ocr_png_page(corpus: Path) -> None:
    data = _render(
        corpus / "pdf" / "zugferd__ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_COMFORT_Einfach.pdf"
    )
    result = extract_document(data, filename="scan.png", mime_type="image/png")
    assert result.method == "ocr"
    assert result.fields["invoiceNumber"] == "471102"
    assert result.fields["amount"] == Decimal("529.87")
    assert result.fields["currency"] == "EUR"


@needs_ocr
def test_a_scan_is_read_in_the_child_process_within_the_default_budget(corpus: Path) -> None:
    # the worker's path: the child process and the Tesseract it starts live under RLIMIT_AS
    data = _render(
        corpus / "pdf" / "zugferd__ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_COMFORT_Einfach.pdf"
    )
    result = extract_isolated(data, filename="scan.png", mime_type="image/png",
                              budget=Budget())
    assert result.method == "ocr"
    assert result.fields["invoiceNumber"] == "471102"
    assert result.fields["amount"] == Decimal("529.87")
    assert result.pages == 1


@needs_ocr
def test_scanned_pdf_without_text_layer(corpus: Path) -> None:
    # a PDF whose only page is an image: no text layer, so the page is OCR'd
    from PIL import Image

    png = _render(corpus / "pdf" / "i2d__AzureInterior.pdf")
    img = Image.open(io.BytesIO(png))
    buf = io.BytesIO()
    img.save(buf, format="PDF", resolution=300)
    result = extract_document(buf.getvalue(), filename="scan.pdf")
    assert result.method == "ocr"
    assert result.fields["amount"] == Decimal("279.84")
    assert result.fields["invoiceNumber"] == "INV/2023/03/0008"


def test_ocr_missing_engine_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    monkeypatch.setattr(ocr_mod, "tesseract_path", lambda: None)
    buf = io.BytesIO()
    Image.new("L", (200, 100), 255).save(buf, format="PNG")
    with pytest.raises(ExtractionError, match="OCR engine not installed"):
        extract_document(buf.getvalue(), filename="scan.png")


def test_scanned_pdf_without_ocr_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image, ImageDraw

    monkeypatch.setattr(ocr_mod, "tesseract_path", lambda: None)
    img = Image.new("L", (600, 800), 255)
    ImageDraw.Draw(img).rectangle((50, 50, 300, 120), fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PDF", resolution=72)
    with pytest.raises(ExtractionError, match="scanned PDF without a text layer and OCR engine"):
        extract_document(buf.getvalue(), filename="scan.pdf")
