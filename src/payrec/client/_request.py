"""Request building shared by the sync and async clients (pure)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlsplit

from .. import __version__
from . import _json
from .errors import ApiError

__all__ = [
    "AUTOMATION_PREFIX",
    "NO_BODY",
    "USER_AGENT",
    "RequestSpec",
    "as_any",
    "as_bytes",
    "as_list",
    "as_object",
    "build_headers",
    "new_id",
    "normalize_base_url",
    "path_id",
    "query_params",
    "same_origin",
]

AUTOMATION_PREFIX = "/api/v1/automation"
USER_AGENT = f"payrec-client/{__version__}"


class _NoBody:
    def __repr__(self) -> str:
        return "NO_BODY"


NO_BODY: Any = _NoBody()

T = TypeVar("T")


def as_object(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ApiError(f"expected a JSON object, got {type(value).__name__}")
    return value


def as_list(value: Any) -> Any:
    if not isinstance(value, list):
        raise ApiError(f"expected a JSON array, got {type(value).__name__}")
    return value


def as_bytes(value: Any) -> Any:
    if not isinstance(value, bytes):
        raise ApiError(f"expected bytes, got {type(value).__name__}")
    return value


def as_any(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class RequestSpec(Generic[T]):
    """One logical call: what to send and how to read the answer (a ``T``).

    ``path`` is relative to the automation base URL unless ``absolute_url`` is set.
    ``unwrap`` names the key of the response object to return (e.g. ``"cases"``);
    ``raw`` returns the body bytes instead of decoded JSON. ``repeatable`` marks a POST whose
    repetition has no further effect (a heartbeat): it gets no generated ``Idempotency-Key``,
    so the backend stores no answer for it. ``expect`` checks the decoded answer's kind once
    the call has succeeded (default: a JSON object; a list where ``unwrap`` is set, the bytes
    where ``raw`` is); it raises :class:`ApiError` otherwise.
    """

    method: str
    path: str
    params: Mapping[str, str] | None = None
    body: Any = field(default=NO_BODY)
    idempotency_key: str | None = None
    unwrap: str | None = None
    raw: bool = False
    absolute_url: str | None = None
    repeatable: bool = False
    expect: Callable[[Any], Any] | None = None

    def check(self, value: Any) -> T:
        """The call's answer, once its kind is checked."""
        if self.expect is not None:
            checked: T = self.expect(value)
        elif self.raw:
            checked = as_bytes(value)
        elif self.unwrap is not None:
            checked = as_list(value)
        else:
            checked = as_object(value)
        return checked

    @property
    def has_body(self) -> bool:
        return self.body is not NO_BODY

    @property
    def needs_idempotency_key(self) -> bool:
        return self.method == "POST" and not self.repeatable


def new_id() -> str:
    return str(uuid.uuid4())


def normalize_base_url(base_url: str) -> str:
    """``http://host:8080`` -> ``http://host:8080/api/v1/automation`` (kept when present)."""
    url = base_url.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError("base_url must not carry a query or fragment")
    if url.endswith(AUTOMATION_PREFIX):
        return url
    if url.endswith("/api/v1"):
        return url + "/automation"
    return url + AUTOMATION_PREFIX


def same_origin(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def path_id(value: str) -> str:
    """An id as one path segment (``/`` and friends escaped: no path injection)."""
    if not isinstance(value, str) or not value:
        raise ValueError("ids must be non-empty strings")
    return quote(value, safe="")


def _param_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return _json.format_datetime(value)
    return str(value)


def query_params(**params: object) -> dict[str, str]:
    """Query parameters with the ``None`` ones left out."""
    return {key: _param_value(value) for key, value in params.items() if value is not None}


def build_headers(
    *,
    api_key: str,
    service_name: str,
    request_id: str,
    idempotency_key: str | None,
) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {api_key}",
        "X-Service-Name": service_name,
        "Content-Type": "application/json",
        "Accept": "application/json, application/problem+json",
        "X-Request-ID": request_id,
        "User-Agent": USER_AGENT,
    }
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    return headers
