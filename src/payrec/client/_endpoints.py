"""The automation API's endpoints as :class:`RequestSpec` builders (pure).

Both clients turn each public method into one of these specs, so paths, query parameters and
bodies are defined once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ._request import NO_BODY, RequestSpec, path_id, query_params

JsonObject = dict[str, Any]


def get_pending_recovery_cases(status: str | None, priority: str | None, limit: int) -> RequestSpec:
    params = query_params(limit=limit, status=status or None, priority=priority or None)
    return RequestSpec("GET", "/recovery-cases/pending", params=params, unwrap="cases")


def get_pending_recovery_cases_page(
    status: str | None,
    priority: str | None,
    limit: int,
    include: Sequence[str] | None,
    cursor: str | None,
) -> RequestSpec:
    params = query_params(
        limit=limit,
        status=status or None,
        priority=priority or None,
        include=",".join(include) if include else None,
        cursor=cursor or None,
    )
    return RequestSpec("GET", "/recovery-cases/pending", params=params)


def render_for_case(case_id: str, template_id: str, channel: str) -> RequestSpec:
    body: JsonObject = {"templateId": template_id, "channel": channel}
    return RequestSpec("POST", f"/recovery-cases/{path_id(case_id)}/render", body=body)


def get_policy(policy_id: str) -> RequestSpec:
    return RequestSpec("GET", f"/policies/{path_id(policy_id)}")


def get_recovery_case(case_id: str) -> RequestSpec:
    return RequestSpec("GET", f"/recovery-cases/{path_id(case_id)}")


def update_recovery_case(case_id: str, updates: Mapping[str, Any]) -> RequestSpec:
    return RequestSpec("PUT", f"/recovery-cases/{path_id(case_id)}", body=dict(updates))


def get_scheduled_tasks(
    *,
    status: str | None,
    type: str | None,
    due_before: datetime | str | None,
    page: int | None,
    size: int | None,
) -> RequestSpec:
    params = query_params(status=status, type=type, dueBefore=due_before, page=page, size=size)
    return RequestSpec("GET", "/tasks/scheduled", params=params, unwrap="tasks")


def get_task(task_id: str) -> RequestSpec:
    return RequestSpec("GET", f"/tasks/{path_id(task_id)}")


def create_scheduled_task(task_data: Mapping[str, Any], idempotency_key: str | None) -> RequestSpec:
    return RequestSpec("POST", "/tasks", body=dict(task_data), idempotency_key=idempotency_key)


def create_scheduled_tasks(
    tasks: Sequence[Mapping[str, Any]], idempotency_key: str | None
) -> RequestSpec:
    body: JsonObject = {"tasks": [dict(task) for task in tasks]}
    return RequestSpec("POST", "/tasks/batch", body=body, idempotency_key=idempotency_key)


def prepare_task_letter(task_id: str) -> RequestSpec:
    return RequestSpec("POST", f"/tasks/{path_id(task_id)}/letter", body={}, repeatable=True)


def update_task_status(
    task_id: str,
    status: str,
    result: Mapping[str, Any] | None,
    lease_token: str | None,
    retry_at: datetime | str | None = None,
    error: str | None = None,
) -> RequestSpec:
    payload: JsonObject = {"status": status}
    if result is not None:
        payload["result"] = dict(result)
    if lease_token is not None:
        payload["leaseToken"] = lease_token
    if retry_at is not None:
        payload["retryAt"] = retry_at
    if error is not None:
        payload["error"] = error
    return RequestSpec("PUT", f"/tasks/{path_id(task_id)}/status", body=payload)


def claim_tasks(
    worker_id: str,
    types: Sequence[str] | None,
    limit: int,
    lease_seconds: int,
    idempotency_key: str | None,
    include: Sequence[str] | None = None,
) -> RequestSpec:
    payload: JsonObject = {"workerId": worker_id}
    if types is not None:
        payload["types"] = list(types)
    payload["limit"] = limit
    payload["leaseSeconds"] = lease_seconds
    if include:
        payload["include"] = list(include)
    return RequestSpec(
        "POST", "/tasks/claim", body=payload, idempotency_key=idempotency_key, unwrap="tasks"
    )


def heartbeat(
    task_id: str,
    lease_token: str,
    lease_seconds: int | None,
    idempotency_key: str | None,
) -> RequestSpec:
    payload: JsonObject = {"leaseToken": lease_token}
    if lease_seconds is not None:
        payload["leaseSeconds"] = lease_seconds
    return RequestSpec(
        "POST",
        f"/tasks/{path_id(task_id)}/heartbeat",
        body=payload,
        idempotency_key=idempotency_key,
        repeatable=True,
    )


def heartbeat_tasks(leases: Mapping[str, str], lease_seconds: int | None) -> RequestSpec:
    payload: JsonObject = {
        "leases": [{"id": task_id, "leaseToken": token} for task_id, token in leases.items()]
    }
    if lease_seconds is not None:
        payload["leaseSeconds"] = lease_seconds
    return RequestSpec("POST", "/tasks/heartbeat", body=payload, repeatable=True)


def get_pending_documents(doc_type: str | None, limit: int) -> RequestSpec:
    params = query_params(limit=limit, type=doc_type or None)
    return RequestSpec("GET", "/documents/pending-extraction", params=params, unwrap="documents")


def download_document(document_id_or_url: str) -> RequestSpec:
    """By id, or by `downloadUrl`: absolute, or a path on the backend (relative when the
    backend has no public URL configured)."""
    relative = document_id_or_url.startswith("/") and not document_id_or_url.startswith("//")
    if relative or document_id_or_url.startswith(("http://", "https://")):
        return RequestSpec("GET", "", absolute_url=document_id_or_url, raw=True)
    return RequestSpec("GET", f"/documents/{path_id(document_id_or_url)}/content", raw=True)


def submit_extraction(
    document_id: str,
    extraction_data: Mapping[str, Any],
    idempotency_key: str | None,
) -> RequestSpec:
    payload: JsonObject = {"documentId": document_id, **extraction_data}
    return RequestSpec("POST", "/extractions", body=payload, idempotency_key=idempotency_key)


def create_reminder(reminder_data: Mapping[str, Any], idempotency_key: str | None) -> RequestSpec:
    return RequestSpec(
        "POST", "/reminders", body=dict(reminder_data), idempotency_key=idempotency_key
    )


def get_reminder(reminder_id: str) -> RequestSpec:
    return RequestSpec("GET", f"/reminders/{path_id(reminder_id)}")


def record_reminder_sent(reminder_id: str, sent_data: Mapping[str, Any]) -> RequestSpec:
    return RequestSpec("PUT", f"/reminders/{path_id(reminder_id)}/sent", body=dict(sent_data))


def create_notification(
    notification_data: Mapping[str, Any], idempotency_key: str | None
) -> RequestSpec:
    return RequestSpec(
        "POST", "/notifications", body=dict(notification_data), idempotency_key=idempotency_key
    )


def get_notification(notification_id: str) -> RequestSpec:
    return RequestSpec("GET", f"/notifications/{path_id(notification_id)}")


def claim_notifications(
    worker_id: str, limit: int, lease_seconds: int, idempotency_key: str | None
) -> RequestSpec:
    payload: JsonObject = {"workerId": worker_id, "limit": limit, "leaseSeconds": lease_seconds}
    return RequestSpec(
        "POST",
        "/notifications/claim",
        body=payload,
        idempotency_key=idempotency_key,
        unwrap="notifications",
    )


def update_notification_status(
    notification_id: str,
    status: str,
    sent_at: datetime | str | None,
    external_id: str | None,
    error: str | None,
    lease_token: str | None = None,
    retry_at: datetime | str | None = None,
) -> RequestSpec:
    payload: JsonObject = {"status": status}
    if sent_at is not None:
        payload["sentAt"] = sent_at
    if external_id is not None:
        payload["externalId"] = external_id
    if error is not None:
        payload["error"] = error
    if lease_token is not None:
        payload["leaseToken"] = lease_token
    if retry_at is not None:
        payload["retryAt"] = retry_at
    return RequestSpec("PUT", f"/notifications/{path_id(notification_id)}/status", body=payload)


def generic(
    method: str,
    path: str,
    params: Mapping[str, Any] | None,
    body: Any,
    idempotency_key: str | None,
) -> RequestSpec:
    """Any other automation endpoint, by method and path relative to the automation base."""
    if not path.startswith("/"):
        raise ValueError("path must start with '/' (relative to /api/v1/automation)")
    return RequestSpec(
        method.upper(),
        path,
        params=query_params(**dict(params)) if params else None,
        body=NO_BODY if body is None else body,
        idempotency_key=idempotency_key,
    )


def claim_webhook_deliveries(
    worker_id: str, limit: int, lease_seconds: int, idempotency_key: str | None
) -> RequestSpec:
    payload: JsonObject = {"workerId": worker_id, "limit": limit, "leaseSeconds": lease_seconds}
    return RequestSpec(
        "POST",
        "/webhook-deliveries/claim",
        body=payload,
        idempotency_key=idempotency_key,
        unwrap="deliveries",
    )


def report_webhook_delivery(
    delivery_id: str,
    lease_token: str,
    succeeded: bool,
    status_code: int | None,
    latency_ms: int | None,
    error: str | None,
    permanent: bool,
) -> RequestSpec:
    payload: JsonObject = {"leaseToken": lease_token, "succeeded": succeeded}
    if status_code is not None:
        payload["statusCode"] = status_code
    if latency_ms is not None:
        payload["latencyMs"] = latency_ms
    if error is not None:
        payload["error"] = error[:2000]
    if permanent:
        payload["permanent"] = True
    return RequestSpec("PUT", f"/webhook-deliveries/{path_id(delivery_id)}/result", body=payload)


def report_webhook_deliveries(results: Sequence[Mapping[str, Any]]) -> RequestSpec:
    """Several attempts' results; repeating it records nothing more (the leases are spent)."""
    return RequestSpec(
        "POST",
        "/webhook-deliveries/results",
        body={"results": [dict(r) for r in results]},
        repeatable=True,
    )
