"""Issue 20, item 9 (the rate limiting of unauthenticated requests is issue 17's): the edge.

- an oversized body sent CHUNKED (no Content-Length to refuse it by) answered 400 "There was
  an error parsing the body": it is 413 payload-too-large, like a declared one;
- `downloadUrl` reflected the request's `Host` header when PAYREC_PUBLIC_URL was unset (a
  link to an attacker's host that the worker would send its API key to);
- uvicorn printed its own lines and tracebacks in plain text, past the redacting formatter;
- document downloads lacked `X-Content-Type-Options: nosniff` (now on every response).
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from payrec.logs import UVICORN_LOGGERS, configure_logging
from tests.support.backend import LiveBackend, wait_until

PROBLEM = "application/problem+json"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def small(backend_factory: Callable[..., LiveBackend]) -> Iterator[LiveBackend]:
    """A backend with small body limits that logs at INFO (uvicorn's own lines included)."""
    backend = backend_factory(
        "sqlite",
        env={"PAYREC_MAX_JSON_BYTES": "4096", "PAYREC_MAX_UPLOAD_BYTES": "65536",
             "LOG_LEVEL": "INFO"},
    )
    yield backend
    backend.stop()


def _chunks(data: bytes, size: int = 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _assert_413(answer: httpx.Response) -> None:
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    problem = answer.json()
    assert problem["status"] == 413 and problem["type"].endswith("/payload-too-large")


def _tasks_of(backend: LiveBackend, case_id: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = backend.admin(
        "GET", f"/recovery-cases/{case_id}"
    ).json()["tasks"]
    return tasks


def test_an_oversized_chunked_json_body_is_413(small: LiveBackend) -> None:
    case = small.new_case()
    body = {"type": "REMINDER", "scheduledAt": "2024-01-15T10:00:00Z",
            "recoveryCaseId": case["id"], "metadata": {"blob": "x" * 10_000}}
    headers = {"Authorization": f"Bearer {small.automation_key}",
               "Content-Type": "application/json"}
    url = small.automation_url + "/tasks"
    answer = small.http.post(url, content=_chunks(json.dumps(body).encode()), headers=headers)
    assert "content-length" not in answer.request.headers  # sent chunked
    assert answer.request.headers["transfer-encoding"] == "chunked"
    _assert_413(answer)
    assert _tasks_of(small, case["id"]) == []
    fits = {**body, "metadata": {"blob": "x" * 100}}
    answer = small.http.post(url, content=_chunks(json.dumps(fits).encode()), headers=headers)
    assert answer.status_code == 201, answer.text
    assert len(_tasks_of(small, case["id"])) == 1


def test_an_oversized_chunked_upload_is_413(small: LiveBackend) -> None:
    before = small.admin("GET", "/documents").json()["total"]
    boundary = "payrecboundary"
    part = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.pdf\""
        "\r\nContent-Type: application/pdf\r\n\r\n"
    ).encode() + PDF + b"0" * 200_000 + f"\r\n--{boundary}--\r\n".encode()
    answer = small.http.post(
        small.base_url + "/api/v1/documents",
        content=_chunks(part, 8192),
        headers={"Authorization": f"Bearer {small.admin_key}",
                 "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert answer.request.headers["transfer-encoding"] == "chunked"
    _assert_413(answer)
    assert small.admin("GET", "/documents").json()["total"] == before


def _upload(backend: LiveBackend, host: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {backend.admin_key}"}
    if host:
        headers["Host"] = host
    answer = backend.http.post(
        backend.base_url + "/api/v1/documents", headers=headers,
        files={"file": ("i.pdf", PDF, "application/pdf")}, data={"type": "INVOICE"},
    )
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _pending_urls(backend: LiveBackend, host: str) -> list[str]:
    answer = backend.http.get(
        backend.automation_url + "/documents/pending-extraction",
        headers={"Authorization": f"Bearer {backend.automation_key}", "Host": host},
    )
    assert answer.status_code == 200, answer.text
    return [d["downloadUrl"] for d in answer.json()["documents"]]


def test_download_urls_never_reflect_the_host_header(small: LiveBackend) -> None:
    """Without PAYREC_PUBLIC_URL the URL is the configured listening address."""
    document = _upload(small, host="evil.example")
    expected = f"{small.base_url}/api/v1/automation/documents/{document['id']}/content"
    assert document["downloadUrl"] == expected
    urls = _pending_urls(small, "evil.example:443")
    assert expected in urls and not any("evil" in u for u in urls)


def test_download_urls_use_the_public_url_when_set(
    backend_factory: Callable[..., LiveBackend],
) -> None:
    backend = backend_factory("sqlite", env={"PAYREC_PUBLIC_URL": "https://pay.example.com/"})
    try:
        document = _upload(backend, host="evil.example")
        assert document["downloadUrl"] == (
            f"https://pay.example.com/api/v1/automation/documents/{document['id']}/content"
        )
    finally:
        backend.stop()


def test_download_urls_are_relative_when_listening_on_every_address(
    backend_factory: Callable[..., LiveBackend],
) -> None:
    backend = backend_factory("sqlite", env={"PAYREC_HOST": "0.0.0.0"})
    try:
        document = _upload(backend, host="evil.example")
        path = f"/api/v1/automation/documents/{document['id']}/content"
        assert document["downloadUrl"] == path
        content = backend.http.get(
            backend.base_url + path, headers={"Authorization": f"Bearer {backend.automation_key}"}
        )
        assert content.status_code == 200 and content.content == PDF
    finally:
        backend.stop()


def test_every_response_says_nosniff(small: LiveBackend) -> None:
    document = _upload(small)
    download = small.http.get(
        document["downloadUrl"], headers={"Authorization": f"Bearer {small.automation_key}"}
    )
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"].startswith("attachment")
    for answer in (
        small.http.get(small.base_url + "/healthz"),
        small.http.get(small.automation_url + "/tasks"),  # 401
        small.admin("GET", "/recovery-cases/nope"),  # 404
        small.http.post(small.automation_url + "/tasks", content=b"x" * 5000,
                        headers={"Authorization": f"Bearer {small.automation_key}",
                                 "Content-Type": "application/json"}),  # 413
    ):
        assert answer.headers.get("x-content-type-options") == "nosniff", answer.status_code


def test_uvicorn_lines_go_through_the_redacting_formatter(small: LiveBackend) -> None:
    """The backend's log is JSON lines, uvicorn's own (startup, errors) among them."""
    lines = wait_until(
        lambda: [
            json.loads(line) for line in small.logs().splitlines()
            if line.startswith("{") and '"logger": "uvicorn' in line
        ],
        timeout=30, message="uvicorn's JSON lines in the backend's log",
    )
    assert any("Application startup complete" in entry["msg"] for entry in lines)
    plain = [line for line in small.logs().splitlines() if line.startswith("INFO:")]
    assert plain == []  # uvicorn's own formatter ("INFO:     Uvicorn running on ...")


@pytest.mark.parametrize("json_lines", [True, False], ids=["json", "text"])
def test_uvicorn_tracebacks_are_redacted(json_lines: bool) -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    stream = io.StringIO()
    try:
        configure_logging("INFO", json_lines=json_lines)
        root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
        for name in UVICORN_LOGGERS:
            assert not logging.getLogger(name).handlers
        try:
            raise RuntimeError("boom: prk_abc123_secretsecret, Bearer eyJhbGciOiJIUzI1NiJ9.x")
        except RuntimeError:
            logging.getLogger("uvicorn.error").exception(
                "Exception in ASGI application (Authorization: Bearer prk_abc123_secretsecret)"
            )
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])
    out = stream.getvalue()
    assert "Traceback" in out and "RuntimeError" in out and "[redacted]" in out
    assert "secretsecret" not in out and "eyJhbGci" not in out
