"""Outbound webhooks end to end: a real receiver verifies every delivery (standardwebhooks),
each event arrives once per case in order across 500s and a worker SIGKILLed mid-delivery,
a delivery that keeps failing is FAILED and redeliverable, private receivers are refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from payrec.automation.webhooks import RefusedAddress, pin_target
from payrec.server.db import Database
from payrec.server.events.service import emit
from payrec.server.models import WebhookDelivery
from tests.support.backend import LiveBackend, wait_until
from tests.support.webhook_receiver import Receiver
from tests.support.workers import start_worker

ALL_EVENTS = ["case.created", "case.updated", "case.resolved", "payment.recorded"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def hooks_backend(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> LiveBackend:
    return backend_factory(
        request.param,
        env={
            "PAYREC_WEBHOOK_ALLOW_PRIVATE": "true",
            "PAYREC_WEBHOOK_RETRY_BASE_SECONDS": "0.05",
            "PAYREC_WEBHOOK_MAX_ATTEMPTS": "6",
        },
    )


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


def _endpoint(backend: LiveBackend, receiver: Receiver, path: str, events: list[str]) -> str:
    response = backend.admin(
        "POST", "/webhook-endpoints", json={"url": receiver.base_url + path, "events": events}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["events"] == sorted(events)
    receiver.secrets[path] = body["secret"]
    listed = backend.admin("GET", "/webhook-endpoints").json()["endpoints"]
    assert all(e["secret"] is None for e in listed)  # shown once
    return str(body["id"])


def _pay(backend: LiveBackend, case_id: str, amount: str) -> None:
    response = backend.admin(
        "POST",
        f"/recovery-cases/{case_id}/payments",
        content=f'{{"amount": {amount}, "currency": "USD"}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text


def _deliveries(backend: LiveBackend, endpoint_id: str) -> list[dict[str, Any]]:
    response = backend.admin("GET", f"/webhook-endpoints/{endpoint_id}/deliveries")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["deliveries"]
    return items


def _collapsed(ids: list[str]) -> list[str]:
    out: list[str] = []
    for i in ids:
        if not out or out[-1] != i:
            out.append(i)
    return out


def test_each_event_once_in_case_order_across_500s_and_a_killed_worker(
    hooks_backend: LiveBackend, receiver: Receiver
) -> None:
    backend = hooks_backend
    path = f"/hooks-{backend.kind}"
    endpoint_id = _endpoint(backend, receiver, path, ALL_EVENTS)
    customer = backend.new_customer()
    cases = [backend.new_case(customer["id"], amount="100.00") for _ in range(3)]
    for case in cases:
        _pay(backend, case["id"], "40.00")
        _pay(backend, case["id"], "60.00")
    expected = {c["id"]: ["case.created", "payment.recorded", "payment.recorded", "case.resolved"]
                for c in cases}  # fmt: skip
    assert len(_deliveries(backend, endpoint_id)) == 12  # in the outbox with the changes

    receiver.held.clear()
    receiver.release.clear()
    receiver.hold_next.set()
    first = start_worker(backend, smtp_url=None, services="webhooks", name="wh1")
    try:
        assert receiver.held.wait(60), first.logs()
        first.process.kill()  # SIGKILL mid-delivery: its lease must expire
        first.process.wait()
    finally:
        receiver.release.set()
        first.kill()
    with receiver.lock:
        receiver.failing[path] = 4  # then the receiver answers 500 for a while
    second = start_worker(backend, smtp_url=None, services="webhooks", name="wh2")
    try:
        wait_until(
            lambda: all(d["status"] == "SUCCEEDED" for d in _deliveries(backend, endpoint_id)),
            timeout=60,
            message="every delivery succeeds",
        )
    finally:
        second.terminate()
    seen = receiver.of(path)
    assert all(r.verified for r in seen)
    assert sum(r.answered == 500 for r in seen) == 4
    by_case: dict[str, list[str]] = {}
    types: dict[str, str] = {}
    for r in seen:
        assert r.body["type"] and r.body["timestamp"]
        by_case.setdefault(r.body["data"]["recoveryCaseId"], []).append(r.webhook_id)
        types[r.webhook_id] = r.body["type"]
    for case_id, ids in by_case.items():
        order = _collapsed(ids)
        assert len(order) == len(set(order)), f"case {case_id} out of order: {ids}"
        assert [types[i] for i in order] == expected[case_id]
    assert set(by_case) == set(expected)
    deliveries = _deliveries(backend, endpoint_id)
    retried = [d for d in deliveries if len(d["attemptLog"]) > 1]
    assert retried and all(d["attempts"] == len(d["attemptLog"]) for d in deliveries)
    codes = [a["statusCode"] for d in deliveries for a in d["attemptLog"]]
    # an answer whose report comes after its lease ran out (a loaded machine) is logged as
    # "lease expired" and delivered again: at least once, never fewer than one 200 each
    assert 1 <= codes.count(500) <= 4 and codes.count(200) >= 12
    assert any(
        a["error"] and "lease expired" in a["error"] for d in retried for a in d["attemptLog"]
    )
    assert all(a["latencyMs"] is not None for d in deliveries for a in d["attemptLog"]
               if a["statusCode"])  # fmt: skip


def test_a_delivery_that_keeps_failing_is_failed_then_redelivered(
    hooks_backend: LiveBackend, receiver: Receiver
) -> None:
    backend = hooks_backend
    path = f"/down-{backend.kind}"
    endpoint_id = _endpoint(backend, receiver, path, ["customer.opted_out"])
    receiver.always_fail.add(path)
    customer = backend.new_customer()
    response = backend.admin(
        "POST", f"/customers/{customer['id']}/opt-out", json={"channel": "EMAIL"}
    )
    assert response.status_code in (200, 204), response.text
    worker = start_worker(backend, smtp_url=None, services="webhooks", name="wh3")
    try:
        wait_until(
            lambda: [d["status"] for d in _deliveries(backend, endpoint_id)] == ["FAILED"],
            timeout=30,
            message="the delivery gives up after its attempts",
        )
        (failed,) = _deliveries(backend, endpoint_id)
        listed = backend.admin("GET", "/webhook-endpoints").json()["endpoints"]
        assert {e["id"]: e["lastDeliveryStatus"] for e in listed}[endpoint_id] == "FAILED"
        assert (
            failed["attempts"] == 6 and [a["statusCode"] for a in failed["attemptLog"]] == [500] * 6
        )
        receiver.always_fail.discard(path)
        redo = backend.admin(
            "POST", f"/webhook-endpoints/{endpoint_id}/deliveries/{failed['id']}/redeliver"
        )
        assert redo.status_code == 200, redo.text
        wait_until(
            lambda: [d["status"] for d in _deliveries(backend, endpoint_id)] == ["SUCCEEDED"],
            timeout=30,
            message="the redelivery succeeds",
        )
    finally:
        worker.terminate()
    seen = receiver.of(path)
    assert len({r.webhook_id for r in seen}) == 1 and all(r.verified for r in seen)
    assert seen[-1].body["type"] == "customer.opted_out" and seen[-1].answered == 200
    assert seen[-1].body["data"]["customerId"] == customer["id"]
    assert backend.admin("DELETE", f"/webhook-endpoints/{endpoint_id}").status_code == 204
    assert backend.admin("GET", f"/webhook-endpoints/{endpoint_id}").status_code == 404


def test_a_receiver_on_loopback_is_refused_without_the_setting(
    backend: LiveBackend, receiver: Receiver
) -> None:
    for url in (receiver.base_url + "/x", "http://localhost:9/x", "http://169.254.169.254/x",
                "http://10.1.2.3/x", "http://[::1]/x"):  # fmt: skip
        response = backend.admin(
            "POST", "/webhook-endpoints", json={"url": url, "events": ["case.created"]}
        )
        assert response.status_code == 422, (url, response.text)
        assert "PAYREC_WEBHOOK_ALLOW_PRIVATE" in response.text
    bad = backend.admin(
        "POST",
        "/webhook-endpoints",
        json={"url": "ftp://example.com/x", "events": ["case.created"]},
    )
    assert bad.status_code == 422
    unknown = backend.admin(
        "POST", "/webhook-endpoints", json={"url": "https://example.com/x", "events": ["nope"]}
    )
    assert unknown.status_code == 422
    agent = backend._call(backend.agent_key, "/api/v1", "GET", "/webhook-endpoints")
    assert agent.status_code == 403


def test_delivery_connects_only_to_the_checked_address() -> None:
    """Checked after DNS, on every delivery: the request goes to the address checked."""
    with pytest.raises(RefusedAddress):
        pin_target("http://127.0.0.1:8080/x", allow_private=False)
    rebinding = lambda host, port: ["10.0.0.7"]  # noqa: E731
    with pytest.raises(RefusedAddress, match="private"):
        pin_target("https://hooks.example.com/x", allow_private=False, resolver=rebinding)
    mixed = lambda host, port: ["169.254.169.254", "93.184.215.14"]  # noqa: E731
    target = pin_target(
        "https://hooks.example.com:8443/in?a=1", allow_private=False, resolver=mixed
    )
    assert target.url == "https://93.184.215.14:8443/in?a=1"
    assert target.host_header == "hooks.example.com:8443"
    assert target.sni_hostname == "hooks.example.com"
    v6 = pin_target(
        "http://h.example/x", allow_private=False, resolver=lambda h, p: ["2606:4700::1"]
    )
    assert v6.url == "http://[2606:4700::1]/x" and v6.sni_hostname is None


def test_subscribers_are_read_once_per_transaction_and_seen_at_once_from_another_backend(
    hooks_backend: LiveBackend, receiver: Receiver
) -> None:
    """The events of one transaction ask for the endpoints once; an endpoint created on another
    backend receives the events of the very next transaction (no cache across transactions)."""
    backend = hooks_backend
    db = Database(backend.db_url, pool_size=1)  # this process is "another backend"
    lookups: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "webhook_endpoints" in statement:
            lookups.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.write() as session:
            for _ in range(3):
                emit(session, "dispute.resolved", {"recoveryCaseId": "case_memo"})
        assert len(lookups) == 1
        path = f"/memo-{backend.kind}"
        endpoint_id = _endpoint(backend, receiver, path, ["dispute.resolved"])
        with db.write() as session:
            emit(session, "dispute.resolved", {"recoveryCaseId": "case_memo"})
        assert len(lookups) == 2
        assert [d["type"] for d in _deliveries(backend, endpoint_id)] == ["dispute.resolved"]
        assert backend.admin("DELETE", f"/webhook-endpoints/{endpoint_id}").status_code == 204
        with db.write() as session:
            emit(session, "dispute.resolved", {"recoveryCaseId": "case_memo"})
        with db.read() as session:
            statuses = session.scalars(
                select(WebhookDelivery.status).where(WebhookDelivery.endpoint_id == endpoint_id)
            ).all()
        assert statuses == ["CANCELLED"]  # a deleted endpoint gets no more
    finally:
        db.dispose()


def test_a_worker_reports_several_results_in_one_request(
    hooks_backend: LiveBackend, receiver: Receiver
) -> None:
    backend = hooks_backend
    endpoint_id = _endpoint(backend, receiver, f"/batch-{backend.kind}", ["promise.created"])
    db = Database(backend.db_url, pool_size=1)
    try:
        with db.write() as session:
            for case_id in ("case_batch_1", "case_batch_2"):
                emit(session, "promise.created", {"recoveryCaseId": case_id})
    finally:
        db.dispose()
    claimed = backend.auto(
        "POST", "/webhook-deliveries/claim", json={"workerId": "t", "limit": 100}
    )
    assert claimed.status_code == 200, claimed.text
    ours = {d["id"]: d for d in _deliveries(backend, endpoint_id)}
    first, second = sorted(
        (d for d in claimed.json()["deliveries"] if d["id"] in ours),
        key=lambda d: str(d["recoveryCaseId"]),
    )
    results = [
        {"id": first["id"], "leaseToken": first["leaseToken"], "succeeded": True,
         "statusCode": 200, "latencyMs": 5},
        {"id": second["id"], "leaseToken": second["leaseToken"], "succeeded": False,
         "statusCode": 503, "latencyMs": 7, "error": "HTTP 503"},
        {"id": "whd-nope", "leaseToken": "x", "succeeded": True},
        {"id": first["id"], "leaseToken": first["leaseToken"], "succeeded": False},
    ]  # fmt: skip
    answer = backend.auto("POST", "/webhook-deliveries/results", json={"results": results})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "recorded": [
            {"id": first["id"], "status": "SUCCEEDED"},
            {"id": second["id"], "status": "PENDING"},  # retried later, with backoff
        ],
        "stale": [
            {"id": "whd-nope", "reason": "not-found"},
            {"id": first["id"], "reason": "stale-lease"},  # its lease was spent just before
        ],
    }
    by_id = {d["id"]: d for d in _deliveries(backend, endpoint_id)}
    assert [(a["statusCode"], a["latencyMs"]) for a in by_id[first["id"]]["attemptLog"]] == [
        (200, 5)
    ]
    assert by_id[second["id"]]["attempts"] == 1 and by_id[second["id"]]["lastError"] == "HTTP 503"
    # the one-result PUT answers as before: 409 for a spent lease, 404 for no such delivery
    body = {"leaseToken": first["leaseToken"], "succeeded": True}
    assert (
        backend.auto("PUT", f"/webhook-deliveries/{first['id']}/result", json=body).status_code
        == 409
    )
    assert backend.auto("PUT", "/webhook-deliveries/whd-nope/result", json=body).status_code == 404
    empty = backend.auto("POST", "/webhook-deliveries/results", json={"results": []})
    assert empty.status_code == 422
    assert backend.admin("DELETE", f"/webhook-endpoints/{endpoint_id}").status_code == 204
