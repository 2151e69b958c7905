"""Public entry point: extract invoice fields from a PDF, an image or e-invoice XML."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pypdfium2 as pdfium

from .assemble import assemble
from .budget import Budget, check_content_streams
from .context import analyse
from .einvoice import parse_einvoice_xml, read_embedded_einvoice
from .layout import make_document
from .render import image_pages, pdf_pages
from .result import ExtractionError, ExtractionResult
from .templates import Template, apply_template, load_templates, match_template

log = logging.getLogger(__name__)

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
    budget: Budget | None = None,
    read_einvoice: bool = True,
) -> ExtractionResult:
    """Extract invoice fields in this process, within `budget`'s pixel and content caps
    (default: from the environment). `read_einvoice=False` ignores an e-invoice XML embedded
    in a PDF and reads the page only (the benchmark measures the page path that way).
    Raises ExtractionError for unreadable input and BudgetExceeded (an ExtractionError) for a
    document over budget. Memory and time limits need a process of its own:
    :func:`payrec.extraction.extract_isolated`."""
    try:
        return _extract(
            data, filename, mime_type, templates, budget or Budget.from_env(), read_einvoice
        )
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
    budget: Budget,
    read_einvoice: bool = True,
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
        check_content_streams(data, budget)
        einv = read_embedded_einvoice(data) if n_attachments and read_einvoice else None
        if einv is not None:
            einv.pages = n_pages
            if all(k in einv.fields for k in _EINVOICE_CORE):
                einv.compute_overall()
                return einv
        pages, used_ocr, warnings = pdf_pages(data, budget)
    elif kind == "image":
        pages, warnings = image_pages(data, budget), []
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
