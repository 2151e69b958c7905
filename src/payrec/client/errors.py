"""Exceptions raised by :mod:`payrec.client`.

Every error carries the ``request_id`` of the logical call that failed (the ``X-Request-ID``
the client sent, or the one the backend answered with), so a failure in a worker's log can be
matched with the backend's log line. Messages never contain the API key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "ApiStatusError",
    "ApiTimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CircuitOpenError",
    "ConflictError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "UnprocessableEntityError",
    "error_for_status",
]

IDEMPOTENCY_IN_FLIGHT_SUFFIX = "/idempotency-in-flight"


class ApiError(Exception):
    """Base class of every error raised by the automation API client."""

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request_id = request_id

    def __str__(self) -> str:
        if self.request_id:
            return f"{self.message} (request id {self.request_id})"
        return self.message


class ApiStatusError(ApiError):
    """The backend answered with a non-2xx status.

    ``problem`` is the decoded RFC 9457 problem document (``type``, ``title``, ``status``,
    ``detail``, ``errors``); when the body was not JSON it holds ``status`` and ``detail``.
    """

    def __init__(
        self,
        status_code: int,
        problem: Mapping[str, Any],
        request_id: str | None,
        message: str,
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.status_code = status_code
        self.problem: dict[str, Any] = dict(problem)
        self.retry_after = retry_after

    @property
    def problem_type(self) -> str | None:
        value = self.problem.get("type")
        return value if isinstance(value, str) else None

    @property
    def code(self) -> str | None:
        """Stable machine-readable reason: the problem's ``code`` or the last segment of its
        ``type`` URI (``.../problems/stale-lease`` -> ``stale-lease``)."""
        value = self.problem.get("code")
        if isinstance(value, str) and value:
            return value
        problem_type = self.problem_type
        if problem_type and problem_type != "about:blank":
            return problem_type.rstrip("/").rsplit("/", 1)[-1] or None
        return None

    @property
    def detail(self) -> str | None:
        value = self.problem.get("detail")
        return value if isinstance(value, str) else None

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The ``errors: [{field, message}]`` list of a validation problem (may be empty)."""
        value = self.problem.get("errors")
        if isinstance(value, list):
            return [item for item in value if isinstance(item, dict)]
        return []


class BadRequestError(ApiStatusError):
    """400: malformed request (e.g. invalid JSON)."""


class AuthenticationError(ApiStatusError):
    """401: missing, invalid, expired or revoked credentials."""


class PermissionDeniedError(ApiStatusError):
    """403: valid credentials without the required role."""


class NotFoundError(ApiStatusError):
    """404: unknown id."""


class ConflictError(ApiStatusError):
    """409: illegal state transition, stale lease, or an idempotency key still in flight."""

    @property
    def is_idempotency_in_flight(self) -> bool:
        """The same Idempotency-Key is still being processed: retrying later is safe."""
        problem_type = self.problem_type
        if problem_type is not None and problem_type.endswith(IDEMPOTENCY_IN_FLIGHT_SUFFIX):
            return True
        return self.problem.get("code") == IDEMPOTENCY_IN_FLIGHT_SUFFIX.lstrip("/")


class PayloadTooLargeError(ApiStatusError):
    """413: request body too large."""


class UnprocessableEntityError(ApiStatusError):
    """422: invalid fields (see :attr:`ApiStatusError.errors`), or an idempotency key reused
    with another body."""


class RateLimitError(ApiStatusError):
    """429: per-caller rate limit exceeded (``retry_after`` holds the advised wait)."""


class ServerError(ApiStatusError):
    """5xx: the backend failed."""


class ApiConnectionError(ApiError):
    """The request did not get an HTTP answer: connection refused/reset/dropped."""


class ApiTimeoutError(ApiConnectionError):
    """Connecting, writing or reading timed out."""


class CircuitOpenError(ApiError):
    """The circuit breaker is open: the call was rejected without touching the network."""


_STATUS_CLASSES: dict[int, type[ApiStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def error_for_status(
    status_code: int,
    problem: Mapping[str, Any],
    request_id: str | None,
    message: str,
    *,
    retry_after: float | None = None,
) -> ApiStatusError:
    """Build the :class:`ApiStatusError` subclass matching ``status_code``."""
    cls = _STATUS_CLASSES.get(status_code)
    if cls is None:
        cls = ServerError if status_code >= 500 else ApiStatusError
    return cls(status_code, problem, request_id, message, retry_after=retry_after)
