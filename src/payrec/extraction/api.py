"""Public entry point: extract invoice fields from a PDF, an image or e-invoice XML."""

from __future__ import annotations

import io
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, UnidentifiedImageError

from .assemble import assemble
from .context import analyse
from .einvoice import parse_einvoice_xml, read_embedded_einvoice
from .layout import Word, make_document
from .ocr import OCR_DPI, OcrUnavailable, ocr_image
from .pdf_text import MIN_PAGE_CHARS, page_words
from .result import ExtractionError, ExtractionResult
from .templates import Template, apply_template, load_templates, match_template

log = logging.getLogger(__name__)
MAX_PAGES = int(os.environ.get("PAYREC_EXTRACT_MAX_PAGES", "30"))

_EINVOICE_CORE = ("invoiceNumber", "amount", "currency", "issueDate")
_PDF_MIME = {"application/pdf", "application/x-pdf"}
_XML_MIME = {"application/xml", "text/xml"}
# UTF-16/32 XML: byte-order marks, or "<?" / "<" without one (XML 1.0 appendix F)
_WIDE_XML = (b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<", b"\x00\x00\xfe\xff")
_IMG_MIME = {"image/png", "image/jpeg", "image/jpg", "image/tiff", "image/webp", "image/bmp"}


def _kind(data: bytes, filename: str | None, mime_type: str | None) -> str:
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*", b"BM")) or (
        data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    ):
        return "image"
    if head.startswith((b"<?xml", b"<", b"\xef\xbb\xbf<")) or data.startswith(_WIDE_XML):
        return "xml"
    mt = (mime_type or "").lower()
    ext = Path(filename or "").suffix.lower()
    if mt in _XML_MIME or ext == ".xml":
        return "xml"  # in an encoding not sniffed above: the XML parser decides
    if mt in _PDF_MIME or ext == ".pdf":
        return "pdf"  # claimed PDF without a PDF header: corrupt
    if mt in _IMG_MIME or ext in (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".webp", ".bmp"):
        return "image"
    return "unknown"


def _resolve_templates(templates: Sequence[Template] | str | Path | None) -> list[Template]:
    if templates is None:
        return []
    if isinstance(templates, str | Path):
        return load_templates(templates)
    return list(templates)


def extract_document(
    data: bytes,
    *,
    filename: str | None = None,
    mime_type: str | None = None,
    templates: Sequence[Template] | str | Path | None = None,
) -> ExtractionResult:
    """Extract invoice fields. Raises ExtractionError for unreadable input."""
    try:
        return _extract(data, filename, mime_type, templates)
    except ExtractionError:
        raise
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        # damaged files make the PDF/image libraries fail in many ways: report, don't crash
        log.warning("extraction failed on %s", filename or "document", exc_info=True)
        raise ExtractionError(f"unreadable document ({type(exc).__name__}: {exc})") from exc


def _extract(
    data: bytes,
    filename: str | None,
    mime_type: str | None,
    templates: Sequence[Template] | str | Path | None,
) -> ExtractionResult:
    if not data or not data.strip():
        raise ExtractionError("empty file")
    kind = _kind(data, filename, mime_type)
    einv: ExtractionResult | None = None
    if kind == "xml":
        result = parse_einvoice_xml(data.lstrip(b"\xef\xbb\xbf"))
        if result is None:
            raise ExtractionError("unsupported XML: not a CII/UBL invoice")
        result.compute_overall()
        return result
    if kind == "pdf":
        if b"%PDF-" not in data[:1024]:
            raise ExtractionError("not a PDF: missing %PDF header")
        n_pages, n_attachments = _pdf_info(data)
        einv = read_embedded_einvoice(data) if n_attachments else None
        if einv is not None:
            einv.pages = n_pages
            if all(k in einv.fields for k in _EINVOICE_CORE):
                einv.compute_overall()
                return einv
        pages, used_ocr, warnings = _pdf_pages(data)
    elif kind == "image":
        pages, warnings = _image_pages(data), []
        used_ocr = True
    else:
        raise ExtractionError(
            f"unsupported file type ({mime_type or Path(filename or '').suffix or 'unknown'})"
        )
    if not any(words for _w, _h, words in pages):
        raise ExtractionError("no readable text in document")
    doc = make_document(pages)
    ctx = analyse(doc)
    result = ExtractionResult(method="ocr" if used_ocr else "text", pages=len(pages))
    result.warnings.extend(warnings)
    assemble(ctx, result)
    if einv is not None:
        # an incomplete embedded XML: keep its exact values, fill the gaps from the page
        for name, value in result.fields.items():
            if name not in einv.fields:
                einv.set(name, value, result.field_confidence.get(name, 0.0))
        einv.warnings.append("embedded e-invoice incomplete; missing fields read from the page")
        result = einv
    tpls = _resolve_templates(templates)
    if tpls:
        tpl = match_template(tpls, doc.text)
        if tpl is not None:
            apply_template(tpl, doc.text, result)
    result.compute_overall()
    return result


def _pdf_info(data: bytes) -> tuple[int, int]:
    """(pages, embedded files); raises ExtractionError when pdfium cannot open the file."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ExtractionError(f"corrupt or unreadable PDF: {exc}") from exc
    try:
        return len(pdf), pdf.count_attachments()
    finally:
        pdf.close()


def _pdf_pages(data: bytes) -> tuple[list[tuple[float, float, list[Word]]], bool, list[str]]:
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ExtractionError(f"corrupt or unreadable PDF: {exc}") from exc
    pages: list[tuple[float, float, list[Word]]] = []
    scans: dict[int, tuple[Image.Image, float]] = {}
    try:
        if len(pdf) == 0:
            raise ExtractionError("PDF has no pages")
        for n in range(min(len(pdf), MAX_PAGES)):
            try:
                page = pdf[n]
            except pdfium.PdfiumError:
                pages.append((612.0, 792.0, []))  # a damaged page: skip it
                continue
            try:
                width, height = page.get_size()
                words = page_words(page, n)
                if sum(len(w.text) for w in words) < MIN_PAGE_CHARS and _has_image(page):
                    # pdfium is not thread-safe: render here, OCR in parallel below
                    scans[n] = (page.render(scale=OCR_DPI / 72).to_pil(), OCR_DPI)
                pages.append((width, height, words))
            finally:
                page.close()
    finally:
        pdf.close()
    warnings: list[str] = []
    if scans:
        try:
            for n, words in _ocr_many(scans).items():
                pages[n] = (pages[n][0], pages[n][1], words)
        except OcrUnavailable as exc:
            warnings.append(str(exc))
            if not any(w for _a, _b, w in pages):
                raise ExtractionError(f"scanned PDF without a text layer and {exc}") from exc
    return pages, bool(scans) and not warnings, warnings


def _ocr_many(images: dict[int, tuple[Image.Image, float]]) -> dict[int, list[Word]]:
    """OCR pages concurrently (one Tesseract process per core)."""
    workers = max(1, min(len(images), os.cpu_count() or 1, 4))
    if workers == 1:
        return {n: ocr_image(img, n, dpi) for n, (img, dpi) in images.items()}
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {n: pool.submit(ocr_image, img, n, dpi) for n, (img, dpi) in images.items()}
        return {n: f.result() for n, f in futures.items()}


def _has_image(page: pdfium.PdfPage) -> bool:
    """Whether a page draws any image (a blank page needs no OCR)."""
    try:
        return any(obj.type == pdfium_c.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects())
    except pdfium.PdfiumError:
        return True


def _image_pages(data: bytes) -> list[tuple[float, float, list[Word]]]:
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ExtractionError(f"unreadable image: {exc}") from exc
    frames: dict[int, tuple[Image.Image, float]] = {}
    for n in range(min(getattr(img, "n_frames", 1), MAX_PAGES)):
        img.seek(n)
        dpi_info = img.info.get("dpi", (OCR_DPI, OCR_DPI))
        try:
            dpi = float(dpi_info[0]) or OCR_DPI
        except (TypeError, ValueError, IndexError):
            dpi = OCR_DPI
        frames[n] = (img.convert("L"), dpi if dpi >= 100 else OCR_DPI)
    try:
        words = _ocr_many(frames)
    except OcrUnavailable as exc:
        raise ExtractionError(f"image needs OCR but {exc}") from exc
    return [(im.width * 72 / dpi, im.height * 72 / dpi, words[n])
            for n, (im, dpi) in frames.items()]
