"""Who performed a change, carried into every audit entry and note."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    name: str
    subject: str | None = None
    service_name: str | None = None
    request_id: str | None = None


SYSTEM = Actor(name="system", service_name="payrec-backend")
