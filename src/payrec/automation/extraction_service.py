"""Extraction worker: reads pending documents and reports what they say."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from payrec.client import ApiError, AutomationApiClient, Document, UnprocessableEntityError
from payrec.extraction import Budget, ExtractionError, extract_isolated

logger = logging.getLogger("payrec.worker.extraction")


class ExtractionService:
    """Each document is extracted in a child process within the budget (PAYREC_EXTRACTION_*):
    one over budget, or that kills its process, is reported FAILED once with the reason."""

    def __init__(
        self, client: AutomationApiClient, *, batch: int = 10, budget: Budget | None = None
    ) -> None:
        self.api = client
        self.batch = batch
        self.budget = budget or Budget.from_env()

    def step(self) -> int:
        documents = self.api.get_pending_documents(limit=self.batch)
        for document in documents:
            try:
                self.process(document)
            except ApiError as exc:
                logger.warning(
                    "document %s: backend error %s", document.get("id"), type(exc).__name__
                )
        return len(documents)

    def process(self, document: Document) -> None:
        document_id = str(document["id"])
        meta = document.get("metadata") or {}
        payload: dict[str, Any]
        try:
            data = self.api.download_document(document_id)
            result = extract_isolated(
                data,
                filename=document.get("fileName"),
                mime_type=meta.get("mimeType"),
                budget=self.budget,
            )
            payload = {
                "extractionType": document.get("type") or "INVOICE",
                "extractedData": result.to_json_dict(),
                "confidence": Decimal(str(result.confidence)).quantize(Decimal("0.0001")),
                "extractedAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "method": result.method,
            }
        except ExtractionError as exc:
            logger.warning("document %s: extraction failed: %s", document_id, exc.reason)
            payload = {
                "extractionType": document.get("type") or "INVOICE",
                "extractedData": {},
                "confidence": 0,
                "status": "FAILED",
                "error": str(getattr(exc, "reason", exc)) or "unreadable document",
            }
        try:
            self.api.submit_extraction(
                document_id, payload, idempotency_key=f"extraction:{document_id}"
            )
        except UnprocessableEntityError as exc:
            problem = exc.problem if isinstance(exc.problem, dict) else {}
            if str(problem.get("type", "")).endswith("idempotency-key-reused"):
                return  # another worker reported this document first
            raise
