"""A document's pages as PNG images, for reviewers whose browser shows no PDF inline."""

from __future__ import annotations

import io
import threading

import pypdfium2 as pdfium

from payrec.server.errors import Invalid, NotFound

MAX_PAGES_SHOWN = 20
SCALE = 1.5  # 108 dpi: readable beside the fields, a few hundred kB a page
_PDFIUM = threading.Lock()  # pdfium is not thread-safe; pages are rendered one at a time


def _open(data: bytes) -> pdfium.PdfDocument:
    """The PDF opened by pdfium (callers hold _PDFIUM); 422 if it is not one."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise Invalid("the document is not a readable PDF", field="document") from exc


def page_count(data: bytes) -> int:
    with _PDFIUM:
        document = _open(data)
        try:
            return min(len(document), MAX_PAGES_SHOWN)
        finally:
            document.close()


def page_png(data: bytes, number: int) -> bytes:
    """Page `number` (1-based) of a PDF as PNG bytes; 404 past the last page shown."""
    with _PDFIUM:
        document = _open(data)
        try:
            if not 1 <= number <= min(len(document), MAX_PAGES_SHOWN):
                raise NotFound("page", str(number))
            page = document[number - 1]
            image = page.render(scale=SCALE).to_pil()
            page.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
