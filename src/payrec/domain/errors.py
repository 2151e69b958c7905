"""The one error hierarchy: every refused operation raises a `DomainError`, which carries the
HTTP status it maps to and a stable kebab-case code (the problem type's last segment).

The pure rules raise the subclasses defined beside them (`InvalidMoney`, `PolicyError`,
`IllegalTransition`, ...); the server adds its own (`payrec.server.errors`: not found,
unauthenticated, rate limited, ...). `server/middleware/problems.py` answers every one of them
as problem+json with one handler.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Conflict", "DomainError", "IllegalTransition", "Invalid"]


class DomainError(Exception):
    """A refused operation: `status` (HTTP), `code` (stable, kebab-case), `title`, `detail`;
    `errors` names fields, `headers` and `extra` go into the answer as they are."""

    status: int = 400
    code: str = "bad-request"
    title: str = "Bad request"

    def __init_subclass__(
        cls,
        *,
        status: int | None = None,
        code: str | None = None,
        title: str | None = None,
        **kwargs: Any,
    ) -> None:
        """`class Gone(DomainError, status=410, code="gone", title="Gone")`: a subclass names
        its answer in its header; what it leaves out it inherits."""
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status = status
        if code is not None:
            cls.code = code
        if title is not None:
            cls.title = title

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


class Conflict(DomainError, status=409, code="conflict", title="Conflict"):
    """The operation clashes with the current state of the data (409)."""


class Invalid(DomainError, status=422, code="validation-error", title="Validation failed"):
    """Semantically invalid input (422), optionally naming the field."""

    def __init__(self, detail: str, *, field: str | None = None, code: str | None = None) -> None:
        errors = [{"field": field, "message": detail}] if field else None
        super().__init__(detail, code=code or type(self).code, errors=errors)


class IllegalTransition(Conflict, code="illegal-transition"):
    """A state change the machine does not allow (409)."""

    def __init__(self, machine: str, from_state: str, to_state: str) -> None:
        self.machine = machine
        self.from_state = from_state
        self.to_state = to_state
        super().__init__(f"illegal {machine} transition {from_state} -> {to_state}")
