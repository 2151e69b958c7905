"""One logical call as a small state machine, free of I/O (sans-IO).

The sync and async clients only move bytes: they ask :class:`Call` for the next
:class:`httpx.Request`, hand it the response (or the transport error), and sleep when told to.
Retry classification, backoff, ``Retry-After``, idempotency keys, request ids, the circuit
breaker, error mapping, JSON decoding and logging all live here, once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import httpx

from . import _json, _retry
from ._request import RequestSpec, build_headers, new_id, normalize_base_url, same_origin
from .breaker import CircuitBreaker
from .config import env_max_retries, env_retry_delay
from .errors import (
    ApiConnectionError,
    ApiError,
    ApiStatusError,
    ApiTimeoutError,
    CircuitOpenError,
    error_for_status,
)

logger = logging.getLogger("payrec.client")

_REDACTED = "[REDACTED]"
_MAX_DETAIL = 500
MAX_IDEMPOTENCY_KEY = 255


@dataclass(frozen=True, slots=True)
class Done:
    value: Any


@dataclass(frozen=True, slots=True)
class Retry:
    delay: float


@dataclass(frozen=True, slots=True)
class Fail:
    error: ApiError


Step = Done | Retry | Fail


@dataclass(frozen=True, slots=True)
class ClientCore:
    """Immutable configuration shared by every call of one client."""

    base_url: str
    api_key: str
    service_name: str
    policy: _retry.RetryPolicy
    breaker: CircuitBreaker
    rand: Callable[[], float]
    now: Callable[[], datetime]

    def redact(self, text: str) -> str:
        if self.api_key:
            text = text.replace(self.api_key, _REDACTED)
        return text

    def start(self, spec: RequestSpec[Any]) -> Call:
        """Begin a logical call; raises :class:`CircuitOpenError` when the breaker says no."""
        call = Call(self, spec, new_id())  # validates the spec before taking a breaker slot
        if not self.breaker.allow():
            logger.debug(
                "%s %s rejected: circuit open (request id %s)",
                spec.method,
                spec.path or spec.absolute_url,
                call.request_id,
            )
            raise CircuitOpenError(
                f"circuit open: {spec.method} {spec.path or spec.absolute_url} not sent, "
                f"next trial in {self.breaker.retry_in():.1f}s",
                request_id=call.request_id,
            )
        return call


class Call:
    def __init__(self, core: ClientCore, spec: RequestSpec[Any], request_id: str) -> None:
        self._core = core
        self.spec = spec
        self.request_id = request_id
        self.idempotency_key: str | None = spec.idempotency_key
        if self.idempotency_key is not None:
            _check_idempotency_key(self.idempotency_key)
        elif spec.needs_idempotency_key:
            self.idempotency_key = new_id()
        self.attempt = 0  # 0-based attempt number of the request being sent
        self._started = 0.0  # time.perf_counter() when that request was built
        self._settled = False
        self._url = self._resolve_url()
        self._content = _json.dumps(spec.body).encode() if spec.has_body else None
        self._log_path = spec.path or self._url

    def _resolve_url(self) -> str:
        spec = self.spec
        if spec.absolute_url is None:
            return self._core.base_url + spec.path
        if spec.absolute_url.startswith("/") and not spec.absolute_url.startswith("//"):
            return urljoin(self._core.base_url, spec.absolute_url)  # a path on the backend
        if not same_origin(spec.absolute_url, self._core.base_url):
            # The Bearer key must never travel to another host.
            raise ValueError(
                "refusing to send credentials to a URL outside the API's origin: "
                f"{spec.absolute_url!r}"
            )
        return spec.absolute_url

    def build_request(self) -> httpx.Request:
        """The next attempt's request; its clock starts now."""
        headers = build_headers(
            api_key=self._core.api_key,
            service_name=self._core.service_name,
            request_id=self.request_id,
            idempotency_key=self.idempotency_key,
        )
        request = httpx.Request(
            self.spec.method,
            self._url,
            params=self.spec.params,
            headers=headers,
            content=self._content,
        )
        self._started = time.perf_counter()
        return request

    def _elapsed(self) -> float:
        return time.perf_counter() - self._started

    # outcomes of one attempt -------------------------------------------------------------

    def on_response(self, response: httpx.Response) -> Step:
        elapsed = self._elapsed()
        request_id = response.headers.get("x-request-id") or self.request_id
        if response.is_success:
            self._log_attempt(response.status_code, elapsed, logging.DEBUG)
            try:
                return Done(self._decode_success(response))
            except ValueError as exc:
                return Fail(
                    ApiError(
                        self._core.redact(
                            f"{self.spec.method} {self._log_path}: invalid JSON in "
                            f"{response.status_code} response: {exc}"
                        ),
                        request_id=request_id,
                    )
                )
        self._log_attempt(response.status_code, elapsed, logging.INFO)
        return self._after_error(self._status_error(response, request_id))

    def on_transport_error(self, exc: httpx.TransportError) -> Step:
        elapsed = self._elapsed()
        kind = ApiTimeoutError if isinstance(exc, httpx.TimeoutException) else ApiConnectionError
        if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
            error: ApiError = ApiError(self._describe_transport(exc), request_id=self.request_id)
            self._log_attempt(type(exc).__name__, elapsed, logging.INFO)
            return Fail(error)
        self._log_attempt(type(exc).__name__, elapsed, logging.INFO)
        return self._after_error(kind(self._describe_transport(exc), request_id=self.request_id))

    def _describe_transport(self, exc: Exception) -> str:
        text = str(exc) or type(exc).__name__
        return self._core.redact(
            f"{self.spec.method} {self._log_path} failed: {type(exc).__name__}: {text}"
        )

    def _after_error(self, error: ApiError) -> Step:
        delay = _retry.retry_delay(error, self.attempt, self._core.policy, self._core.rand)
        if delay is None:
            return Fail(error)
        logger.warning(
            "%s %s: attempt %d failed (%s); retry %d/%d in %.3fs (request id %s)",
            self.spec.method,
            self._log_path,
            self.attempt + 1,
            _short(error),
            self.attempt + 1,
            self._core.policy.max_retries,
            delay,
            self.request_id,
        )
        self.attempt += 1
        return Retry(delay)

    # the logical call's verdict ----------------------------------------------------------

    def finish(self, step: Done | Fail) -> Any:
        """Record the outcome with the breaker; return the value or raise the error."""
        self._settled = True
        if isinstance(step, Done):
            self._core.breaker.record_success()
            return step.value
        error = step.error
        if _retry.counts_as_failure(error):
            self._core.breaker.record_failure()
        elif isinstance(error, ApiStatusError):
            self._core.breaker.record_success()  # the backend is up and answering
        else:
            self._core.breaker.release()
        raise error

    def abandon(self) -> None:
        """The call ended some other way (cancelled, interrupted, bug): free the breaker."""
        if not self._settled:
            self._settled = True
            self._core.breaker.release()

    # helpers -----------------------------------------------------------------------------

    def _decode_success(self, response: httpx.Response) -> Any:
        if self.spec.raw:
            return response.content
        if not response.content:
            return [] if self.spec.unwrap else {}
        data = _json.loads(response.content)
        if self.spec.unwrap is not None:
            if not isinstance(data, dict):
                raise ValueError(f"expected a JSON object with {self.spec.unwrap!r}")
            items = data.get(self.spec.unwrap, [])
            if not isinstance(items, list):
                raise ValueError(f"{self.spec.unwrap!r} is not a list")
            return items
        return data

    def _status_error(self, response: httpx.Response, request_id: str) -> ApiStatusError:
        problem = _problem(response)
        title = problem.get("title") or response.reason_phrase or "HTTP error"
        detail = problem.get("detail")
        message = f"{self.spec.method} {self._log_path} -> {response.status_code} {title}"
        if detail and detail != title:
            message += f": {detail}"
        retry_after = _retry.parse_retry_after(
            response.headers.get("retry-after"), self._core.now()
        )
        return error_for_status(
            response.status_code,
            problem,
            request_id,
            self._core.redact(str(message))[: _MAX_DETAIL * 2],
            retry_after=retry_after,
        )

    def _log_attempt(self, status: int | str, elapsed: float, level: int) -> None:
        if logger.isEnabledFor(level):
            logger.log(
                level,
                "%s %s -> %s in %.1f ms (attempt %d, request id %s)",
                self.spec.method,
                self._log_path,
                status,
                elapsed * 1000.0,
                self.attempt + 1,
                self.request_id,
            )


def _check_idempotency_key(key: str) -> None:
    if not isinstance(key, str) or not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        raise ValueError(f"idempotency_key must be 1..{MAX_IDEMPOTENCY_KEY} characters")
    if not key.isprintable() or not key.isascii():
        raise ValueError("idempotency_key must be printable ASCII")


def _problem(response: httpx.Response) -> dict[str, Any]:
    if response.content:
        try:
            data = _json.loads(response.content)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return data
        text = response.text.strip()[:_MAX_DETAIL]
        return (
            {"status": response.status_code, "detail": text}
            if text
            else {"status": response.status_code}
        )
    return {"status": response.status_code}


def _short(error: ApiError) -> str:
    if isinstance(error, ApiStatusError):
        return f"HTTP {error.status_code}"
    return type(error).__name__


def _utcnow() -> datetime:
    return datetime.now(UTC)


def make_core(
    *,
    base_url: str,
    api_key: str,
    service_name: str,
    max_retries: int | None,
    retry_delay: float | None,
    max_backoff: float,
    max_retry_after: float,
    circuit_breaker: CircuitBreaker | None,
    rand: Callable[[], float],
    now: Callable[[], datetime] = _utcnow,
) -> ClientCore:
    """Validate a client's settings; ``None`` retry settings come from the environment."""
    if not isinstance(api_key, str) or not api_key.strip():
        raise ValueError("api_key must be a non-empty string (PAYREC_API_KEY)")
    if not service_name or any(ch in service_name for ch in "\r\n"):
        raise ValueError("service_name must be a non-empty single-line string")
    policy = _retry.RetryPolicy(
        max_retries=env_max_retries() if max_retries is None else max_retries,
        retry_delay=env_retry_delay() if retry_delay is None else retry_delay,
        max_backoff=max_backoff,
        max_retry_after=max_retry_after,
    )
    return ClientCore(
        base_url=normalize_base_url(base_url),
        api_key=api_key,
        service_name=service_name,
        policy=policy,
        breaker=circuit_breaker if circuit_breaker is not None else CircuitBreaker(),
        rand=rand,
        now=now,
    )
