"""Extraction budgets: how many pixels, seconds and megabytes one document may cost.

A hostile 5 KB PDF (huge pages each drawing a tiny image) or a TIFF of huge frames must not take
the extraction down: render resolution follows a pixel cap instead of a fixed 300 dpi, pixels
are counted per document, decompressed content streams are capped before pdfium parses them, and
the whole extraction runs in a child process with its own memory and time limits
(:mod:`payrec.extraction.sandbox`).
"""

from __future__ import annotations

import io
import math
import os
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import pypdf
from pypdf.errors import LimitReachedError, PdfReadError
from pypdf.generic import ArrayObject, IndirectObject, NameObject, StreamObject

from .ocr import OCR_DPI
from .result import ExtractionError

# an image frame is decoded before it can be reduced: no more than this many page caps
FRAME_DECODE_FACTOR = 4
_FLATE = {"/FlateDecode", "/Fl"}
_CHUNK = 1 << 20


class BudgetExceeded(ExtractionError):
    """The document needs more pixels, time, memory or decompressed content than allowed."""

    def __init__(self, what: str) -> None:
        super().__init__(f"over the extraction budget: {what}")
        self.what = what


@dataclass(frozen=True, slots=True)
class Budget:
    page_pixels: int = 12_000_000  # one rendered page or OCR image (A4 at 300 dpi: 8.7 M)
    total_pixels: int = 200_000_000  # all pages and frames of one document
    timeout_seconds: float = 300.0  # wall clock of one document's extraction (a 30-page scan)
    memory_mb: int = 2048  # address space of the extraction process (and of each OCR process)
    content_mb: int = 64  # decompressed page content streams of one PDF
    max_pages: int = 30  # pages or frames read; the rest is ignored

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Budget:
        """Read PAYREC_EXTRACTION_* (see docs/configuration.md); ValueError names a bad one."""
        source = os.environ if env is None else env
        default = cls()
        return cls(
            page_pixels=_number(source, "PAYREC_EXTRACTION_MAX_PAGE_PIXELS", default.page_pixels,
                                minimum=100_000),
            total_pixels=_number(source, "PAYREC_EXTRACTION_MAX_PIXELS", default.total_pixels,
                                 minimum=100_000),
            timeout_seconds=float(_number(source, "PAYREC_EXTRACTION_TIMEOUT_SECONDS",
                                          default.timeout_seconds, minimum=1)),
            memory_mb=_number(source, "PAYREC_EXTRACTION_MEMORY_MB", default.memory_mb,
                              minimum=256),
            content_mb=_number(source, "PAYREC_EXTRACTION_MAX_CONTENT_MB", default.content_mb,
                               minimum=1),
            max_pages=_number(source, "PAYREC_EXTRACT_MAX_PAGES", default.max_pages, minimum=1),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Budget:
        return cls(
            page_pixels=int(values["page_pixels"]), total_pixels=int(values["total_pixels"]),
            timeout_seconds=float(values["timeout_seconds"]), memory_mb=int(values["memory_mb"]),
            content_mb=int(values["content_mb"]), max_pages=int(values["max_pages"]),
        )


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> Any:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw) if isinstance(default, float) else int(raw.replace("_", ""))
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if not math.isfinite(value) or value < minimum:
        raise ValueError(f"{name}={raw!r}: must be at least {minimum:g}")
    return value


def render_dpi(width_pt: float, height_pt: float, max_pixels: int, dpi: float = OCR_DPI) -> float:
    """Resolution to render a page of this size at: `dpi`, lowered so that the bitmap stays
    within `max_pixels` (a 3000x3000 pt page gets ~83 dpi under 12 M pixels, not 300)."""
    if not (width_pt > 0 and height_pt > 0) or not math.isfinite(width_pt * height_pt):
        return dpi
    area_in2 = (width_pt / 72.0) * (height_pt / 72.0)
    capped = math.sqrt(max_pixels / area_in2) * 0.999  # pdfium rounds the bitmap size up
    return min(dpi, capped)


def bitmap_pixels(width_pt: float, height_pt: float, dpi: float) -> int:
    """Pixels of a page rendered at `dpi` (pdfium rounds each side up)."""
    return math.ceil(width_pt * dpi / 72.0) * math.ceil(height_pt * dpi / 72.0)


class PixelMeter:
    """Counts the pixels one document renders or decodes against its budget."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.used = 0

    def charge(self, pixels: int, what: str) -> None:
        self.used += pixels
        if self.used > self.budget.total_pixels:
            raise BudgetExceeded(
                f"{what} brings the document to {self.used:,} pixels "
                f"(limit {self.budget.total_pixels:,}, PAYREC_EXTRACTION_MAX_PIXELS)"
            )


def check_content_streams(data: bytes, budget: Budget) -> None:
    """Refuse a PDF whose page content streams inflate past the content budget, before pdfium
    parses them (a few MB of deflated content can expand to gigabytes). Files pypdf cannot read
    are left to pdfium, which runs under the process limits anyway."""
    limit = budget.content_mb * 1024 * 1024
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        total = 0
        for n, page in enumerate(reader.pages):
            if n >= budget.max_pages:
                break
            for stream in _content_streams(page.get(NameObject("/Contents"))):
                total += _inflated_size(stream, limit - total)
                if total > limit:
                    raise BudgetExceeded(
                        f"page content decompresses to more than {budget.content_mb} MB "
                        f"(PAYREC_EXTRACTION_MAX_CONTENT_MB)"
                    )
    except LimitReachedError as exc:
        raise BudgetExceeded(f"a PDF stream is too large to decompress ({exc})") from exc
    except (PdfReadError, ValueError, TypeError, KeyError, AttributeError, zlib.error,
            RecursionError):
        return


def _content_streams(obj: Any) -> list[StreamObject]:
    if isinstance(obj, IndirectObject):
        obj = obj.get_object()
    if isinstance(obj, StreamObject):
        return [obj]
    if isinstance(obj, ArrayObject):
        streams = [o.get_object() for o in obj]
        return [s for s in streams if isinstance(s, StreamObject)]
    return []


def _inflated_size(stream: StreamObject, room: int) -> int:
    """Decoded size of a content stream, counted only up to `room` + 1 bytes for Flate."""
    filters = stream.get("/Filter")
    if isinstance(filters, IndirectObject):
        filters = filters.get_object()
    names = [str(f) for f in filters] if isinstance(filters, ArrayObject) else (
        [str(filters)] if filters is not None else []
    )
    raw: bytes = stream._data  # the encoded bytes: pypdf has not decoded them
    if not names:
        return len(raw)
    if len(names) == 1 and names[0] in _FLATE:
        inflater = zlib.decompressobj()
        size = 0
        pending = raw
        while pending and size <= room:
            size += len(inflater.decompress(pending, _CHUNK))
            pending = inflater.unconsumed_tail
        return size
    return len(stream.get_data())  # other filters: pypdf's own output limits apply
