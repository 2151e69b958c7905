"""Routers that parse JSON exactly and document their problem+json errors, in one place."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from payrec.server.jsonio import ExactJSONRoute


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details, as every error of this API is answered."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


_PROBLEM_CONTENT = {
    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
}


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": _PROBLEM_CONTENT}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("Malformed request (e.g. invalid JSON)"),
    401: _problem("Missing, invalid, expired or revoked credentials"),
    403: _problem("Valid credentials without the role this endpoint needs"),
    404: _problem("Unknown id"),
    409: _problem("Illegal state transition, stale lease, or a request still in flight"),
    413: _problem("Payload too large"),
    422: _problem("Invalid fields (`errors` names each one)"),
    429: _problem("Rate limit exceeded (see `Retry-After`)"),
    500: _problem("Unexpected server error"),
    503: _problem("Database unavailable (see `Retry-After`)"),
}


def api_router(*, prefix: str = "", tags: list[str] | None = None) -> APIRouter:
    """A resource router: Decimal-exact JSON bodies and the shared error responses."""
    return APIRouter(
        prefix=prefix,
        tags=list(tags or []),
        route_class=ExactJSONRoute,
        responses=PROBLEM_RESPONSES,
    )
