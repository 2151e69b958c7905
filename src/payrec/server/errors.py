"""Domain errors: each carries its HTTP status and a stable machine-readable code."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status: int = 400
    code: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        *,
        code: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}


class NotFound(DomainError):
    status = 404
    code = "not-found"
    title = "Not found"

    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(f"{entity} {entity_id!r} does not exist", code="not-found")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class Invalid(DomainError):
    """Semantically invalid input (422), optionally naming the field."""

    status = 422
    code = "validation-error"
    title = "Validation failed"

    def __init__(self, detail: str, *, field: str | None = None, code: str | None = None) -> None:
        errors = [{"field": field, "message": detail}] if field else None
        super().__init__(detail, code=code or "validation-error", errors=errors)


class Unauthenticated(DomainError):
    status = 401
    code = "unauthenticated"
    title = "Unauthorized"

    def __init__(self, detail: str = "missing or invalid credentials") -> None:
        super().__init__(
            detail,
            headers={"WWW-Authenticate": 'Bearer realm="payrec", error="invalid_token"'},
        )


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload-too-large"
    title = "Payload too large"


class RateLimited(DomainError):
    status = 429
    code = "rate-limited"
    title = "Too many requests"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"
    title = "Service unavailable"
