"""Policies: CRUD, validation (422 naming the field), the shipped default, resolution."""

from __future__ import annotations

import copy
import secrets
from typing import Any

import pytest

from payrec.domain.policy import DEFAULT_POLICY, policy_from_dict, policy_to_dict
from tests.support.backend import LiveBackend

LADDER: dict[str, Any] = {
    "name": "Gentle B2B ladder",
    "steps": [
        {"offsetDays": -3, "channel": "EMAIL", "templateId": "reminder-friendly"},
        {"offsetDays": 7, "channel": "EMAIL", "templateId": "reminder-1", "priority": "MEDIUM"},
        {"offsetDays": 7, "channel": "SMS", "templateId": "sms-reminder"},
        {"offsetDays": 21, "channel": "CALL", "templateId": "call-collector", "priority": "HIGH"},
    ],
    "sendWindow": {"start": "09:00", "end": "18:00", "weekends": False},
    "businessDaysOnly": True,
    "maxContactsPer7Days": 2,
}


def _create(backend: LiveBackend, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = backend.admin("POST", "/policies", json=body or LADDER)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _field_error(response: Any) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    field: str = response.json()["errors"][0]["field"]
    return field


def test_shipped_default_is_listed_and_readable(backend: LiveBackend) -> None:
    listed = backend.admin("GET", "/policies")
    assert listed.status_code == 200
    first = listed.json()["policies"][0]
    assert first["id"] == "policy-default" and first["shipped"] is True
    one = backend.admin("GET", "/policies/policy-default").json()
    shipped = policy_to_dict(DEFAULT_POLICY)
    assert {k: one[k] for k in shipped} == shipped
    auto = backend.auto("GET", "/policies/policy-default")
    assert auto.status_code == 200 and policy_from_dict(auto.json()).id == "policy-default"


def test_create_read_replace_round_trip(backend: LiveBackend) -> None:
    created = _create(backend)
    policy_id = created["id"]
    assert policy_id.startswith("policy-") and created["shipped"] is False
    assert created["steps"][1] == {
        "offsetDays": 7,
        "channel": "EMAIL",
        "templateId": "reminder-1",
        "priority": "MEDIUM",
        "attachInvoice": False,
        "attachLetter": False,
    }
    assert created["sendWindow"] == {"start": "09:00", "end": "18:00", "weekends": False}
    assert backend.admin("GET", f"/policies/{policy_id}").json() == created

    changed = copy.deepcopy(LADDER)
    changed["maxContactsPer7Days"] = None
    changed["steps"] = changed["steps"][:2]
    put = backend.admin("PUT", f"/policies/{policy_id}", json=changed)
    assert put.status_code == 200, put.text
    assert put.json()["maxContactsPer7Days"] is None and len(put.json()["steps"]) == 2
    again = backend.admin("PUT", f"/policies/{policy_id}", json=changed)
    assert again.json() == put.json()  # PUT is idempotent

    worker_view = backend.auto("GET", f"/policies/{policy_id}").json()
    assert policy_to_dict(policy_from_dict(worker_view)) == worker_view
    ids = [
        p["id"]
        for p in backend.admin("GET", "/policies", params={"limit": 1000}).json()["policies"]
    ]
    assert policy_id in ids

    audit = backend.admin(
        "GET", "/audit-events", params={"entityType": "policy", "entityId": policy_id}
    )
    assert audit.status_code == 200, audit.text
    assert [e["action"] for e in audit.json()["events"]].count("policy.updated") == 1


def test_client_chosen_id_and_conflicts(backend: LiveBackend) -> None:
    policy_id = f"b2b-{secrets.token_hex(4)}"
    assert _create(backend, {**LADDER, "id": policy_id})["id"] == policy_id
    assert backend.admin("POST", "/policies", json={**LADDER, "id": policy_id}).status_code == 409
    dup_default = backend.admin("POST", "/policies", json={**LADDER, "id": "policy-default"})
    assert dup_default.status_code == 409
    mismatch = backend.admin("PUT", f"/policies/{policy_id}", json={**LADDER, "id": "other"})
    assert _field_error(mismatch) == "id"
    assert backend.admin("PUT", "/policies/policy-nope", json=LADDER).status_code == 404
    assert backend.admin("GET", "/policies/policy-nope").status_code == 404


def _step(**changes: Any) -> dict[str, Any]:
    return {**LADDER, "steps": [{**LADDER["steps"][0], **changes}]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**LADDER, "name": ""}, "name"),
        ({**LADDER, "name": "Gentle\u0000"}, "name"),
        ({k: v for k, v in LADDER.items() if k != "name"}, "name"),
        ({**LADDER, "steps": []}, "steps"),
        ({**LADDER, "steps": list(reversed(LADDER["steps"]))}, "steps[1].offsetDays"),
        (_step(channel="FAX"), "steps[0].channel"),
        (_step(offsetDays="3"), "steps[0].offsetDays"),
        (_step(offsetDays=99999), "steps[0].offsetDays"),
        (_step(priority="URGENT"), "steps[0].priority"),
        (_step(templateId="no-such-template"), "steps[0].templateId"),
        (_step(channel="SMS"), "steps[0].templateId"),  # an EMAIL template on an SMS step
        ({**LADDER, "sendWindow": {"start": "18:00", "end": "09:00"}}, "sendWindow"),
        ({**LADDER, "sendWindow": {"start": "9am"}}, "sendWindow.start"),
        ({**LADDER, "maxContactsPer7Days": 0}, "maxContactsPer7Days"),
        ({**LADDER, "businessDaysOnly": "yes"}, "businessDaysOnly"),
        ({**LADDER, "colour": "blue"}, "policy"),
    ],
)
def test_invalid_policies_are_refused_with_their_field(
    backend: LiveBackend, body: dict[str, Any], field: str
) -> None:
    assert _field_error(backend.admin("POST", "/policies", json=body)) == field


def test_agent_reads_but_cannot_write(backend: LiveBackend) -> None:
    agent = {"Authorization": f"Bearer {backend.agent_key}"}
    url = backend.base_url + "/api/v1/policies"
    import httpx

    assert httpx.get(url, headers=agent).status_code == 200
    assert httpx.post(url, headers=agent, json=LADDER).status_code == 403
    assert backend.auto("GET", "/policies/policy-default").status_code == 200
    assert backend.admin("GET", "/automation/policies/policy-default").status_code == 403


def test_effective_policy_case_then_customer_then_default(backend: LiveBackend) -> None:
    case_policy = _create(backend)["id"]
    customer_policy = _create(backend, {**LADDER, "name": "Customer ladder"})["id"]

    plain = backend.new_case()
    answer = backend.auto("GET", f"/recovery-cases/{plain['id']}/policy")
    assert answer.status_code == 200
    assert answer.json()["source"] == "DEFAULT"
    assert answer.json()["policy"]["id"] == "policy-default"

    customer = backend.new_customer(policyId=customer_policy)
    by_customer = backend.new_case(customer["id"])
    body = backend.auto("GET", f"/recovery-cases/{by_customer['id']}/policy").json()
    assert (body["source"], body["policy"]["id"]) == ("CUSTOMER", customer_policy)
    assert policy_from_dict(body["policy"]).name == "Customer ladder"

    by_case = backend.new_case(customer["id"], policyId=case_policy)
    body = backend.auto("GET", f"/recovery-cases/{by_case['id']}/policy").json()
    assert (body["source"], body["policy"]["id"]) == ("CASE", case_policy)

    assert backend.auto("GET", "/recovery-cases/case-nope/policy").status_code == 404


def test_default_can_be_overridden_and_restored(backend: LiveBackend) -> None:
    shipped = policy_to_dict(DEFAULT_POLICY)
    tuned = {**shipped, "maxContactsPer7Days": 5}
    try:
        put = backend.admin("PUT", "/policies/policy-default", json=tuned)
        assert put.status_code == 200, put.text
        assert put.json()["overridden"] is True and put.json()["maxContactsPer7Days"] == 5
        worker_view = backend.auto("GET", "/policies/policy-default").json()
        assert worker_view["maxContactsPer7Days"] == 5
        case = backend.new_case()
        effective = backend.auto("GET", f"/recovery-cases/{case['id']}/policy").json()
        assert effective["policy"]["maxContactsPer7Days"] == 5
    finally:
        restored = backend.admin("PUT", "/policies/policy-default", json=shipped)
        assert restored.status_code == 200
    assert backend.auto("GET", "/policies/policy-default").json() == shipped


@pytest.mark.parametrize(
    ("api", "path", "raw", "status"),
    [
        ("admin", "/policies", b"{not json", 400),
        ("admin", "/policies", b"[1, 2]", 422),
        ("admin", "/policies", b'{"name": "x", "steps": [{"offsetDays": 1e400}]}', 422),
        ("admin", "/templates", b"{not json", 400),
        ("auto", "/recovery-cases/case-x/render", b"{not json", 400),
    ],
)
def test_malformed_bodies_are_problems_not_errors(
    backend: LiveBackend, api: str, path: str, raw: bytes, status: int
) -> None:
    call = backend.admin if api == "admin" else backend.auto
    answer = call("POST", path, content=raw, headers={"Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_create_with_idempotency_key_replays(backend: LiveBackend) -> None:
    key = {"Idempotency-Key": "policy-" + secrets.token_hex(8)}
    first = backend.admin("POST", "/policies", json=LADDER, headers=key)
    second = backend.admin("POST", "/policies", json=LADDER, headers=key)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["id"] == second.json()["id"]
