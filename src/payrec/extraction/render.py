"""Pages of a PDF and frames of an image, read one at a time within the document's budget.

A page without a text layer is rendered at the resolution the pixel cap allows and handed to
OCR at once; at most one page per OCR worker is held in memory, never the whole document.
"""

from __future__ import annotations

import io
import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, UnidentifiedImageError

from .budget import FRAME_DECODE_FACTOR, Budget, BudgetExceeded, PixelMeter, bitmap_pixels
from .budget import render_dpi as capped_dpi
from .layout import Word
from .ocr import OCR_DPI, OcrUnavailable, ocr_image
from .pdf_text import MIN_PAGE_CHARS, page_words
from .result import ExtractionError

PageWords = tuple[float, float, list[Word]]
# images smaller than this in all (a 1x1 image stretched over a page) carry no text to read
MIN_OCR_IMAGE_PIXELS = 10_000


class OcrQueue:
    """OCR pages concurrently (one Tesseract process per core, at most 4), holding no more
    images than there are OCR threads: `submit` waits for the oldest page when all are busy."""

    def __init__(self) -> None:
        self.workers = max(1, min(os.cpu_count() or 1, 4))
        self._pool = ThreadPoolExecutor(max_workers=self.workers)
        self._running: deque[Future[list[Word]]] = deque()
        self._futures: dict[int, Future[list[Word]]] = {}

    def submit(self, page_no: int, image: Image.Image, dpi: float) -> None:
        while len(self._running) >= self.workers:
            self._running.popleft().exception()  # wait; errors are raised by results()
        future = self._pool.submit(ocr_image, image, page_no, dpi)
        self._running.append(future)
        self._futures[page_no] = future

    def __len__(self) -> int:
        return len(self._futures)

    def results(self) -> dict[int, list[Word]]:
        """Words per page; raises OcrUnavailable (or the first error of a page)."""
        return {n: f.result() for n, f in self._futures.items()}

    def __enter__(self) -> OcrQueue:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def pdf_pages(data: bytes, budget: Budget) -> tuple[list[PageWords], bool, list[str]]:
    """Positioned words of each page (text layer, else OCR), whether OCR was used, warnings."""
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise ExtractionError(f"corrupt or unreadable PDF: {exc}") from exc
    pages: list[PageWords] = []
    meter = PixelMeter(budget)
    with OcrQueue() as ocr:
        try:
            if len(pdf) == 0:
                raise ExtractionError("PDF has no pages")
            for n in range(min(len(pdf), budget.max_pages)):
                pages.append(_pdf_page(pdf, n, budget, meter, ocr))
        finally:
            pdf.close()
        warnings: list[str] = []
        if len(ocr):
            try:
                for n, words in ocr.results().items():
                    pages[n] = (pages[n][0], pages[n][1], words)
            except OcrUnavailable as exc:
                warnings.append(str(exc))
                if not any(w for _a, _b, w in pages):
                    raise ExtractionError(f"scanned PDF without a text layer and {exc}") from exc
        return pages, bool(len(ocr)) and not warnings, warnings


def _pdf_page(
    pdf: pdfium.PdfDocument, n: int, budget: Budget, meter: PixelMeter, ocr: OcrQueue
) -> PageWords:
    try:
        page = pdf[n]
    except pdfium.PdfiumError:
        return (612.0, 792.0, [])  # a damaged page: skip it
    try:
        width, height = page.get_size()
        words = page_words(page, n)
        if sum(len(w.text) for w in words) < MIN_PAGE_CHARS \
                and _image_pixels(page) >= MIN_OCR_IMAGE_PIXELS:
            # pdfium is not thread-safe: render here, OCR on the queue's threads
            dpi = capped_dpi(width, height, budget.page_pixels)
            meter.charge(bitmap_pixels(width, height, dpi), f"page {n + 1}")
            bitmap = page.render(scale=dpi / 72, grayscale=True)
            ocr.submit(n, bitmap.to_pil(), dpi)
        return (width, height, words)
    finally:
        page.close()


def _image_pixels(page: pdfium.PdfPage) -> int:
    """Pixels of the images a page draws, as stored (a page without images needs no OCR)."""
    total = 0
    try:
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE]):
            width, height = obj.get_px_size()
            total += max(width, 0) * max(height, 0)
    except pdfium.PdfiumError:
        return MIN_OCR_IMAGE_PIXELS
    return total


def image_pages(data: bytes, budget: Budget) -> list[PageWords]:
    """OCR words of each frame of an image (TIFFs hold several), decoded one at a time."""
    try:
        img = Image.open(io.BytesIO(data))
        n_frames = getattr(img, "n_frames", 1)
    except Image.DecompressionBombError as exc:
        raise BudgetExceeded(f"image too large to decode ({exc})") from exc
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as exc:
        raise ExtractionError(f"unreadable image: {exc}") from exc
    meter = PixelMeter(budget)
    sizes: dict[int, tuple[float, float]] = {}
    with OcrQueue() as ocr:
        for n in range(min(n_frames, budget.max_pages)):
            frame, dpi = _frame(img, n, budget, meter)
            sizes[n] = (frame.width * 72 / dpi, frame.height * 72 / dpi)
            ocr.submit(n, frame, dpi)
            del frame
        try:
            words = ocr.results()
        except OcrUnavailable as exc:
            raise ExtractionError(f"image needs OCR but {exc}") from exc
    return [(w, h, words[n]) for n, (w, h) in sizes.items()]


def _frame(
    img: Image.Image, n: int, budget: Budget, meter: PixelMeter
) -> tuple[Image.Image, float]:
    """Frame `n` in grayscale, reduced to the page pixel cap, and the dpi it is at."""
    try:
        img.seek(n)
    except (EOFError, OSError, ValueError) as exc:
        raise ExtractionError(f"unreadable image frame {n + 1}: {exc}") from exc
    width, height = img.size
    pixels = width * height
    limit = budget.page_pixels * FRAME_DECODE_FACTOR
    if pixels > limit:
        raise BudgetExceeded(
            f"image frame {n + 1} is {width}x{height} pixels (a frame may have {limit:,}, "
            f"{FRAME_DECODE_FACTOR} x PAYREC_EXTRACTION_MAX_PAGE_PIXELS)"
        )
    meter.charge(pixels, f"image frame {n + 1}")
    dpi_info = img.info.get("dpi", (OCR_DPI, OCR_DPI))
    try:
        dpi = float(dpi_info[0]) or OCR_DPI
    except (TypeError, ValueError, IndexError):
        dpi = OCR_DPI
    dpi = dpi if dpi >= 100 else OCR_DPI
    try:
        frame = img.convert("L")
    except (OSError, ValueError, SyntaxError) as exc:
        raise ExtractionError(f"unreadable image frame {n + 1}: {exc}") from exc
    factor = 1
    while pixels / (factor * factor) > budget.page_pixels:
        factor += 1
    if factor > 1:
        frame = frame.reduce(factor)
        dpi /= factor
    return frame, dpi
