"""RFC 9457 problem+json for every error, including framework and database ones."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from payrec.server.errors import DomainError
from payrec.server.jsonio import dumps

logger = logging.getLogger("payrec.server")
PROBLEM_BASE = "https://payrec.dev/problems/"

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem_response(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (code or str(status)),
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return Response(
        dumps(body), status_code=status, headers=headers, media_type="application/problem+json"
    )


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "body"


def _validation_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = exc.errors()
    if any(err.get("type") == "json_invalid" for err in raw):
        return problem_response(400, "request body is not valid JSON", code="malformed-json")
    errors = [
        {"field": _field_path(tuple(err.get("loc", ()))), "message": str(err.get("msg", ""))}
        for err in raw
    ]
    return problem_response(
        422, "request failed validation", code="validation-error", errors=errors
    )


def _domain_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return problem_response(
        exc.status,
        exc.detail,
        code=exc.code,
        title=exc.title,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


def _http_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
    return problem_response(
        exc.status_code,
        detail,
        code=getattr(exc, "code", None) or ("validation-error" if exc.status_code == 422 else None),
        errors=getattr(exc, "errors", None),
        headers=dict(exc.headers or {}),
    )


def _stale_handler(_request: Request, _exc: Exception) -> Response:
    return problem_response(
        409, "the record changed while this request ran; retry it", code="concurrent-update"
    )


_ROLLED_BACK = ("40001", "40P01")  # SQLSTATE serialization_failure, deadlock_detected


def _database_handler(_request: Request, exc: Exception) -> Response:
    if isinstance(exc, DataError):
        # a value the database cannot hold (out of range, NUL in text…): bad input, not a 500
        logger.warning("database refused a value: %s", type(exc.orig).__name__)
        return problem_response(
            422, "a value in the request cannot be stored", code="validation-error"
        )
    if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _ROLLED_BACK:
        # A deadlock or serialization failure: the database undid this transaction so that a
        # concurrent one could go on. Nothing was written; the same request again succeeds.
        logger.warning("transaction undone by the database: %s", type(exc.orig).__name__)
        return problem_response(
            503,
            "the request conflicted with a concurrent one and was undone; retry it",
            code="concurrent-conflict",
            headers={"Retry-After": "1"},
        )
    if isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        logger.warning(
            "database unavailable: %s",
            type(exc.orig).__name__ if isinstance(exc, DBAPIError) else exc,
        )
        return problem_response(
            503,
            "the database is unavailable; retry shortly",
            code="database-unavailable",
            headers={"Retry-After": "2"},
        )
    logger.error("database error: %s", type(exc).__name__, exc_info=exc)
    return problem_response(500, "internal error", code="internal")


def _disconnect_handler(_request: Request, _exc: Exception) -> Response:
    """The client went away mid-request (nothing was written): nobody reads this answer."""
    logger.info("client disconnected before its request was read")
    return problem_response(400, "the client closed the connection", code="client-closed")


def _unexpected_handler(_request: Request, exc: Exception) -> Response:
    # called outside the `except` block: pass the exception for its traceback
    logger.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
    return problem_response(500, "internal error", code="internal")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(DomainError, _domain_handler)
    app.add_exception_handler(HTTPException, _http_handler)
    app.add_exception_handler(StaleDataError, _stale_handler)
    app.add_exception_handler(DBAPIError, _database_handler)
    app.add_exception_handler(ClientDisconnect, _disconnect_handler)
    app.add_exception_handler(Exception, _unexpected_handler)
