"""Issue 14.3: assigning a case to a collector through the management API
(`POST /api/v1/recovery-cases/{id}/assign`), the twin of the case page's "Assign", on SQLite
and PostgreSQL: audited, shown on the collector's worklist, unknown users refused unchanged."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.support.backend import LiveBackend
from tests.support.workspace import create_user


def _assign(backend: LiveBackend, key: str, case_id: str, user_id: str | None) -> httpx.Response:
    return backend.http.post(
        f"{backend.base_url}/api/v1/recovery-cases/{case_id}/assign",
        headers={"Authorization": f"Bearer {key}"},
        json={"userId": user_id},
    )


def _mine(backend: LiveBackend, user_id: str) -> list[str]:
    answer = backend.admin("GET", "/worklist", params={"assignee": user_id})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return [i["id"] for i in items]


def test_an_agent_assigns_a_case_to_a_collector_and_back_to_nobody(backend: LiveBackend) -> None:
    collector = create_user(backend, "AGENT")
    case = backend.new_case(invoiceNumber=f"INV-AS-{secrets.token_hex(3)}")

    answer = _assign(backend, backend.agent_key, case["id"], collector.id)
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == case["id"]
    assert _mine(backend, collector.id) == [case["id"]]
    timeline = backend.admin("GET", f"/recovery-cases/{case['id']}").json()["timeline"]
    assigned = [e for e in timeline if e["action"] == "case.assigned"]
    assert [e["after"]["assigneeUserId"] for e in assigned] == [collector.id]

    assert _assign(backend, backend.agent_key, case["id"], None).status_code == 200
    assert _mine(backend, collector.id) == []


def test_assigning_to_an_unknown_user_is_404_and_changes_nothing(backend: LiveBackend) -> None:
    collector = create_user(backend, "AGENT")
    case = backend.new_case()
    assert _assign(backend, backend.admin_key, case["id"], collector.id).status_code == 200

    refused = _assign(backend, backend.admin_key, case["id"], "user_doesnotexist")
    assert refused.status_code == 404, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert _mine(backend, collector.id) == [case["id"]]
    unknown_case = _assign(backend, backend.admin_key, "case_doesnotexist", collector.id)
    assert unknown_case.status_code == 404
