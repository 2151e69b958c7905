"""`Idempotency-Key` on POSTs (contract §4), including concurrent same-key requests."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import httpx

from tests.support.backend import LiveBackend


def _task_body(case_id: str, template: str = "reminder-1") -> dict[str, Any]:
    return {
        "type": "REMINDER",
        "scheduledAt": "2024-01-15T10:00:00Z",
        "recoveryCaseId": case_id,
        "metadata": {"reminderType": "EMAIL", "templateId": template},
    }


def _tasks_of_case(backend: LiveBackend, case_id: str) -> list[dict[str, Any]]:
    response = backend.auto(
        "GET",
        "/tasks/scheduled",
        params={"recoveryCaseId": case_id, "size": 500, "dueBefore": "2100-01-01T00:00:00Z"},
    )
    assert response.status_code == 200, response.text
    tasks: list[dict[str, Any]] = response.json()["tasks"]
    return tasks


def test_same_key_same_body_replays(backend: LiveBackend) -> None:
    case = backend.new_case()
    key = {"Idempotency-Key": f"task-{secrets.token_hex(8)}"}
    first = backend.auto("POST", "/tasks", json=_task_body(case["id"]), headers=key)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    second = backend.auto("POST", "/tasks", json=_task_body(case["id"]), headers=key)
    assert second.status_code == 201
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert second.json() == first.json()
    assert second.headers["content-type"].startswith("application/json")
    assert len(_tasks_of_case(backend, case["id"])) == 1


def test_same_key_other_body_is_422(backend: LiveBackend) -> None:
    case = backend.new_case()
    key = {"Idempotency-Key": secrets.token_hex(8)}
    assert backend.auto("POST", "/tasks", json=_task_body(case["id"]), headers=key).is_success
    other = backend.auto("POST", "/tasks", json=_task_body(case["id"], "other"), headers=key)
    assert other.status_code == 422, other.text
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    # the same key on another endpoint is another request, also refused
    elsewhere = backend.auto(
        "POST",
        "/notifications",
        json={
            "recoveryCaseId": case["id"],
            "type": "EMAIL",
            "recipient": "a@example.com",
            "body": "x",
        },
        headers=key,
    )
    assert elsewhere.status_code == 422
    assert len(_tasks_of_case(backend, case["id"])) == 1


def test_management_posts_are_idempotent_too(backend: LiveBackend) -> None:
    key = {"Idempotency-Key": secrets.token_hex(8)}
    body = {"name": f"Idem {secrets.token_hex(3)}", "email": "idem@example.com"}
    first = backend.admin("POST", "/customers", json=body, headers=key)
    second = backend.admin("POST", "/customers", json=body, headers=key)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("idempotent-replayed") == "true"
    assert first.json()["id"] == second.json()["id"]
    case = backend.new_case(customer_id=first.json()["id"], amount="100.00")
    pay_key = {"Idempotency-Key": secrets.token_hex(8)}
    pay = {"amount": 10, "currency": "USD"}
    p1 = backend.admin("POST", f"/recovery-cases/{case['id']}/payments", json=pay, headers=pay_key)
    p2 = backend.admin("POST", f"/recovery-cases/{case['id']}/payments", json=pay, headers=pay_key)
    assert p1.status_code == p2.status_code == 201, (p1.text, p2.text)
    assert p2.headers.get("idempotent-replayed") == "true"
    detail = backend.admin("GET", f"/recovery-cases/{case['id']}")
    assert '"amountOutstanding":90.00' in detail.text


def test_concurrent_identical_posts_create_one_task(backend: LiveBackend) -> None:
    case = backend.new_case()
    key = f"concurrent-{secrets.token_hex(8)}"
    body = _task_body(case["id"])
    threads = 20
    barrier = Barrier(threads)

    def post(_: int) -> httpx.Response:
        with httpx.Client(
            base_url=backend.automation_url,
            headers={"Authorization": f"Bearer {backend.automation_key}", "Idempotency-Key": key},
            timeout=30,
        ) as client:
            barrier.wait()
            return client.post("/tasks", json=body)

    with ThreadPoolExecutor(threads) as pool:
        responses = list(pool.map(post, range(threads)))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [(r.status_code, r.text) for r in responses]
    created = [r for r in responses if r.status_code == 201]
    assert created, statuses
    originals = [r for r in created if r.headers.get("idempotent-replayed") != "true"]
    assert len(originals) == 1, statuses
    assert {r.json()["id"] for r in created} == {originals[0].json()["id"]}
    for conflict in (r for r in responses if r.status_code == 409):
        assert conflict.headers["content-type"].startswith("application/problem+json")
        assert conflict.headers.get("retry-after")
    stored = _tasks_of_case(backend, case["id"])
    assert [t["id"] for t in stored] == [originals[0].json()["id"]]
    # after the dust settles the key answers with a replay
    again = backend.auto("POST", "/tasks", json=body, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"


def test_keys_are_scoped_per_caller(backend: LiveBackend) -> None:
    created = backend.admin(
        "POST", "/service-clients", json={"name": "second-worker", "roles": ["AUTOMATION_SERVICE"]}
    )
    other_key = created.json()["apiKey"]
    case = backend.new_case()
    key = {"Idempotency-Key": f"shared-{secrets.token_hex(6)}"}
    mine = backend.auto("POST", "/tasks", json=_task_body(case["id"]), headers=key)
    theirs = backend.http.post(
        backend.automation_url + "/tasks",
        json=_task_body(case["id"]),
        headers={**key, "Authorization": f"Bearer {other_key}"},
        timeout=10,
    )
    assert mine.status_code == theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    assert len(_tasks_of_case(backend, case["id"])) == 2


def test_key_length_is_bounded(backend: LiveBackend) -> None:
    case = backend.new_case()
    ok = backend.auto(
        "POST", "/tasks", json=_task_body(case["id"]), headers={"Idempotency-Key": "k" * 255}
    )
    assert ok.status_code == 201, ok.text
    for bad in ("k" * 256, ""):
        response = backend.auto(
            "POST", "/tasks", json=_task_body(case["id"]), headers={"Idempotency-Key": bad}
        )
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert len(_tasks_of_case(backend, case["id"])) == 1


def test_failed_request_does_not_burn_the_key(backend: LiveBackend) -> None:
    key = {"Idempotency-Key": secrets.token_hex(8)}
    bad = backend.auto("POST", "/tasks", json=_task_body("case-doesnotexist"), headers=key)
    assert bad.status_code == 422
    case = backend.new_case()
    # a corrected request under a fresh key works; the failed key answers the same error again
    again = backend.auto("POST", "/tasks", json=_task_body("case-doesnotexist"), headers=key)
    assert again.status_code == 422
    assert (
        backend.auto(
            "POST",
            "/tasks",
            json=_task_body(case["id"]),
            headers={"Idempotency-Key": "fresh" + key["Idempotency-Key"]},
        ).status_code
        == 201
    )
