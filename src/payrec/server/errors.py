"""The server's errors: subclasses of the one `DomainError` (status + kebab-case code).

`DomainError`, `Conflict` and `Invalid` live in `payrec.domain.errors` (the pure rules raise
them too) and are re-exported here for the server's modules.
"""

from __future__ import annotations

from payrec.domain.errors import Conflict, DomainError, IllegalTransition, Invalid

__all__ = [
    "Conflict",
    "DomainError",
    "Forbidden",
    "IllegalTransition",
    "Invalid",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "Unauthenticated",
    "Unavailable",
]


class NotFound(DomainError):
    status = 404
    code = "not-found"
    title = "Not found"

    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(f"{entity} {entity_id!r} does not exist", code="not-found")


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
