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


class NotFound(DomainError, status=404, code="not-found", title="Not found"):
    """The addressed row does not exist (404)."""

    def __init__(self, entity: str, entity_id: str) -> None:
        super().__init__(f"{entity} {entity_id!r} does not exist", code="not-found")


class Unauthenticated(DomainError, status=401, code="unauthenticated", title="Unauthorized"):
    """No credential, or one that is not valid (401)."""

    def __init__(self, detail: str = "missing or invalid credentials") -> None:
        super().__init__(
            detail,
            headers={"WWW-Authenticate": 'Bearer realm="payrec", error="invalid_token"'},
        )


class Forbidden(DomainError, status=403, code="forbidden", title="Forbidden"):
    """The caller's role may not do this (403)."""


class PayloadTooLarge(DomainError, status=413, code="payload-too-large", title="Payload too large"):
    """The body is over the configured size (413)."""


class RateLimited(DomainError, status=429, code="rate-limited", title="Too many requests"):
    """Over a rate limit; retry after the time it names (429)."""


class Unavailable(DomainError, status=503, code="unavailable", title="Service unavailable"):
    """A dependency is down for now (503)."""
