"""Asynchronous twin of :class:`AutomationApiClient` (same methods, as coroutines)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Self, cast

import httpx

from . import _endpoints as ep
from ._call import Retry, as_bytes, as_list, as_object, make_core
from ._defaults import DEFAULT_LIMITS, DEFAULT_TIMEOUT, load_env, to_timeout
from ._request import RequestSpec
from ._retry import DEFAULT_MAX_BACKOFF, DEFAULT_MAX_RETRY_AFTER
from .breaker import CircuitBreaker
from .types import (
    CasePage,
    Document,
    HeartbeatsResult,
    Notification,
    Policy,
    RecoveryCase,
    Reminder,
    RenderedMessage,
    Task,
    TaskBatchResult,
    WebhookDelivery,
    WebhookDeliveryReports,
    WebhookDeliveryResult,
    WebhookDeliveryState,
)

__all__ = ["AsyncAutomationApiClient"]

JsonObject = dict[str, Any]


class AsyncAutomationApiClient:
    """Async client for the automation API (``/api/v1/automation``).

    One pooled keep-alive :class:`httpx.AsyncClient` per instance; use it as an async context
    manager or await :meth:`aclose`. Retry, idempotency and breaker rules are those of
    :class:`AutomationApiClient` (the decision logic is shared).

    ``max_retries``/``retry_delay`` of ``None`` are read from ``MAX_RETRIES``/``RETRY_DELAY``.
    ``transport``, ``sleep`` and ``rand`` are seams for tests.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int | None = None,
        retry_delay: float | None = None,
        circuit_breaker: CircuitBreaker | None = None,
        service_name: str = "python-automation",
        max_backoff: float = DEFAULT_MAX_BACKOFF,
        max_retry_after: float = DEFAULT_MAX_RETRY_AFTER,
        limits: httpx.Limits = DEFAULT_LIMITS,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._core = make_core(
            base_url=base_url,
            api_key=api_key,
            service_name=service_name,
            max_retries=max_retries,
            retry_delay=retry_delay,
            max_backoff=max_backoff,
            max_retry_after=max_retry_after,
            circuit_breaker=circuit_breaker,
            rand=rand,
        )
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            timeout=to_timeout(timeout),
            limits=limits,
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )

    @classmethod
    def from_env(
        cls,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        circuit_breaker: CircuitBreaker | None = None,
        service_name: str = "python-automation",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> Self:
        """Build a client from ``PAYREC_API_BASE_URL``, ``PAYREC_API_KEY`` (aliases
        ``JAVA_API_BASE_URL``/``JAVA_API_KEY``), ``MAX_RETRIES``, ``RETRY_DELAY``, ``LOG_LEVEL``."""
        env = load_env()
        return cls(
            env.base_url,
            env.api_key,
            timeout=timeout,
            max_retries=env.max_retries,
            retry_delay=env.retry_delay,
            circuit_breaker=circuit_breaker,
            service_name=service_name,
            transport=transport,
        )

    # lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self._core.base_url

    @property
    def circuit_breaker(self) -> CircuitBreaker:
        return self._core.breaker

    @property
    def max_retries(self) -> int:
        return self._core.policy.max_retries

    @property
    def retry_delay(self) -> float:
        return self._core.policy.retry_delay

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, "
            f"service_name={self._core.service_name!r})"
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # transport loop ----------------------------------------------------------------------

    async def _send(self, spec: RequestSpec) -> Any:
        call = self._core.start(spec)
        try:
            while True:
                request = call.build_request()
                started = time.perf_counter()
                try:
                    response = await self._http.send(request)
                except httpx.TransportError as exc:
                    step = call.on_transport_error(exc, time.perf_counter() - started)
                else:
                    step = call.on_response(response, time.perf_counter() - started)
                if isinstance(step, Retry):
                    await self._sleep(step.delay)
                    continue
                return call.finish(step)
        finally:
            call.abandon()

    # the guide's methods -----------------------------------------------------------------

    async def get_pending_recovery_cases(
        self,
        status: str | None = None,
        priority: str | None = None,
        limit: int = 100,
    ) -> list[RecoveryCase]:
        """Open recovery cases (customer embedded), the response's ``cases``."""
        return cast(
            "list[RecoveryCase]",
            as_list(await self._send(ep.get_pending_recovery_cases(status, priority, limit))),
        )

    async def update_recovery_case(self, case_id: str, updates: Mapping[str, Any]) -> RecoveryCase:
        return cast(
            "RecoveryCase", as_object(await self._send(ep.update_recovery_case(case_id, updates)))
        )

    async def get_scheduled_tasks(
        self,
        *,
        status: str | None = None,
        type: str | None = None,
        due_before: datetime | str | None = None,
        page: int | None = None,
        size: int | None = None,
    ) -> list[Task]:
        """Due tasks, the response's ``tasks``."""
        spec = ep.get_scheduled_tasks(
            status=status, type=type, due_before=due_before, page=page, size=size
        )
        return cast("list[Task]", as_list(await self._send(spec)))

    async def create_scheduled_task(
        self, task_data: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Task:
        return cast(
            "Task",
            as_object(await self._send(ep.create_scheduled_task(task_data, idempotency_key))),
        )

    async def create_scheduled_tasks(
        self, tasks: Sequence[Mapping[str, Any]], *, idempotency_key: str | None = None
    ) -> TaskBatchResult:
        """Create several tasks at once (``POST /tasks/batch``, all or none): answers
        ``{"tasks": [...], "created": [...]}`` in order; a ``dedupeKey`` that already had a
        task answers that task with ``created`` false."""
        return cast(
            "TaskBatchResult",
            as_object(await self._send(ep.create_scheduled_tasks(tasks, idempotency_key))),
        )

    async def prepare_task_letter(self, task_id: str) -> Task:
        """Have the backend make an open LETTER task's formal reminder letter (once): the
        task with ``metadata.letterDocumentId`` (or ``letterError`` saying why there is none)."""
        return cast("Task", as_object(await self._send(ep.prepare_task_letter(task_id))))

    async def update_task_status(
        self,
        task_id: str,
        status: str,
        result: Mapping[str, Any] | None = None,
        *,
        lease_token: str | None = None,
        retry_at: datetime | str | None = None,
        error: str | None = None,
    ) -> Task:
        """Report a task's status; a leased task needs its ``lease_token``. ``PENDING`` with
        ``retry_at`` hands a task back for a later attempt."""
        spec = ep.update_task_status(task_id, status, result, lease_token, retry_at, error)
        return cast("Task", as_object(await self._send(spec)))

    async def get_pending_documents(
        self, doc_type: str | None = None, limit: int = 50
    ) -> list[Document]:
        """Documents pending extraction, the response's ``documents``."""
        return cast(
            "list[Document]", as_list(await self._send(ep.get_pending_documents(doc_type, limit)))
        )

    async def submit_extraction(
        self,
        document_id: str,
        extraction_data: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> JsonObject:
        spec = ep.submit_extraction(document_id, extraction_data, idempotency_key)
        return as_object(await self._send(spec))

    async def create_reminder(
        self, reminder_data: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Reminder:
        return cast(
            "Reminder",
            as_object(await self._send(ep.create_reminder(reminder_data, idempotency_key))),
        )

    async def record_reminder_sent(
        self, reminder_id: str, sent_data: Mapping[str, Any]
    ) -> Reminder:
        return cast(
            "Reminder", as_object(await self._send(ep.record_reminder_sent(reminder_id, sent_data)))
        )

    async def create_notification(
        self, notification_data: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Notification:
        return cast(
            "Notification",
            as_object(await self._send(ep.create_notification(notification_data, idempotency_key))),
        )

    async def update_notification_status(
        self,
        notification_id: str,
        status: str,
        sent_at: datetime | str | None = None,
        external_id: str | None = None,
        error: str | None = None,
        *,
        lease_token: str | None = None,
        retry_at: datetime | str | None = None,
    ) -> Notification:
        spec = ep.update_notification_status(
            notification_id, status, sent_at, external_id, error, lease_token, retry_at
        )
        return cast("Notification", as_object(await self._send(spec)))

    # additions of the backend ------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
    ) -> Any:
        """Call any automation endpoint (path relative to ``/api/v1/automation``) with the same
        retries, breaker, idempotency keys (POST) and error mapping as the named methods."""
        return await self._send(ep.generic(method, path, params, json, idempotency_key))

    async def get_pending_recovery_cases_page(
        self,
        *,
        status: str | None = None,
        priority: str | None = None,
        limit: int = 100,
        include: Sequence[str] | None = None,
        cursor: str | None = None,
    ) -> CasePage:
        """One page of open cases with its ``nextCursor`` (None on the last page);
        ``include=["schedule"]`` embeds each case's step keys, open tasks and contacts."""
        spec = ep.get_pending_recovery_cases_page(status, priority, limit, include, cursor)
        return cast("CasePage", as_object(await self._send(spec)))

    async def get_policy(self, policy_id: str) -> Policy:
        """A dunning policy (``GET /policies/{id}``), as ``policy_from_dict`` reads it."""
        return cast("Policy", as_object(await self._send(ep.get_policy(policy_id))))

    async def render_for_case(
        self, case_id: str, template_id: str, channel: str
    ) -> RenderedMessage:
        """A template rendered for the case's customer (subject, text, html), ready to send."""
        spec = ep.render_for_case(case_id, template_id, channel)
        return cast("RenderedMessage", as_object(await self._send(spec)))

    async def get_recovery_case(self, case_id: str) -> RecoveryCase:
        return cast("RecoveryCase", as_object(await self._send(ep.get_recovery_case(case_id))))

    async def get_task(self, task_id: str) -> Task:
        return cast("Task", as_object(await self._send(ep.get_task(task_id))))

    async def claim_tasks(
        self,
        worker_id: str,
        *,
        types: Sequence[str] | None = None,
        limit: int = 10,
        lease_seconds: int = 60,
        idempotency_key: str | None = None,
        include: Sequence[str] | None = None,
    ) -> list[Task]:
        """Atomically lease due ``PENDING`` tasks; each returned task has a ``leaseToken``.

        ``include=["recoveryCase"]`` embeds each task's case (as ``recoveryCase``).
        """
        spec = ep.claim_tasks(worker_id, types, limit, lease_seconds, idempotency_key, include)
        return cast("list[Task]", as_list(await self._send(spec)))

    async def heartbeat(
        self,
        task_id: str,
        lease_token: str,
        *,
        lease_seconds: int | None = None,
        idempotency_key: str | None = None,
    ) -> Task:
        spec = ep.heartbeat(task_id, lease_token, lease_seconds, idempotency_key)
        return cast("Task", as_object(await self._send(spec)))

    async def heartbeat_tasks(
        self, leases: Mapping[str, str], *, lease_seconds: int | None = None
    ) -> HeartbeatsResult:
        """Extend several leases at once (``POST /tasks/heartbeat``, ``task id → lease token``):
        answers ``{"renewed": [{id, leaseExpiresAt}], "lost": [{id, reason}]}``."""
        return cast(
            "HeartbeatsResult",
            as_object(await self._send(ep.heartbeat_tasks(leases, lease_seconds))),
        )

    async def get_reminder(self, reminder_id: str) -> Reminder:
        return cast("Reminder", as_object(await self._send(ep.get_reminder(reminder_id))))

    async def download_document(self, document_id: str) -> bytes:
        """The document's bytes, by id or by its ``downloadUrl`` (which must point at the
        backend: the API key is never sent to another origin)."""
        return as_bytes(await self._send(ep.download_document(document_id)))

    async def claim_notifications(
        self,
        worker_id: str,
        *,
        limit: int = 10,
        lease_seconds: int = 60,
        idempotency_key: str | None = None,
    ) -> list[Notification]:
        spec = ep.claim_notifications(worker_id, limit, lease_seconds, idempotency_key)
        return cast("list[Notification]", as_list(await self._send(spec)))

    async def get_notification(self, notification_id: str) -> Notification:
        return cast(
            "Notification", as_object(await self._send(ep.get_notification(notification_id)))
        )

    async def claim_webhook_deliveries(
        self,
        worker_id: str,
        *,
        limit: int = 10,
        lease_seconds: int = 60,
        idempotency_key: str | None = None,
    ) -> list[WebhookDelivery]:
        """Lease due outbound webhook deliveries (at most one per case and endpoint)."""
        spec = ep.claim_webhook_deliveries(worker_id, limit, lease_seconds, idempotency_key)
        return cast("list[WebhookDelivery]", as_list(await self._send(spec)))

    async def report_webhook_delivery(
        self,
        delivery_id: str,
        lease_token: str,
        *,
        succeeded: bool,
        status_code: int | None = None,
        latency_ms: int | None = None,
        error: str | None = None,
        permanent: bool = False,
    ) -> WebhookDeliveryState:
        """Record one attempt: succeeded, retried later with backoff, or failed for good."""
        spec = ep.report_webhook_delivery(
            delivery_id, lease_token, succeeded, status_code, latency_ms, error, permanent
        )
        return cast("WebhookDeliveryState", as_object(await self._send(spec)))

    async def report_webhook_deliveries(
        self, results: Sequence[WebhookDeliveryResult]
    ) -> WebhookDeliveryReports:
        """Record several attempts in one request (``POST /webhook-deliveries/results``):
        answers ``{"recorded": [{id, status}], "stale": [{id, reason}]}``."""
        spec = ep.report_webhook_deliveries(results)
        return cast("WebhookDeliveryReports", as_object(await self._send(spec)))
