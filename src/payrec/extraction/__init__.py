"""Template-free invoice field extraction (e-invoice XML, PDF text layer, OCR)."""

from .api import extract_document
from .budget import Budget, BudgetExceeded
from .result import ExtractionError, ExtractionResult, LineItem
from .sandbox import extract_isolated
from .templates import Template, load_templates

__all__ = [
    "Budget",
    "BudgetExceeded",
    "ExtractionError",
    "ExtractionResult",
    "LineItem",
    "Template",
    "extract_document",
    "extract_isolated",
    "load_templates",
]
