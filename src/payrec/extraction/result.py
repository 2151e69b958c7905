"""Extraction result and error types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

Method = Literal["einvoice", "text", "ocr"]

FIELD_NAMES = (
    "invoiceNumber", "issueDate", "dueDate", "amount", "amountDue", "currency",
    "issuerName", "customerName", "customerEmail", "customerPhone", "customerAddress",
    "customerVatId", "customerLanguage", "documentType", "lineItems",
)
# Fields whose confidence makes up the overall confidence (weights).
KEY_WEIGHTS: dict[str, float] = {
    "invoiceNumber": 1.0, "amount": 1.5, "currency": 0.5, "issueDate": 1.0,
    "dueDate": 0.5, "issuerName": 0.75, "customerName": 0.5,
}


class ExtractionError(Exception):
    """The input cannot be read (corrupt, empty, unsupported type...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True)
class LineItem:
    description: str
    amount: Decimal
    quantity: Decimal | None = None
    unit_price: Decimal | None = None

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]) -> LineItem:
        return cls(
            description=str(data["description"]), amount=Decimal(str(data["amount"])),
            quantity=_decimal(data.get("quantity")), unit_price=_decimal(data.get("unitPrice")),
        )

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "quantity": _json(self.quantity),
            "unitPrice": _json(self.unit_price),
            "amount": _json(self.amount),
        }


@dataclass(slots=True)
class ExtractionResult:
    fields: dict[str, Any] = field(default_factory=dict)
    field_confidence: dict[str, float] = field(default_factory=dict)
    confidence: float = 0.0
    method: Method = "text"
    pages: int = 0
    warnings: list[str] = field(default_factory=list)

    def set(self, name: str, value: Any, confidence: float) -> None:
        if value is None or value == "" or value == []:
            return
        self.fields[name] = value
        self.field_confidence[name] = round(max(0.0, min(1.0, confidence)), 3)

    def mark_document_type(self, credit_note: bool, confidence: float) -> None:
        """The document's type; a credit note's total and amount due are negative (money owed
        to the customer), whether printed "-100,00" or, as EN 16931 states them, "100,00"."""
        self.set("documentType", "CREDIT_NOTE" if credit_note else "INVOICE", confidence)
        if not credit_note:
            return
        for key in ("amount", "amountDue"):
            value = self.fields.get(key)
            if isinstance(value, Decimal) and value > 0:
                self.fields[key] = -value

    def drop(self, name: str) -> None:
        self.fields.pop(name, None)
        self.field_confidence.pop(name, None)

    def compute_overall(self) -> float:
        total = sum(KEY_WEIGHTS.values())
        got = sum(w * self.field_confidence.get(k, 0.0) for k, w in KEY_WEIGHTS.items())
        self.confidence = round(got / total, 3)
        return self.confidence

    def to_json_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in FIELD_NAMES:
            if name not in self.fields:
                continue
            value = self.fields[name]
            if name == "lineItems":
                out[name] = [item.to_json_dict() for item in value]
            else:
                out[name] = _json(value)
        out["confidence"] = self.confidence
        out["fieldConfidence"] = dict(self.field_confidence)
        out["method"] = self.method
        return out


    def to_wire(self) -> dict[str, Any]:
        """Everything needed to rebuild the result in another process (JSON types only)."""
        return {"result": self.to_json_dict(), "pages": self.pages, "warnings": self.warnings}

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> ExtractionResult:
        data = wire["result"]
        result = cls(
            confidence=float(data["confidence"]), method=data["method"],
            pages=int(wire["pages"]), warnings=[str(w) for w in wire["warnings"]],
            field_confidence={str(k): float(v) for k, v in data["fieldConfidence"].items()},
        )
        for name in FIELD_NAMES:
            if name not in data:
                continue
            value = data[name]
            if name == "lineItems":
                value = [LineItem.from_json_dict(item) for item in value]
            elif name in _DECIMAL_FIELDS:
                value = Decimal(str(value))
            elif name in _DATE_FIELDS:
                value = date.fromisoformat(value)
            result.fields[name] = value
        return result


_DECIMAL_FIELDS = {"amount", "amountDue"}
_DATE_FIELDS = {"issueDate", "dueDate"}


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
