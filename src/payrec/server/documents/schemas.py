"""Document wire shapes (the guide's `documents` JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from payrec.server.types import OutModel

DocumentType = Literal["INVOICE", "PAYMENT", "STATEMENT"]
DocumentStatus = Literal["PENDING_EXTRACTION", "EXTRACTED", "NEEDS_REVIEW", "FAILED", "REJECTED"]


class DocumentOut(OutModel):
    id: str
    type: str
    file_name: str
    uploaded_at: datetime
    download_url: str
    status: str
    failure_reason: str | None = None
    size: int
    sha256: str
    metadata: dict[str, Any]


class DocumentList(OutModel):
    documents: list[DocumentOut]
    total: int
    next_cursor: str | None = None
