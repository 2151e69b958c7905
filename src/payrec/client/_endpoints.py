"""The automation API's endpoints, each defined once, for both clients.

Each method of :class:`Endpoints` has the public signature and says which request it sends
(:class:`RequestSpec`); ``@endpoint`` turns it into a method of the client that inherits it:
on :class:`AutomationApiClient` it sends the request and returns the answer, on
:class:`AsyncAutomationApiClient` it is a coroutine doing the same. So names, parameters,
paths, query parameters, bodies and answer types are written once, and the two clients differ
only in how they move bytes (``SyncSender._send`` / ``AsyncSender._send``).
"""

from __future__ import annotations

import functools
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Coroutine, Mapping, Sequence
from datetime import datetime
from types import MethodType
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from ._request import NO_BODY, RequestSpec, as_any, path_id, query_params
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

__all__ = ["AsyncSender", "Endpoints", "SyncSender", "endpoint"]

JsonObject = dict[str, Any]
P = ParamSpec("P")
T = TypeVar("T")
Build = Callable[..., RequestSpec[Any]]


class SyncSender(ABC):
    """A client that sends a request and waits for its answer."""

    @abstractmethod
    def _send(self, spec: RequestSpec[T]) -> T: ...

    @staticmethod
    def _method_for(build: Build) -> Callable[..., Any]:
        def method(self: SyncSender, *args: Any, **kwargs: Any) -> Any:
            return self._send(build(self, *args, **kwargs))

        return method


class AsyncSender(ABC):
    """A client whose calls are coroutines."""

    @abstractmethod
    async def _send(self, spec: RequestSpec[T]) -> T: ...

    @staticmethod
    def _method_for(build: Build) -> Callable[..., Any]:
        async def method(self: AsyncSender, *args: Any, **kwargs: Any) -> Any:
            return await self._send(build(self, *args, **kwargs))

        return method


class endpoint(Generic[P, T]):  # a decorator, named like ``property``
    """Make a request-building method a calling one, of the sync or the async client."""

    def __init__(self, build: Callable[Concatenate[Any, P], RequestSpec[T]]) -> None:
        self._build = build
        self._name = build.__name__
        self._methods: dict[type, Callable[..., Any]] = {}
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type) -> Callable[..., Any]: ...

    @overload
    def __get__(self, obj: SyncSender, owner: type) -> Callable[P, T]: ...

    @overload
    def __get__(self, obj: AsyncSender, owner: type) -> Callable[P, Coroutine[Any, Any, T]]: ...

    def __get__(self, obj: object, owner: type) -> Callable[..., Any]:
        method = self._methods.get(owner)
        if method is None:
            method = self._methods[owner] = self._method(owner)
        return method if obj is None else MethodType(method, obj)

    def _method(self, owner: type) -> Callable[..., Any]:
        if not issubclass(owner, SyncSender | AsyncSender):
            raise TypeError(f"{owner.__name__} sends no requests")
        method = owner._method_for(self._build)
        functools.update_wrapper(method, self._build)
        method.__qualname__ = f"{owner.__qualname__}.{self._name}"
        method.__signature__ = _answer_signature(self._build)  # type: ignore[attr-defined]
        return method


def _answer_signature(build: Build) -> inspect.Signature:
    """The builder's signature, returning the answer (``T``) instead of its request."""
    signature = inspect.signature(build)
    answer = signature.return_annotation  # a string: annotations are postponed here
    if isinstance(answer, str) and answer.startswith("RequestSpec[") and answer.endswith("]"):
        answer = answer[len("RequestSpec[") : -1]
    return signature.replace(return_annotation=answer)


def _present(**fields: object) -> JsonObject:
    """The fields that are set (the ``None`` ones left out), in order."""
    return {key: value for key, value in fields.items() if value is not None}


def _claim(
    path: str,
    unwrap: str,
    worker_id: str,
    limit: int,
    lease_seconds: int,
    idempotency_key: str | None,
    **extra: object,
) -> RequestSpec[Any]:
    """Lease up to ``limit`` due items for ``worker_id`` (``POST .../claim``)."""
    payload: JsonObject = {"workerId": worker_id, "limit": limit, "leaseSeconds": lease_seconds}
    payload.update(_present(**extra))
    return RequestSpec("POST", path, body=payload, idempotency_key=idempotency_key, unwrap=unwrap)


class Endpoints:
    """The guide's methods and the backend's additions, as the requests they send."""

    # the guide's methods -----------------------------------------------------------------

    @endpoint
    def get_pending_recovery_cases(
        self,
        status: str | None = None,
        priority: str | None = None,
        limit: int = 100,
    ) -> RequestSpec[list[RecoveryCase]]:
        """Open recovery cases (customer embedded), the response's ``cases``."""
        params = query_params(limit=limit, status=status or None, priority=priority or None)
        return RequestSpec("GET", "/recovery-cases/pending", params=params, unwrap="cases")

    @endpoint
    def update_recovery_case(
        self, case_id: str, updates: Mapping[str, Any]
    ) -> RequestSpec[RecoveryCase]:
        return RequestSpec("PUT", f"/recovery-cases/{path_id(case_id)}", body=dict(updates))

    @endpoint
    def get_scheduled_tasks(
        self,
        *,
        status: str | None = None,
        type: str | None = None,
        due_before: datetime | str | None = None,
        page: int | None = None,
        size: int | None = None,
    ) -> RequestSpec[list[Task]]:
        """Due tasks, the response's ``tasks``."""
        params = query_params(status=status, type=type, dueBefore=due_before, page=page, size=size)
        return RequestSpec("GET", "/tasks/scheduled", params=params, unwrap="tasks")

    @endpoint
    def create_scheduled_task(
        self, task_data: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> RequestSpec[Task]:
        return RequestSpec("POST", "/tasks", body=dict(task_data), idempotency_key=idempotency_key)

    @endpoint
    def create_scheduled_tasks(
        self, tasks: Sequence[Mapping[str, Any]], *, idempotency_key: str | None = None
    ) -> RequestSpec[TaskBatchResult]:
        """Create several tasks at once (``POST /tasks/batch``, all or none): answers
        ``{"tasks": [...], "created": [...]}`` in order; a ``dedupeKey`` that already had a
        task answers that task with ``created`` false."""
        body: JsonObject = {"tasks": [dict(task) for task in tasks]}
        return RequestSpec("POST", "/tasks/batch", body=body, idempotency_key=idempotency_key)

    @endpoint
    def prepare_task_letter(self, task_id: str) -> RequestSpec[Task]:
        """Have the backend make an open LETTER task's formal reminder letter (once): the
        task with ``metadata.letterDocumentId`` (or ``letterError`` saying why there is none)."""
        return RequestSpec("POST", f"/tasks/{path_id(task_id)}/letter", body={}, repeatable=True)

    @endpoint
    def update_task_status(
        self,
        task_id: str,
        status: str,
        result: Mapping[str, Any] | None = None,
        *,
        lease_token: str | None = None,
        retry_at: datetime | str | None = None,
        error: str | None = None,
    ) -> RequestSpec[Task]:
        """Report a task's status; a leased task needs its ``lease_token``. ``PENDING`` with
        ``retry_at`` hands a task back for a later attempt."""
        payload: JsonObject = {"status": status}
        payload.update(
            _present(
                result=None if result is None else dict(result),
                leaseToken=lease_token,
                retryAt=retry_at,
                error=error,
            )
        )
        return RequestSpec("PUT", f"/tasks/{path_id(task_id)}/status", body=payload)

    @endpoint
    def get_pending_documents(
        self, doc_type: str | None = None, limit: int = 50
    ) -> RequestSpec[list[Document]]:
        """Documents pending extraction, the response's ``documents``."""
        params = query_params(limit=limit, type=doc_type or None)
        return RequestSpec(
            "GET", "/documents/pending-extraction", params=params, unwrap="documents"
        )

    @endpoint
    def submit_extraction(
        self,
        document_id: str,
        extraction_data: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> RequestSpec[JsonObject]:
        payload: JsonObject = {"documentId": document_id, **extraction_data}
        return RequestSpec("POST", "/extractions", body=payload, idempotency_key=idempotency_key)

    @endpoint
    def create_reminder(
        self, reminder_data: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> RequestSpec[Reminder]:
        body = dict(reminder_data)
        return RequestSpec("POST", "/reminders", body=body, idempotency_key=idempotency_key)

    @endpoint
    def record_reminder_sent(
        self, reminder_id: str, sent_data: Mapping[str, Any]
    ) -> RequestSpec[Reminder]:
        return RequestSpec("PUT", f"/reminders/{path_id(reminder_id)}/sent", body=dict(sent_data))

    @endpoint
    def create_notification(
        self, notification_data: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> RequestSpec[Notification]:
        body = dict(notification_data)
        return RequestSpec("POST", "/notifications", body=body, idempotency_key=idempotency_key)

    @endpoint
    def update_notification_status(
        self,
        notification_id: str,
        status: str,
        sent_at: datetime | str | None = None,
        external_id: str | None = None,
        error: str | None = None,
        *,
        lease_token: str | None = None,
        retry_at: datetime | str | None = None,
    ) -> RequestSpec[Notification]:
        payload: JsonObject = {"status": status}
        payload.update(
            _present(
                sentAt=sent_at,
                externalId=external_id,
                error=error,
                leaseToken=lease_token,
                retryAt=retry_at,
            )
        )
        path = f"/notifications/{path_id(notification_id)}/status"
        return RequestSpec("PUT", path, body=payload)

    # additions of the backend ------------------------------------------------------------

    @endpoint
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        idempotency_key: str | None = None,
    ) -> RequestSpec[Any]:
        """Call any automation endpoint (path relative to ``/api/v1/automation``) with the same
        retries, breaker, idempotency keys (POST) and error mapping as the named methods."""
        if not path.startswith("/"):
            raise ValueError("path must start with '/' (relative to /api/v1/automation)")
        return RequestSpec(
            method.upper(),
            path,
            params=query_params(**dict(params)) if params else None,
            body=NO_BODY if json is None else json,
            idempotency_key=idempotency_key,
            expect=as_any,
        )

    @endpoint
    def get_pending_recovery_cases_page(
        self,
        *,
        status: str | None = None,
        priority: str | None = None,
        limit: int = 100,
        include: Sequence[str] | None = None,
        cursor: str | None = None,
    ) -> RequestSpec[CasePage]:
        """One page of open cases with its ``nextCursor`` (None on the last page);
        ``include=["schedule"]`` embeds each case's step keys, open tasks and contacts."""
        params = query_params(
            limit=limit,
            status=status or None,
            priority=priority or None,
            include=",".join(include) if include else None,
            cursor=cursor or None,
        )
        return RequestSpec("GET", "/recovery-cases/pending", params=params)

    @endpoint
    def get_policy(self, policy_id: str) -> RequestSpec[Policy]:
        """A dunning policy (``GET /policies/{id}``), as ``policy_from_dict`` reads it."""
        return RequestSpec("GET", f"/policies/{path_id(policy_id)}")

    @endpoint
    def render_for_case(
        self, case_id: str, template_id: str, channel: str
    ) -> RequestSpec[RenderedMessage]:
        """A template rendered for the case's customer (subject, text, html), ready to send."""
        body: JsonObject = {"templateId": template_id, "channel": channel}
        return RequestSpec("POST", f"/recovery-cases/{path_id(case_id)}/render", body=body)

    @endpoint
    def get_recovery_case(self, case_id: str) -> RequestSpec[RecoveryCase]:
        return RequestSpec("GET", f"/recovery-cases/{path_id(case_id)}")

    @endpoint
    def get_task(self, task_id: str) -> RequestSpec[Task]:
        return RequestSpec("GET", f"/tasks/{path_id(task_id)}")

    @endpoint
    def claim_tasks(
        self,
        worker_id: str,
        *,
        types: Sequence[str] | None = None,
        limit: int = 10,
        lease_seconds: int = 60,
        idempotency_key: str | None = None,
        include: Sequence[str] | None = None,
    ) -> RequestSpec[list[Task]]:
        """Atomically lease due ``PENDING`` tasks; each returned task has a ``leaseToken``.

        ``include=["recoveryCase"]`` embeds each task's case (as ``recoveryCase``).
        """
        return _claim(
            "/tasks/claim",
            "tasks",
            worker_id,
            limit,
            lease_seconds,
            idempotency_key,
            types=None if types is None else list(types),
            include=list(include) if include else None,
        )

    @endpoint
    def heartbeat(
        self,
        task_id: str,
        lease_token: str,
        *,
        lease_seconds: int | None = None,
        idempotency_key: str | None = None,
    ) -> RequestSpec[Task]:
        payload = _present(leaseToken=lease_token, leaseSeconds=lease_seconds)
        return RequestSpec(
            "POST",
            f"/tasks/{path_id(task_id)}/heartbeat",
            body=payload,
            idempotency_key=idempotency_key,
            repeatable=True,
        )

    @endpoint
    def heartbeat_tasks(
        self, leases: Mapping[str, str], *, lease_seconds: int | None = None
    ) -> RequestSpec[HeartbeatsResult]:
        """Extend several leases at once (``POST /tasks/heartbeat``, ``task id → lease token``):
        answers ``{"renewed": [{id, leaseExpiresAt}], "lost": [{id, reason}]}``."""
        held = [{"id": task_id, "leaseToken": token} for task_id, token in leases.items()]
        payload = _present(leases=held, leaseSeconds=lease_seconds)
        return RequestSpec("POST", "/tasks/heartbeat", body=payload, repeatable=True)

    @endpoint
    def get_reminder(self, reminder_id: str) -> RequestSpec[Reminder]:
        return RequestSpec("GET", f"/reminders/{path_id(reminder_id)}")

    @endpoint
    def download_document(self, document_id: str) -> RequestSpec[bytes]:
        """The document's bytes, by id or by its ``downloadUrl`` (which must point at the
        backend: the API key is never sent to another origin)."""
        # A downloadUrl is absolute, or a path on the backend (relative when the backend has
        # no public URL configured).
        relative = document_id.startswith("/") and not document_id.startswith("//")
        if relative or document_id.startswith(("http://", "https://")):
            return RequestSpec("GET", "", absolute_url=document_id, raw=True)
        return RequestSpec("GET", f"/documents/{path_id(document_id)}/content", raw=True)

    @endpoint
    def claim_notifications(
        self,
        worker_id: str,
        *,
        limit: int = 10,
        lease_seconds: int = 60,
        idempotency_key: str | None = None,
    ) -> RequestSpec[list[Notification]]:
        path, unwrap = "/notifications/claim", "notifications"
        return _claim(path, unwrap, worker_id, limit, lease_seconds, idempotency_key)

    @endpoint
    def get_notification(self, notification_id: str) -> RequestSpec[Notification]:
        return RequestSpec("GET", f"/notifications/{path_id(notification_id)}")

    @endpoint
    def claim_webhook_deliveries(
        self,
        worker_id: str,
        *,
        limit: int = 10,
        lease_seconds: int = 60,
        idempotency_key: str | None = None,
    ) -> RequestSpec[list[WebhookDelivery]]:
        """Lease due outbound webhook deliveries (at most one per case and endpoint)."""
        path, unwrap = "/webhook-deliveries/claim", "deliveries"
        return _claim(path, unwrap, worker_id, limit, lease_seconds, idempotency_key)

    @endpoint
    def report_webhook_delivery(
        self,
        delivery_id: str,
        lease_token: str,
        *,
        succeeded: bool,
        status_code: int | None = None,
        latency_ms: int | None = None,
        error: str | None = None,
        permanent: bool = False,
    ) -> RequestSpec[WebhookDeliveryState]:
        """Record one attempt: succeeded, retried later with backoff, or failed for good."""
        payload = _present(
            leaseToken=lease_token,
            succeeded=succeeded,
            statusCode=status_code,
            latencyMs=latency_ms,
            error=None if error is None else error[:2000],
            permanent=True if permanent else None,
        )
        path = f"/webhook-deliveries/{path_id(delivery_id)}/result"
        return RequestSpec("PUT", path, body=payload)

    @endpoint
    def report_webhook_deliveries(
        self, results: Sequence[WebhookDeliveryResult]
    ) -> RequestSpec[WebhookDeliveryReports]:
        """Record several attempts in one request (``POST /webhook-deliveries/results``):
        answers ``{"recorded": [{id, status}], "stale": [{id, reason}]}``; repeating it
        records nothing more (the leases are spent)."""
        return RequestSpec(
            "POST",
            "/webhook-deliveries/results",
            body={"results": [dict(r) for r in results]},
            repeatable=True,
        )
