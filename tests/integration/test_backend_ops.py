"""Operations: request ids, Prometheus metrics, the audit log's service names, the OpenAPI map."""

from __future__ import annotations

import json
import re
import secrets

from tests.support.backend import LiveBackend


def test_request_id_is_echoed_or_generated(backend: LiveBackend) -> None:
    mine = f"req-{secrets.token_hex(6)}"
    echoed = backend.auto("GET", "/tasks/scheduled", headers={"X-Request-ID": mine})
    assert echoed.headers["x-request-id"] == mine
    generated = backend.auto("GET", "/tasks/scheduled")
    other = backend.auto("GET", "/tasks/scheduled")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    assert generated.headers["x-request-id"] != other.headers["x-request-id"]
    # errors carry one too, and a hostile id is replaced rather than reflected
    missing = backend.http.get(backend.automation_url + "/tasks/scheduled")
    assert missing.status_code == 401 and missing.headers["x-request-id"]
    hostile = backend.auto("GET", "/tasks/scheduled", headers={"X-Request-ID": "a b<script>"})
    assert hostile.headers["x-request-id"] != "a b<script>"
    assert backend.http.get(backend.base_url + "/healthz").headers["x-request-id"]


def test_metrics_count_requests_by_route_and_status(backend: LiveBackend) -> None:
    backend.auto("GET", "/tasks/task-doesnotexist")
    backend.auto("GET", "/recovery-cases/pending", params={"limit": 5})
    response = backend.http.get(
        backend.base_url + "/metrics", headers={"Authorization": f"Bearer {backend.admin_key}"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    count = re.compile(
        r'payrec_http_requests_total\{method="GET",route="/api/v1/automation/tasks/\{task_id\}",'
        r'status="404"\} (\d+)'
    )
    assert count.search(text), text[:2000]
    assert re.search(
        r'payrec_http_requests_total\{method="GET",'
        r'route="/api/v1/automation/recovery-cases/pending",status="200"\} [1-9]',
        text,
    )
    assert "payrec_http_request_duration_seconds_bucket" in text
    assert "task-doesnotexist" not in text  # routes are templates, not raw paths


def test_audit_log_records_the_service_name(backend: LiveBackend) -> None:
    service = f"python-scheduler-{secrets.token_hex(3)}"
    rid = f"audit-{secrets.token_hex(6)}"
    case = backend.new_case()
    task = backend.auto(
        "POST",
        "/tasks",
        json={
            "type": "REMINDER",
            "scheduledAt": "2024-01-15T10:00:00Z",
            "recoveryCaseId": case["id"],
        },
        headers={"X-Service-Name": service, "X-Request-ID": rid},
    ).json()
    backend.auto(
        "PUT",
        f"/recovery-cases/{case['id']}",
        json={"notes": "Reminder sent via email"},
        headers={"X-Service-Name": service},
    )
    events = backend.admin(
        "GET", "/audit-events", params={"recoveryCaseId": case["id"], "limit": 100}
    ).json()
    assert events["total"] >= 3 and events["nextCursor"] is None
    by_action = {e["action"]: e for e in events["events"]}
    created = by_action["task.created"]
    assert created["serviceName"] == service and created["requestId"] == rid
    assert created["entityId"] == task["id"] and created["actor"] == "test-automation"
    assert created["after"]["status"] == "PENDING" and created["at"].endswith("Z")
    assert by_action["case.note_added"]["serviceName"] == service
    assert by_action["case.created"]["actor"] == "test-admin"
    only_tasks = backend.admin(
        "GET", "/audit-events", params={"entityId": task["id"], "action": "task.created"}
    ).json()
    assert [e["id"] for e in only_tasks["events"]] == [created["id"]]
    detail = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    note = [n for n in detail["notes"] if n["body"] == "Reminder sent via email"]
    assert note and note[0]["serviceName"] == service


def test_openapi_lists_every_path(backend: LiveBackend) -> None:
    document = backend.http.get(backend.base_url + "/openapi.json").json()
    paths = document["paths"]
    guide = {
        ("get", "/api/v1/automation/tasks/scheduled"),
        ("post", "/api/v1/automation/tasks"),
        ("put", "/api/v1/automation/tasks/{task_id}/status"),
        ("get", "/api/v1/automation/recovery-cases/pending"),
        ("put", "/api/v1/automation/recovery-cases/{case_id}"),
        ("post", "/api/v1/automation/reminders"),
        ("put", "/api/v1/automation/reminders/{reminder_id}/sent"),
        ("post", "/api/v1/automation/extractions"),
        ("get", "/api/v1/automation/documents/pending-extraction"),
        ("post", "/api/v1/automation/notifications"),
        ("put", "/api/v1/automation/notifications/{notification_id}/status"),
    }
    additions = {
        ("post", "/api/v1/automation/tasks/claim"),
        ("post", "/api/v1/automation/tasks/{task_id}/heartbeat"),
        ("get", "/api/v1/automation/tasks/{task_id}"),
        ("get", "/api/v1/automation/recovery-cases/{case_id}"),
        ("get", "/api/v1/automation/reminders/{reminder_id}"),
        ("get", "/api/v1/automation/documents/{document_id}/content"),
        ("post", "/api/v1/customers"),
        ("patch", "/api/v1/customers/{customer_id}"),
        ("post", "/api/v1/recovery-cases"),
        ("get", "/api/v1/recovery-cases/{case_id}"),
        ("post", "/api/v1/recovery-cases/{case_id}/payments"),
        ("post", "/api/v1/documents"),
        ("post", "/api/v1/service-clients"),
        ("patch", "/api/v1/service-clients/{client_id}"),
        ("delete", "/api/v1/service-clients/{client_id}"),
        ("get", "/api/v1/audit-events"),
        ("get", "/api/v1/tasks"),
        ("post", "/api/v1/tasks/{task_id}/complete"),
        ("post", "/oauth/token"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
    }
    listed = {(method, path) for path, ops in paths.items() for method in ops}
    assert guide | additions <= listed, sorted((guide | additions) - listed)
    for path, ops in paths.items():
        for method, operation in ops.items():
            if path.startswith("/api/v1/"):
                for status in ("401", "403", "422"):
                    assert status in operation["responses"], (method, path, status)
                problem = operation["responses"]["422"]["content"]
                assert "application/problem+json" in problem, (method, path)
    assert "Problem" in document["components"]["schemas"]
    case_schema = document["components"]["schemas"]["CaseOut"]["properties"]["amount"]
    assert case_schema.get("type") == "number" or {"type": "number"} in case_schema.get(
        "anyOf", []
    ), case_schema


def test_pending_list_and_single_case_answer_the_same_json(backend: LiveBackend) -> None:
    """The pending list is built without models (hot path): it must match `CaseOut` exactly."""
    usd = backend.new_case(amount="1234.50", currency="USD", priority="HIGH")
    jpy = backend.new_case(amount="5000", currency="JPY", priority="LOW", dueDate="2099-12-31")
    backend.auto(
        "PUT",
        f"/recovery-cases/{usd['id']}",
        json={"lastReminderSentAt": "2024-01-15T10:00:00+02:00", "status": "IN_PROGRESS"},
    )
    for case in (usd, jpy):
        wanted_priority = "HIGH" if case is usd else "LOW"
        listed = backend.auto(
            "GET", "/recovery-cases/pending", params={"limit": 1000, "priority": wanted_priority}
        )
        single = backend.auto("GET", f"/recovery-cases/{case['id']}")
        assert listed.status_code == single.status_code == 200
        # numbers compared as written on the wire (5000.00 vs 5000.0 would differ)
        rows = json.loads(listed.text, parse_float=str)["cases"]
        mine = [row for row in rows if row["id"] == case["id"]]
        assert mine == [json.loads(single.text, parse_float=str)]
    assert '"amount":5000,' in single.text  # the last one is the JPY case: no minor units


def test_client_hanging_up_mid_body_is_not_an_error(backend: LiveBackend) -> None:
    """A worker killed while sending a request must not leave a traceback or a 500 behind."""
    import socket
    from urllib.parse import urlsplit

    from tests.support.backend import wait_until

    def answered_400() -> float:
        metrics = _metrics(backend)
        pattern = (
            r'payrec_http_requests_total\{method="GET",route="/api/v1/automation/tasks/\{task_id\}",'
            r'status="400"\} ([0-9.]+)'
        )
        found = re.search(pattern, metrics)
        return float(found.group(1)) if found else 0.0

    before = answered_400()
    address = urlsplit(backend.base_url)
    marker = "hangup-" + secrets.token_hex(4)
    with socket.create_connection((address.hostname, address.port), timeout=5) as sock:
        sock.sendall(
            (
                f"GET /api/v1/automation/tasks/{marker} HTTP/1.1\r\n"
                f"Host: {address.netloc}\r\n"
                f"Authorization: Bearer {backend.automation_key}\r\n"
                f"X-Request-ID: {marker}\r\n"
                "Content-Type: application/json\r\n"
                "Content-Length: 400\r\n\r\n"
                '{"type": "REMINDER", "sched'
            ).encode()
        )
    wait_until(lambda: answered_400() > before, timeout=10, message="the request answered")
    assert backend.auto("GET", "/tasks/none").status_code == 404  # still serving
    logs = backend.logs()
    assert "Traceback" not in logs and "unhandled error" not in logs


def _metrics(backend: LiveBackend) -> str:
    headers = {"Authorization": f"Bearer {backend.admin_key}"}
    return backend.http.get(backend.base_url + "/metrics", headers=headers).text
