"""Template-free invoice field extraction (e-invoice XML, PDF text layer, OCR)."""

from .api import extract_document
from .result import ExtractionError, ExtractionResult, LineItem
from .templates import Template, load_templates

__all__ = [
    "ExtractionError",
    "ExtractionResult",
    "LineItem",
    "Template",
    "extract_document",
    "load_templates",
]
