"""Issue 20, item 5: templates cannot exhaust the backend.

`{{ 'x'|center(300000000) }}` took the backend from 137 MB to 1.27 GB in one request; nested
loops behind a condition passed the save-time check; big integer powers took 34 s. Saving
and previewing such a template is a 422 naming the part, answered at once with the
backend's memory flat; a template stored before these checks (written straight into the
database) fails its reminder permanently, with the reason, and the next reminder is sent.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from payrec.server.db import Database
from payrec.server.models import MessageTemplate
from tests.support.backend import LiveBackend, wait_until
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import WorkerProcess, start_worker

BOMBS = {
    "center": "{{ 'x'|center(300000000) }}",
    "power": "{{ 9**99**99 }}",
    "powers-of-powers": "{{ (((9**100)**100)**100)**100 }}",
    "printf-width": "{{ '%300000000d' % 1 }}",
    "nested-loops-behind-a-condition": (
        "{% if daysOverdue > 3000 %}{% for i in range(100000) %}{% for j in range(100000) %}"
        "{% endfor %}{% endfor %}{% endif %}"
    ),
    "doubling-namespace": (
        "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"
    ),
    "loops-over-a-list": (
        "{% set r = range(100000)|list %}{% for a in r %}{% for b in r %}{{ a }}{% endfor %}"
        "{% endfor %}"
    ),
}
MEMORY_HEADROOM_MB = 150  # the 300-million-character string alone would be 300 MB


def _rss_mb(backend: LiveBackend) -> float:
    assert backend.process is not None
    for line in Path(f"/proc/{backend.process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _assert_refused(answer: Any, field: str = "bodyText") -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert [e["field"] for e in problem["errors"]] == [field]
    assert "sandbox" in problem["errors"][0]["message"]


@pytest.mark.parametrize("shape", list(BOMBS), ids=list(BOMBS))
def test_oversized_templates_are_refused_at_save_and_preview(
    backend: LiveBackend, shape: str
) -> None:
    case = backend.new_case()
    tid = f"bomb-{secrets.token_hex(4)}"
    body = {"channel": "EMAIL", "subject": "Invoice {{ invoiceNumber }}",
            "bodyText": BOMBS[shape]}
    before = _rss_mb(backend)
    started = time.monotonic()
    _assert_refused(backend.admin("POST", "/templates", json={
        "templateId": tid, "language": "en", **body}))
    _assert_refused(backend.admin("PUT", f"/templates/{tid}/en", json=body))
    _assert_refused(backend.admin("POST", "/templates/preview", json={
        "caseId": case["id"], "templateId": tid, "language": "en", **body}))
    html = {**body, "bodyText": "Hello", "bodyHtml": f"<p>{BOMBS[shape]}</p>"}
    _assert_refused(backend.admin("PUT", f"/templates/{tid}/en", json=html), "bodyHtml")
    subject = {**body, "bodyText": "Hello", "subject": BOMBS[shape]}
    _assert_refused(backend.admin("PUT", f"/templates/{tid}/en", json=subject), "subject")
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"five refusals took {elapsed:.1f} s"  # 2 s budget each, at most
    assert _rss_mb(backend) - before < MEMORY_HEADROOM_MB
    assert backend.admin("GET", f"/templates/{tid}/en").status_code == 404  # nothing stored
    assert backend.http.get(backend.base_url + "/healthz").status_code == 200


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def sending(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[tuple[LiveBackend, SmtpSink, WorkerProcess]]:
    backend = backend_factory(request.param)
    sink = SmtpSink().start()
    worker = start_worker(backend, smtp_url=sink.url, services="reminders", name="bombs")
    yield backend, sink, worker
    worker.terminate()
    sink.stop()
    backend.stop()


def _store_unchecked(db_url: str, template_id: str, body_text: str) -> None:
    """A template saved before these checks existed: straight into the database."""
    db = Database(db_url, pool_size=1)
    try:
        with db.write() as session:
            session.add(MessageTemplate(
                template_id=template_id, language="en", channel="EMAIL",
                subject="Invoice {{ invoiceNumber }}", body_text=body_text,
            ))
    finally:
        db.dispose()


def test_a_stored_bomb_fails_its_reminder_and_the_next_one_is_sent(
    sending: tuple[LiveBackend, SmtpSink, WorkerProcess],
) -> None:
    backend, sink, worker = sending
    tid = f"legacy-{secrets.token_hex(4)}"
    _store_unchecked(backend.db_url, tid, BOMBS["center"])
    before = _rss_mb(backend)
    poisoned_email = f"poisoned-{secrets.token_hex(3)}@example.com"
    poisoned = backend.new_case(backend.new_customer(email=poisoned_email)["id"])
    bomb_task = backend.new_reminder_task(poisoned["id"], templateId=tid)
    good_email = f"good-{secrets.token_hex(3)}@example.com"
    good = backend.new_case(backend.new_customer(email=good_email)["id"])
    good_task = backend.new_reminder_task(good["id"])

    def status(task: dict[str, Any]) -> dict[str, Any]:
        answer = backend.auto("GET", f"/tasks/{task['id']}")
        assert answer.status_code == 200, answer.text
        result: dict[str, Any] = answer.json()
        return result

    failed = wait_until(
        lambda: (found := status(bomb_task))["status"] == "FAILED" and found,
        timeout=60, message=f"the bomb's task FAILED; worker log:\n{worker.logs()[-3000:]}",
    )
    assert "sandbox" in failed["result"]["error"]
    assert failed["attempts"] <= 1  # failed once, not retried
    wait_until(lambda: sink.to(good_email), timeout=60, message="the good reminder sent")
    wait_until(  # marked SENT and completed right after the message left
        lambda: status(good_task)["status"] == "COMPLETED", timeout=30,
        message="the good reminder's task COMPLETED",
    )
    assert not sink.to(poisoned_email)
    notes = backend.admin("GET", f"/recovery-cases/{poisoned['id']}").json()["notes"]
    assert any("could not be prepared" in n["body"] and "sandbox" in n["body"] for n in notes)
    assert _rss_mb(backend) - before < MEMORY_HEADROOM_MB
    assert worker.process.poll() is None
