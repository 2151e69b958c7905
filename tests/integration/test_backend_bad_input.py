"""Bad input never yields a 500 nor a partial write: a table of requests and their problem+json."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.backend import LiveBackend

PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Case:
    """One bad request: `{case}`/`{customer}` in path or body are filled with real ids."""

    id: str
    method: str
    path: str
    status: int
    body: Any = None  # dict/list -> JSON; str/bytes -> sent raw
    api: str = "auto"  # auto | admin
    params: dict[str, Any] = field(default_factory=dict)
    where: str | None = None  # expected errors[].field (validation errors)
    headers: dict[str, str] = field(default_factory=dict)


def _task(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "REMINDER",
        "scheduledAt": "2024-01-15T10:00:00Z",
        "recoveryCaseId": "{case}",
        "metadata": {"reminderType": "EMAIL"},
        **overrides,
    }


def _new_case(**overrides: Any) -> dict[str, Any]:
    return {
        "customerId": "{customer}",
        "invoiceNumber": "INV-BAD-1",
        "amount": 5000.00,
        "currency": "USD",
        "dueDate": "2024-01-10",
        "priority": "HIGH",
        **overrides,
    }


def _raw_case(amount: str, currency: str = "USD") -> str:
    return (
        '{"customerId": "{customer}", "amount": ' + amount + ', "currency": "' + currency + '", '
        '"dueDate": "2024-01-10", "priority": "HIGH"}'
    )


CASES = [
    # malformed JSON -> 400
    Case("json-truncated", "POST", "/tasks", 400, '{"type": "REMINDER", '),
    Case("json-garbage-admin", "POST", "/customers", 400, "name=Acme", api="admin"),
    Case("json-trailing-comma", "POST", "/tasks", 400, '{"type": "REMINDER",}'),
    Case("json-not-utf8", "POST", "/tasks", 400, b'{"type": "\xff\xfe"}'),
    Case("json-deeply-nested", "POST", "/tasks", 400, "[" * 50_000 + "]" * 50_000),
    Case("json-nan-amount", "POST", "/recovery-cases", 400, _raw_case("NaN"), api="admin"),
    Case("json-infinity", "POST", "/recovery-cases", 400, _raw_case("Infinity"), api="admin"),
    # wrong shapes and types -> 422
    Case("body-is-a-list", "POST", "/tasks", 422, [1, 2, 3]),
    Case("body-empty", "POST", "/tasks", 422, ""),
    Case("type-not-string", "POST", "/tasks", 422, _task(type=123), where="type"),
    Case(
        "timestamp-not-a-time",
        "POST",
        "/tasks",
        422,
        _task(scheduledAt="yesterday"),
        where="scheduledAt",
    ),
    Case(
        "timestamp-month-13",
        "POST",
        "/tasks",
        422,
        _task(scheduledAt="2024-13-01T00:00:00Z"),
        where="scheduledAt",
    ),
    Case(
        "timestamp-out-of-range",
        "POST",
        "/tasks",
        422,
        _task(scheduledAt="0001-01-01T00:00:00+14:00"),
        where="scheduledAt",
    ),
    Case("metadata-not-object", "POST", "/tasks", 422, _task(metadata="x"), where="metadata"),
    Case("required-null", "POST", "/tasks", 422, _task(type=None), where="type"),
    Case(
        "max-attempts-huge", "POST", "/tasks", 422, _task(maxAttempts=10**30), where="maxAttempts"
    ),
    Case(
        "amount-string",
        "POST",
        "/recovery-cases",
        422,
        _new_case(amount="lots"),
        api="admin",
        where="amount",
    ),
    Case(
        "amount-bool",
        "POST",
        "/recovery-cases",
        422,
        _new_case(amount=True),
        api="admin",
        where="amount",
    ),
    # money
    Case(
        "amount-negative",
        "POST",
        "/recovery-cases",
        422,
        _raw_case("-5.00"),
        api="admin",
        where="amount",
    ),
    Case(
        "amount-zero", "POST", "/recovery-cases", 422, _raw_case("0"), api="admin", where="amount"
    ),
    Case(
        "amount-over-precise-usd",
        "POST",
        "/recovery-cases",
        422,
        _raw_case("1.001"),
        api="admin",
        where="amount",
    ),
    Case(
        "amount-over-precise-jpy",
        "POST",
        "/recovery-cases",
        422,
        _raw_case("1.5", "JPY"),
        api="admin",
        where="amount",
    ),
    Case(
        "amount-huge",
        "POST",
        "/recovery-cases",
        422,
        _raw_case("1e400"),
        api="admin",
        where="amount",
    ),
    Case(
        "currency-unknown",
        "POST",
        "/recovery-cases",
        422,
        _new_case(currency="XYZ"),
        api="admin",
        where="currency",
    ),
    Case(
        "currency-lowercase-junk",
        "POST",
        "/recovery-cases",
        422,
        _new_case(currency="us"),
        api="admin",
        where="currency",
    ),
    Case(
        "payment-over-precise",
        "POST",
        "/recovery-cases/{case}/payments",
        422,
        '{"amount": 1.001, "currency": "USD"}',
        api="admin",
        where="amount",
    ),
    Case(
        "payment-negative",
        "POST",
        "/recovery-cases/{case}/payments",
        422,
        '{"amount": -1, "currency": "USD"}',
        api="admin",
        where="amount",
    ),
    # dates
    Case(
        "date-feb-30",
        "POST",
        "/recovery-cases",
        422,
        _new_case(dueDate="2024-02-30"),
        api="admin",
        where="dueDate",
    ),
    Case(
        "date-garbage",
        "POST",
        "/recovery-cases",
        422,
        _new_case(dueDate="soon"),
        api="admin",
        where="dueDate",
    ),
    # unknown ids: in the path -> 404, referenced from a body -> 422
    Case("path-case-auto", "GET", "/recovery-cases/case-doesnotexist", 404),
    Case("path-case-put", "PUT", "/recovery-cases/case-doesnotexist", 404, {"notes": "x"}),
    Case("path-case-admin", "GET", "/recovery-cases/case-doesnotexist", 404, api="admin"),
    Case("path-customer", "GET", "/customers/cust-doesnotexist", 404, api="admin"),
    Case(
        "path-customer-patch",
        "PATCH",
        "/customers/cust-doesnotexist",
        404,
        {"name": "x"},
        api="admin",
    ),
    Case(
        "path-payment-case",
        "POST",
        "/recovery-cases/case-doesnotexist/payments",
        404,
        {"amount": 1, "currency": "USD"},
        api="admin",
    ),
    Case(
        "path-reminder",
        "PUT",
        "/reminders/rem-doesnotexist/sent",
        404,
        {"sentAt": "2024-01-15T10:00:05Z", "channel": "EMAIL", "status": "SENT"},
    ),
    Case("path-reminder-get", "GET", "/reminders/rem-doesnotexist", 404),
    Case(
        "path-notification",
        "PUT",
        "/notifications/ntf-doesnotexist/status",
        404,
        {"status": "SENT"},
    ),
    Case("path-document", "GET", "/documents/doc-doesnotexist/content", 404),
    Case("path-document-admin", "GET", "/documents/doc-doesnotexist", 404, api="admin"),
    Case("path-service-client", "DELETE", "/service-clients/svc-doesnotexist", 404, api="admin"),
    Case(
        "ref-task-case",
        "POST",
        "/tasks",
        422,
        _task(recoveryCaseId="case-doesnotexist"),
        where="recoveryCaseId",
    ),
    Case(
        "ref-case-customer",
        "POST",
        "/recovery-cases",
        422,
        _new_case(customerId="cust-doesnotexist"),
        api="admin",
        where="customerId",
    ),
    Case(
        "ref-reminder-case",
        "POST",
        "/reminders",
        422,
        {
            "recoveryCaseId": "case-doesnotexist",
            "type": "EMAIL",
            "templateId": "reminder-1",
            "scheduledFor": "2024-01-15T10:00:00Z",
            "recipient": "billing@acme.com",
        },
        where="recoveryCaseId",
    ),
    Case(
        "ref-notification-case",
        "POST",
        "/notifications",
        422,
        {
            "recoveryCaseId": "case-doesnotexist",
            "type": "EMAIL",
            "recipient": "a@example.com",
            "body": "x",
        },
        where="recoveryCaseId",
    ),
    Case(
        "ref-extraction-document",
        "POST",
        "/extractions",
        422,
        {
            "documentId": "doc-doesnotexist",
            "extractionType": "INVOICE",
            "extractedData": {},
            "confidence": 0.95,
        },
        where="documentId",
    ),
    # unknown enum values
    Case(
        "enum-priority",
        "POST",
        "/recovery-cases",
        422,
        _new_case(priority="URGENT"),
        api="admin",
        where="priority",
    ),
    Case(
        "enum-task-status",
        "PUT",
        "/tasks/task-doesnotexist/status",
        422,
        {"status": "DONE"},
        where="status",
    ),
    Case(
        "enum-case-status",
        "PUT",
        "/recovery-cases/{case}",
        422,
        {"status": "ARCHIVED"},
        where="status",
    ),
    Case(
        "enum-reminder-type",
        "POST",
        "/reminders",
        422,
        {
            "recoveryCaseId": "{case}",
            "type": "FAX",
            "templateId": "r",
            "scheduledFor": "2024-01-15T10:00:00Z",
            "recipient": "a@example.com",
        },
        where="type",
    ),
    Case(
        "enum-pending-status",
        "GET",
        "/recovery-cases/pending",
        422,
        params={"status": "RESOLVED"},
        where="status",
    ),
    Case(
        "enum-pending-priority",
        "GET",
        "/recovery-cases/pending",
        422,
        params={"priority": "URGENT"},
        where="priority",
    ),
    Case(
        "enum-document-type",
        "GET",
        "/documents/pending-extraction",
        422,
        params={"type": "RECEIPT"},
        where="type",
    ),
    Case(
        "enum-role",
        "POST",
        "/service-clients",
        422,
        {"name": "x", "roles": ["ROOT"]},
        api="admin",
        where="roles",
    ),
    # extra fields are refused, not silently dropped
    Case("extra-field-task", "POST", "/tasks", 422, _task(bogus=1), where="bogus"),
    Case(
        "extra-field-customer",
        "POST",
        "/customers",
        422,
        {"name": "x", "isAdmin": True},
        api="admin",
        where="isAdmin",
    ),
    # bad customer data
    Case(
        "customer-email",
        "POST",
        "/customers",
        422,
        {"name": "x", "email": "not-an-email"},
        api="admin",
        where="email",
    ),
    Case(
        "customer-timezone",
        "POST",
        "/customers",
        422,
        {"name": "x", "timezone": "Mars/Base"},
        api="admin",
        where="timezone",
    ),
    Case(
        "customer-name-huge",
        "POST",
        "/customers",
        422,
        {"name": "x" * 10_000},
        api="admin",
        where="name",
    ),
    Case(
        "customer-name-nul",
        "POST",
        "/customers",
        422,
        {"name": "Acme\u0000Corp"},
        api="admin",
        where="name",
    ),
    Case(
        "task-metadata-nul",
        "POST",
        "/tasks",
        422,
        _task(metadata={"k": "a\u0000b"}),
        where="metadata",
    ),
    # oversized JSON bodies
    Case("json-over-1mib", "POST", "/tasks", 413, _task(metadata={"blob": "x" * (1 << 20)})),
    # over-range paging
    Case("size-over-500", "GET", "/tasks/scheduled", 422, params={"size": 501}, where="size"),
    Case("size-zero", "GET", "/tasks/scheduled", 422, params={"size": 0}, where="size"),
    Case("page-negative", "GET", "/tasks/scheduled", 422, params={"page": -1}, where="page"),
    Case("page-huge", "GET", "/tasks/scheduled", 422, params={"page": 10**20}, where="page"),
    Case(
        "limit-over-1000",
        "GET",
        "/recovery-cases/pending",
        422,
        params={"limit": 1001},
        where="limit",
    ),
    Case("limit-zero", "GET", "/recovery-cases/pending", 422, params={"limit": 0}, where="limit"),
    Case(
        "limit-not-int",
        "GET",
        "/recovery-cases/pending",
        422,
        params={"limit": "ten"},
        where="limit",
    ),
    Case(
        "limit-docs",
        "GET",
        "/documents/pending-extraction",
        422,
        params={"limit": 5000},
        where="limit",
    ),
    Case(
        "limit-customers",
        "GET",
        "/customers",
        422,
        params={"limit": 1001},
        api="admin",
        where="limit",
    ),
    Case(
        "limit-audit", "GET", "/audit-events", 422, params={"limit": 0}, api="admin", where="limit"
    ),
    Case(
        "cursor-forged",
        "GET",
        "/recovery-cases",
        422,
        params={"cursor": "bm9wZQ"},
        api="admin",
        where="cursor",
    ),
    Case(
        "due-before-garbage",
        "GET",
        "/tasks/scheduled",
        422,
        params={"dueBefore": "never"},
        where="dueBefore",
    ),
]


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.replace("{case}", ids["case"]).replace("{customer}", ids["customer"])
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def _stored(backend: LiveBackend) -> dict[str, int]:
    """Counts that any write would move (the audit log records every state change)."""

    def total(path: str, **params: Any) -> int:
        response = backend.admin("GET", path, params={"limit": 1, **params})
        assert response.status_code == 200, response.text
        count: int = response.json()["total"]
        return count

    return {
        "audit": total("/audit-events") - total("/audit-events", action="task.lease_expired"),
        "customers": total("/customers"),
        "cases": total("/recovery-cases"),
        "documents": total("/documents"),
        "clients": backend.admin("GET", "/service-clients").json()["total"],
    }


def _send(backend: LiveBackend, case: Case, ids: dict[str, str]) -> httpx.Response:
    call: Callable[..., httpx.Response] = backend.auto if case.api == "auto" else backend.admin
    kwargs: dict[str, Any] = {"params": _fill(case.params, ids), "headers": dict(case.headers)}
    if isinstance(case.body, (dict, list)):
        kwargs["content"] = json.dumps(_fill(case.body, ids)).encode()
        kwargs["headers"].setdefault("Content-Type", "application/json")
    elif isinstance(case.body, str):
        kwargs["content"] = _fill(case.body, ids).encode()
        kwargs["headers"].setdefault("Content-Type", "application/json")
    elif isinstance(case.body, bytes):
        kwargs["content"] = case.body
        kwargs["headers"].setdefault("Content-Type", "application/json")
    return call(case.method, _fill(case.path, ids), **kwargs)


def case_ids(backend: LiveBackend) -> dict[str, str]:
    """The ids a table row's `{case}` and `{customer}` stand for: a new case's."""
    case = backend.new_case()
    return {"case": case["id"], "customer": case["customerId"]}


@pytest.fixture(scope="module")
def ids(sqlite_backend: LiveBackend) -> dict[str, str]:
    return case_ids(sqlite_backend)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(sqlite_backend: LiveBackend, ids: dict[str, str], case: Case) -> None:
    """On SQLite (test_backend_bad_input_pg: the same table on PostgreSQL)."""
    assert_refused(sqlite_backend, case, ids)


def assert_refused(backend: LiveBackend, case: Case, ids: dict[str, str]) -> None:
    """`case` is answered with its status as problem+json and writes nothing."""
    before = _stored(backend)
    response = _send(backend, case, ids)
    assert response.status_code == case.status, response.text[:500]
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    problem = response.json()
    assert {"type", "title", "status", "detail"} <= problem.keys(), problem
    assert problem["status"] == case.status and problem["type"].startswith("http")
    assert isinstance(problem["detail"], str) and problem["detail"]
    if case.status == 400 and case.body:
        assert problem["detail"] == "request body is not valid JSON", problem
    if case.where is not None:
        fields = [e["field"] for e in problem.get("errors", [])]
        assert all(e.get("message") for e in problem["errors"]), problem
        assert any(f == case.where or f.startswith(case.where + ".") for f in fields), problem
    assert response.headers.get("x-request-id")
    assert _stored(backend) == before, "a refused request left something behind"


def test_upload_over_the_limit_is_413(backend_factory: Callable[..., LiveBackend]) -> None:
    small = backend_factory("sqlite", env={"PAYREC_MAX_UPLOAD_BYTES": "50000"})
    before = _stored(small)
    pdf = b"%PDF-1.4\n" + b"0" * 60_000
    response = small.admin(
        "POST",
        "/documents",
        files={"file": ("big.pdf", pdf, "application/pdf")},
        data={"type": "INVOICE"},
    )
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == 413
    fits = small.admin(
        "POST",
        "/documents",
        files={"file": ("ok.pdf", pdf[:40_000], "application/pdf")},
        data={"type": "INVOICE"},
    )
    assert fits.status_code == 201, fits.text
    after = _stored(small)
    assert after["documents"] == before["documents"] + 1
    store = small.data_dir / "documents"
    assert len([p for p in store.rglob("*") if p.is_file()]) == 1


def test_bad_multipart_uploads(sqlite_backend: LiveBackend, ids: dict[str, str]) -> None:
    assert_bad_uploads_refused(sqlite_backend)


def assert_bad_uploads_refused(backend: LiveBackend) -> None:
    """Each bad multipart upload is a 422 naming its field, and nothing is stored."""
    before = _stored(backend)
    pdf = b"%PDF-1.4\n%test\n"
    for files, data, status, fieldname in (
        ({"file": ("a.pdf", pdf, "application/pdf")}, {"type": "RECEIPT"}, 422, "type"),
        (
            {"file": ("a.pdf", pdf, "application/pdf")},
            {"recoveryCaseId": "case-doesnotexist"},
            422,
            "recoveryCaseId",
        ),
        ({"file": ("a.exe", b"MZ\x90\x00binary", "application/x-msdownload")}, {}, 422, "file"),
        ({"file": ("empty.pdf", b"", "application/pdf")}, {}, 422, "file"),
        ({}, {"type": "INVOICE"}, 422, "file"),
    ):
        response = backend.admin("POST", "/documents", files=files or None, data=data)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith(PROBLEM)
        assert any(e["field"] == fieldname for e in response.json()["errors"]), response.text
    assert _stored(backend) == before
