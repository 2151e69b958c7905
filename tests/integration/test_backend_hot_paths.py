"""The workers' hot paths: queue reads, claims, sent-marks and the fewer-calls reminder cycle.

Each operation has one implementation, its FastAPI route: plain requests and unusual ones
(bad values, unknown parameters, new credentials, idempotent retries) get the same full
answer. The reminder cycle's additions (`include: ["recoveryCase"]` on claims,
`render` on POST /reminders, `completeTask` on PUT /reminders/{id}/sent) must answer what the
separate calls answer.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.support.backend import LiveBackend, make_key

PAST = "2024-01-15T10:00:00Z"


def _unique_type() -> str:
    return "H" + secrets.token_hex(6).upper()


def _claim(backend: LiveBackend, task_type: str, **extra: Any) -> list[dict[str, Any]]:
    body = {"workerId": "w-hot", "types": [task_type], "limit": 10, **extra}
    response = backend.auto("POST", "/tasks/claim", json=body)
    assert response.status_code == 200, response.text
    tasks: list[dict[str, Any]] = response.json()["tasks"]
    return tasks


def _reminder_task(backend: LiveBackend, case: dict[str, Any], task_type: str) -> dict[str, Any]:
    response = backend.auto(
        "POST",
        "/tasks",
        json={
            "type": task_type,
            "scheduledAt": PAST,
            "recoveryCaseId": case["id"],
            "metadata": {"reminderType": "EMAIL", "templateId": "reminder-1"},
        },
    )
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def test_claimed_task_answers_what_get_task_answers(backend: LiveBackend) -> None:
    """Claims are built without models: each must equal GET /tasks/{id}, plus its lease."""
    case = backend.new_case(amount="99.95")
    task_type = _unique_type()
    _reminder_task(backend, case, task_type)
    [claimed] = _claim(backend, task_type, leaseSeconds=120)
    single = backend.auto("GET", f"/tasks/{claimed['id']}")
    assert single.status_code == 200
    expected = single.json()
    assert claimed["leaseToken"] and expected["leaseToken"] is None
    assert {**claimed, "leaseToken": None} == expected
    assert claimed["status"] == "IN_PROGRESS" and claimed["lockedBy"] == "w-hot"


@pytest.mark.parametrize("path", ["plain", "idempotent"])
def test_a_claim_is_audited_once_with_its_tasks_in_claim_order(
    backend: LiveBackend, path: str
) -> None:
    """One `tasks.claimed` entry per claim, naming the worker, the caller's service and every
    task in the order handed out, whether the claim is plain or an idempotent retry."""
    case = backend.new_case()
    task_type = _unique_type()
    made = [
        backend.auto(
            "POST",
            "/tasks",
            json={"type": task_type, "scheduledAt": at, "recoveryCaseId": case["id"]},
        ).json()
        for at in ("2024-01-15T10:00:02Z", "2024-01-15T10:00:00Z", "2024-01-15T10:00:01Z")
    ]
    _claim(backend, _unique_type())  # nothing due: warms the credential cache
    headers = {"X-Service-Name": "claim-audit"}
    if path == "idempotent":
        headers["Idempotency-Key"] = secrets.token_hex(8)
    body = {"workerId": "w-audit", "types": [task_type], "limit": 10}
    response = backend.auto("POST", "/tasks/claim", json=body, headers=headers)
    assert response.status_code == 200, response.text
    ids = [task["id"] for task in response.json()["tasks"]]
    assert ids == [made[1]["id"], made[2]["id"], made[0]["id"]]  # by scheduledAt
    events = backend.admin(
        "GET", "/audit-events", params={"action": "tasks.claimed", "entityId": ids[0]}
    ).json()["events"]
    assert len(events) == 1
    [event] = events
    assert event["after"] == {"workerId": "w-audit", "taskIds": ids}
    assert event["serviceName"] == "claim-audit" and event["entityType"] == "task"
    assert event["actor"] and event["requestId"]


def test_claim_can_embed_each_task_s_case(backend: LiveBackend) -> None:
    case = backend.new_case(amount="1234.50", currency="EUR")
    task_type = _unique_type()
    _reminder_task(backend, case, task_type)
    [claimed] = _claim(backend, task_type, include=["recoveryCase"])
    single = backend.auto("GET", f"/recovery-cases/{case['id']}")
    # numbers compared as written on the wire (1234.50 must stay 1234.50)
    embedded = json.loads(json.dumps(claimed["recoveryCase"]))
    assert embedded == single.json()
    assert claimed["recoveryCase"]["amountOutstanding"] == 1234.5
    bad = backend.auto(
        "POST", "/tasks/claim", json={"workerId": "w", "include": ["customer"], "types": ["X"]}
    )
    assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"


def test_queue_read_answers_anything_unusual_with_a_problem(backend: LiveBackend) -> None:
    """Bad values, unknown parameters and repeated parameters get the route's 422."""
    backend.new_case()
    ok = backend.auto("GET", "/recovery-cases/pending", params={"limit": 5})
    assert ok.status_code == 200 and len(ok.json()["cases"]) <= 5
    assert ok.headers.get("x-request-id") and ok.headers.get("ratelimit")
    for query in (
        "limit=0",
        "limit=1001",
        "limit=abc",
        "status=RESOLVED",
        "priority=URGENT",
        "include=everything",
        "cursor=not-a-cursor",
    ):
        response = backend.auto("GET", f"/recovery-cases/pending?{query}")
        assert response.status_code == 422, (query, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    # an unknown parameter is ignored
    assert backend.auto("GET", "/recovery-cases/pending?limit=2&colour=red").status_code == 200


def test_hot_paths_keep_auth_roles_and_idempotency(backend: LiveBackend) -> None:
    url = backend.automation_url + "/recovery-cases/pending"
    assert backend.http.get(url).status_code == 401
    bogus = {"Authorization": "Bearer prk_nope_nope"}
    assert backend.http.get(url, headers=bogus).status_code == 401
    admin_only = make_key(backend.db_url, "hot-admin", "ADMIN")
    for _ in range(2):  # the second call would be answered from the credential cache
        denied = backend.http.get(url, headers={"Authorization": f"Bearer {admin_only}"})
        assert denied.status_code == 403
    task_type = _unique_type()
    _reminder_task(backend, backend.new_case(), task_type)
    body = {"workerId": "w-idem", "types": [task_type], "limit": 5}
    headers = {"Idempotency-Key": "claim-" + secrets.token_hex(4)}
    first = backend.auto("POST", "/tasks/claim", json=body, headers=headers)
    again = backend.auto("POST", "/tasks/claim", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json() and len(first.json()["tasks"]) == 1


def _record_rendered(
    backend: LiveBackend,
    case_id: str,
    *,
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> httpx.Response:
    """`POST /reminders` with `render: true` for an EMAIL `reminder-1` on the case."""
    body = {"recoveryCaseId": case_id, "type": "EMAIL", "templateId": "reminder-1"}
    return backend.auto(
        "POST", "/reminders", json={**body, **fields, "render": True}, headers=headers or {}
    )


def test_render_on_record_and_complete_on_sent(backend: LiveBackend) -> None:
    """The worker's two-call cycle: record (rendered), then SENT + task completed at once."""
    case = backend.new_case(amount="250.00")
    task_type = _unique_type()
    _reminder_task(backend, case, task_type)
    [task] = _claim(backend, task_type)
    created = _record_rendered(
        backend,
        case["id"],
        taskId=task["id"],
        recipient="billing@example.com",
        headers={"Idempotency-Key": f"reminder:{task['id']}"},
    )
    assert created.status_code == 201, created.text
    reminder = created.json()
    rendered = backend.auto(
        "POST",
        f"/recovery-cases/{case['id']}/render",
        json={"templateId": "reminder-1", "channel": "EMAIL"},
    ).json()
    assert reminder["content"] == rendered
    assert reminder["metadata"]["subject"] == rendered["subject"]
    result = {"reminderId": reminder["id"], "recipient": "billing@example.com"}
    sent = backend.auto(
        "PUT",
        f"/reminders/{reminder['id']}/sent",
        json={
            "status": "SENT",
            "externalId": "<m1@payrec>",
            "caseNote": "sent",
            "completeTask": {"id": task["id"], "leaseToken": task["leaseToken"], "result": result},
        },
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "SENT"
    assert sent.json()["task"]["status"] == "COMPLETED"
    stored = backend.auto("GET", f"/tasks/{task['id']}").json()
    assert stored["status"] == "COMPLETED" and stored["result"] == result
    after = backend.auto("GET", f"/recovery-cases/{case['id']}").json()
    assert after["status"] == "IN_PROGRESS" and after["lastReminderSentAt"]
    # Every change of the cycle is in the audit log once, with the task's and the reminder's ids.
    assert _audit_actions(backend, case["id"]) == Counter(
        {
            "case.created": 1,
            "task.created": 1,
            "reminder.created": 1,
            "reminder.sent": 1,
            "case.updated": 1,
            "case.note_added": 1,
            "task.status_changed": 1,
        }
    )


def _audit_actions(backend: LiveBackend, case_id: str) -> Counter[str]:
    response = backend.admin(
        "GET", "/audit-events", params={"recoveryCaseId": case_id, "limit": 100}
    )
    assert response.status_code == 200, response.text
    return Counter(event["action"] for event in response.json()["events"])


def _recorded_reminder(
    backend: LiveBackend,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A new case, its reminder task claimed, and the task's reminder recorded."""
    case = backend.new_case()
    task_type = _unique_type()
    _reminder_task(backend, case, task_type)
    [task] = _claim(backend, task_type)
    reminder = backend.auto(
        "POST",
        "/reminders",
        json={"recoveryCaseId": case["id"], "type": "EMAIL", "taskId": task["id"]},
    )
    assert reminder.status_code == 201, reminder.text
    return case, task, reminder.json()


def test_a_refused_sent_mark_leaves_no_trace(backend: LiveBackend) -> None:
    case, task, reminder = _recorded_reminder(backend)
    before = _audit_actions(backend, case["id"])
    refused = backend.auto(
        "PUT",
        f"/reminders/{reminder['id']}/sent",
        json={
            "status": "SENT",
            "caseNote": "sent",
            "completeTask": {"id": "task-other", "leaseToken": task["leaseToken"]},
        },
    )
    assert refused.status_code == 422, refused.text
    assert backend.auto("GET", f"/reminders/{reminder['id']}").json()["status"] == "SCHEDULED"
    detail = backend.admin("GET", f"/recovery-cases/{case['id']}").json()
    assert detail["status"] == case["status"] and not detail.get("notes")
    assert _audit_actions(backend, case["id"]) == before


def test_stale_lease_never_undoes_a_sent_mark(backend: LiveBackend) -> None:
    _, task, reminder = _recorded_reminder(backend)
    sent = backend.auto(
        "PUT",
        f"/reminders/{reminder['id']}/sent",
        json={"status": "SENT", "completeTask": {"id": task["id"], "leaseToken": "stale"}},
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "SENT"
    assert sent.json()["task"]["status"] == "IN_PROGRESS"  # left to its lease holder
    assert backend.auto("GET", f"/reminders/{reminder['id']}").json()["status"] == "SENT"
    other = backend.auto(
        "PUT",
        f"/reminders/{reminder['id']}/sent",
        json={"status": "SENT", "completeTask": {"id": "task-other", "leaseToken": "x"}},
    )
    assert other.status_code == 422  # only the reminder's own task


@pytest.mark.parametrize("channel_flag", ["optOutEmail"])
def test_record_with_render_refuses_an_opted_out_customer(
    backend: LiveBackend, channel_flag: str
) -> None:
    customer = backend.new_customer()
    case = backend.new_case(customer_id=customer["id"])
    patched = backend.admin("PATCH", f"/customers/{customer['id']}", json={channel_flag: True})
    assert patched.status_code == 200, patched.text
    refused = _record_rendered(backend, case["id"])
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/customer-opted-out")


def test_task_batch_creates_all_or_none_and_dedupes(backend: LiveBackend) -> None:
    case = backend.new_case()
    task_type = _unique_type()

    def body(key: str, case_id: str = case["id"]) -> dict[str, Any]:
        return {"type": task_type, "scheduledAt": PAST, "recoveryCaseId": case_id, "dedupeKey": key}

    first = backend.auto("POST", "/tasks/batch", json={"tasks": [body("a"), body("b")]})
    assert first.status_code == 200, first.text
    assert first.json()["created"] == [True, True]
    again = backend.auto("POST", "/tasks/batch", json={"tasks": [body("b"), body("c")]})
    assert again.json()["created"] == [False, True]
    assert again.json()["tasks"][0]["id"] == first.json()["tasks"][1]["id"]
    bad = backend.auto(
        "POST", "/tasks/batch", json={"tasks": [body("d"), body("e", case_id="case-missing")]}
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "tasks.1.recoveryCaseId"
    listed = backend.auto("GET", "/tasks/scheduled", params={"type": task_type, "size": 50})
    keys = sorted(t["dedupeKey"] for t in listed.json()["tasks"])
    assert keys == ["a", "b", "c"]  # nothing of the refused batch was stored
    assert backend.auto("POST", "/tasks/batch", json={"tasks": []}).status_code == 422


def test_racing_task_batches_make_each_step_once(backend: LiveBackend) -> None:
    """Schedulers racing over the same cases: every (case, dedupeKey) gets one task, created
    by exactly one of the batches, and a batch within itself repeats nothing."""
    cases = [backend.new_case() for _ in range(3)]
    task_type = _unique_type()
    bodies = [
        {"type": task_type, "scheduledAt": PAST, "recoveryCaseId": c["id"], "dedupeKey": k}
        for c in cases
        for k in ("step-1", "step-2", "step-3")
    ]
    start = threading.Barrier(4)

    def post(n: int) -> dict[str, Any]:
        ordered = bodies[n:] + bodies[:n]  # each racer in another order
        start.wait()
        response = backend.auto("POST", "/tasks/batch", json={"tasks": ordered + ordered[:2]})
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(post, range(4)))
    made: Counter[tuple[str, str]] = Counter()
    ids: dict[tuple[str, str], set[str]] = {}
    for answer in answers:
        for task, created in zip(answer["tasks"], answer["created"], strict=True):
            key = (task["recoveryCaseId"], task["dedupeKey"])
            made[key] += created
            ids.setdefault(key, set()).add(task["id"])
        assert answer["created"][-2:] == [False, False]  # repeated within the batch
    assert len(made) == 9 and set(made.values()) == {1}
    assert all(len(found) == 1 for found in ids.values())
    listed = backend.auto("GET", "/tasks/scheduled", params={"type": task_type, "size": 50})
    assert listed.json()["total"] == 9


def test_integers_beyond_64_bits_in_metadata_round_trip_exactly(backend: LiveBackend) -> None:
    """Free-form metadata may hold any JSON integer; the fast encoder's 64-bit limit must not
    turn one into a 500 (found by schemathesis on POST /tasks/batch)."""
    huge = 10**30 + 7
    body = {"type": _unique_type(), "scheduledAt": PAST, "metadata": {"n": huge, "x": -(2**70)}}
    single = backend.auto("POST", "/tasks", json=body)
    batch = backend.auto("POST", "/tasks/batch", json={"tasks": [body]})
    assert single.status_code == 201, single.text
    assert batch.status_code == 200, batch.text
    for answer in (single.json(), batch.json()["tasks"][0]):
        assert answer["metadata"] == {"n": huge, "x": -(2**70)}
        stored = backend.auto("GET", f"/tasks/{answer['id']}")
        assert stored.json()["metadata"]["n"] == huge
    assert "Traceback" not in backend.logs()


def test_sent_mark_answers_the_unusual_and_writes_once(backend: LiveBackend) -> None:
    """`PUT /reminders/{id}/sent`: errors, bad bodies, query strings and wrong roles get their
    problem answers, a plain mark answers as the reminder reads back, nothing is written twice."""
    case, task, reminder = _recorded_reminder(backend)
    url = f"/reminders/{reminder['id']}/sent"
    for body in ({"status": "DELIVERED"}, {"status": "SENT", "sentAt": "yesterday"}, [1]):
        bad = backend.auto("PUT", url, json=body)
        assert bad.status_code == 422, (body, bad.text)
        assert bad.headers["content-type"] == "application/problem+json"
    unknown = backend.auto("PUT", "/reminders/rem_nope/sent", json={"status": "SENT"})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    admin_only = make_key(backend.db_url, "hot-admin-sent", "ADMIN")
    for _ in range(2):  # the second call would be answered from the credential cache
        denied = backend.http.put(
            backend.automation_url + url,
            json={"status": "SENT"},
            headers={"Authorization": f"Bearer {admin_only}"},
        )
        assert denied.status_code == 403
    assert backend.auto("GET", f"/reminders/{reminder['id']}").json()["status"] == "SCHEDULED"
    completion = {"id": task["id"], "leaseToken": task["leaseToken"], "result": {"ok": 1}}
    sent = backend.auto(
        "PUT", url, json={"status": "SENT", "caseNote": "sent", "completeTask": completion}
    )
    assert sent.status_code == 200, sent.text
    assert sent.headers.get("x-request-id")
    answer = sent.json()
    assert answer["status"] == "SENT" and answer["task"]["status"] == "COMPLETED"
    stored = backend.auto("GET", f"/reminders/{reminder['id']}").json()
    assert {**answer, "task": None} == stored
    again = backend.auto("PUT", url + "?verbose=1", json={"status": "SENT"})  # via the route
    assert again.status_code == 200 and again.json()["sentAt"] == answer["sentAt"]
    assert _audit_actions(backend, case["id"])["reminder.sent"] == 1
    notes = backend.admin("GET", f"/recovery-cases/{case['id']}").json()["notes"]
    assert [note["body"] for note in notes] == ["sent"]


def test_a_sent_mark_records_the_case_as_a_case_update_does(backend: LiveBackend) -> None:
    """The sent-mark writes the case in plain statements: its audit entry must show the case
    as the case's own update does (same fields, same formats), and the case must read back as
    it says."""
    case, _, reminder = _recorded_reminder(backend)
    sent = backend.auto(
        "PUT",
        f"/reminders/{reminder['id']}/sent",
        json={"status": "SENT", "caseNote": "sent", "sentAt": "2026-03-04T05:06:07.123456Z"},
    )
    assert sent.status_code == 200, sent.text
    moved = backend.auto("PUT", f"/recovery-cases/{case['id']}", json={"priority": "LOW"})
    assert moved.status_code == 200, moved.text
    events = backend.admin(
        "GET", "/audit-events", params={"recoveryCaseId": case["id"], "limit": 100}
    ).json()["events"]
    by_mark, by_update = sorted(
        (e for e in events if e["action"] == "case.updated"), key=lambda e: e["at"]
    )
    assert by_mark["before"].keys() == by_update["before"].keys() == by_update["after"].keys()
    assert by_mark["after"]["status"] == "IN_PROGRESS"
    # amounts in the currency's minor units, as the API answers them, in every entry
    created = next(e for e in events if e["action"] == "case.created")
    for snapshot in (created["after"], by_mark["before"], by_mark["after"], by_update["after"]):
        assert (snapshot["amount"], snapshot["amountPaid"]) == ("5000.00", "0.00"), snapshot
    assert by_mark["after"]["lastReminderSentAt"] == "2026-03-04T05:06:07.123456Z"
    assert by_update["before"] == {**by_mark["after"], "priority": by_update["before"]["priority"]}
    detail = backend.auto("GET", f"/recovery-cases/{case['id']}").json()
    assert detail["lastReminderSentAt"] == "2026-03-04T05:06:07.123456Z"
    assert detail["status"] == "IN_PROGRESS" and detail["priority"] == "LOW"
