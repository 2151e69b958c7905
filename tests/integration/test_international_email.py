"""Non-ASCII e-mail addresses reach a real SMTP server (issue 17.1).

A real backend and a real worker process send to aiosmtpd (tests/support/smtp_sink.py), once
offering SMTPUTF8 and once not. An internationalised domain travels as its IDNA A-label
(`xn--…`) through either server; a non-ASCII local part needs SMTPUTF8: delivered when the
server offers it, refused permanently (once, with a reason naming SMTPUTF8) when it does not.
The demo book's German and Spanish customers get their reminders too.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from email import message_from_string, policy
from typing import Any

import pytest

from payrec.demo import PEOPLE, load_demo
from payrec.up import FailureWatcher
from tests.support.backend import LiveBackend, wait_until
from tests.support.smtp_sink import SmtpSink
from tests.support.workers import WorkerProcess, start_worker, zone_where_hour_in

IDN = "ap@müllermaschinenbau.example"
IDN_WIRE = "ap@xn--mllermaschinenbau-22b.example"
UTF8_LOCAL = "jörg.groß@müller.example"
UTF8_LOCAL_WIRE = "jörg.groß@xn--mller-kva.example"


@pytest.fixture(scope="module")
def backend(backend_factory: Callable[..., LiveBackend]) -> LiveBackend:
    return backend_factory("sqlite")


@pytest.fixture
def mail(request: pytest.FixtureRequest, backend: LiveBackend) -> Iterator[SmtpSink]:
    """A sink (offering SMTPUTF8 or not, by the test's parameter) and a worker sending to it."""
    sink = SmtpSink(smtputf8=request.param).start()
    worker: WorkerProcess = start_worker(backend, smtp_url=sink.url, services="reminders")
    try:
        yield sink
    finally:
        worker.terminate(timeout=15)
        sink.stop()


def _reminder_to(backend: LiveBackend, address: str) -> str:
    customer = backend.new_customer(
        name="Müller Maschinenbau GmbH",
        email=address,
        timezone=zone_where_hour_in(9, 19),
        locale="de_DE",
    )
    case = backend.new_case(customer["id"], currency="EUR")
    backend.new_reminder_task(case["id"])
    return str(case["id"])


def _outcome(backend: LiveBackend, case_id: str) -> list[dict[str, Any]]:
    events = backend.admin("GET", "/audit-events", params={"recoveryCaseId": case_id}).json()
    return [e for e in events["events"] if e["action"] in ("reminder.sent", "reminder.failed")]


def _settled(backend: LiveBackend, case_id: str) -> dict[str, Any]:
    [event] = wait_until(
        lambda: _outcome(backend, case_id), timeout=60, message=f"reminder of {case_id} settled"
    )
    return dict(event)


def _headers(raw: bytes) -> Any:
    """The message as a receiver honouring RFC 6532 reads it (UTF-8 headers)."""
    return message_from_string(raw.decode("utf-8"), policy=policy.SMTPUTF8)


@pytest.mark.parametrize("mail", [True, False], ids=["smtputf8", "no-smtputf8"], indirect=True)
def test_idn_domain_is_delivered_as_its_a_label(backend: LiveBackend, mail: SmtpSink) -> None:
    case_id = _reminder_to(backend, IDN)
    assert _settled(backend, case_id)["action"] == "reminder.sent"
    [message] = wait_until(lambda: mail.to(IDN_WIRE), timeout=30, message="IDN delivered")
    assert message.to == [IDN_WIRE]
    assert message.message["To"] == IDN_WIRE
    assert message.raw.isascii()  # no SMTPUTF8 needed: the message is plain 7-bit


@pytest.mark.parametrize("mail", [True], ids=["smtputf8"], indirect=True)
def test_non_ascii_local_part_is_delivered_with_smtputf8(
    backend: LiveBackend, mail: SmtpSink
) -> None:
    case_id = _reminder_to(backend, UTF8_LOCAL)
    assert _settled(backend, case_id)["action"] == "reminder.sent"
    [message] = wait_until(lambda: mail.to(UTF8_LOCAL_WIRE), timeout=30, message="delivered")
    assert message.to == [UTF8_LOCAL_WIRE]
    assert _headers(message.raw)["To"] == UTF8_LOCAL_WIRE


@pytest.mark.parametrize("mail", [False], ids=["no-smtputf8"], indirect=True)
def test_non_ascii_local_part_without_smtputf8_fails_permanently_and_clearly(
    backend: LiveBackend, mail: SmtpSink
) -> None:
    watcher = FailureWatcher(backend.base_url, backend.admin_key, threading.Event())
    watcher.poll()
    case_id = _reminder_to(backend, UTF8_LOCAL)
    event = _settled(backend, case_id)
    assert event["action"] == "reminder.failed"
    error = event["after"]["error"]
    assert "SMTPUTF8" in error and "non-ASCII local part" in error, error
    assert not mail.to(UTF8_LOCAL_WIRE)
    # permanent: failed once, never retried
    assert len(_outcome(backend, case_id)) == 1
    # `payrec up` prints the failure, not only the successes
    assert watcher.poll() == [f"  FAILED  reminder for case {case_id}: {error}"]


@pytest.mark.parametrize("mail", [False], ids=["no-smtputf8"], indirect=True)
def test_demo_german_and_spanish_customers_get_their_reminders(
    backend_factory: Callable[..., LiveBackend], mail: SmtpSink
) -> None:
    demo = backend_factory("sqlite", env={"PAYREC_CREDITOR_NAME": "Demo Supplies Ltd"})
    worker = start_worker(demo, smtp_url=mail.url, services="scheduler,reminders")
    try:
        counts = load_demo(demo.base_url, demo.admin_key)
        assert counts["customers"] == len(PEOPLE)
        customers = demo.admin("GET", "/customers", params={"limit": 100}).json()["customers"]
        international = {
            c["email"].split("@")[1]: c["name"] for c in customers if not c["email"].isascii()
        }
        assert len(international) >= 2, customers  # Müller Maschinenbau, Ferretería Gómez
        wire = {domain.encode("idna").decode(): name for domain, name in international.items()}

        def reached() -> set[str]:
            return {a.split("@")[1] for m in mail.messages for a in m.to} & set(wire)

        wait_until(lambda: reached() == set(wire), timeout=90, message=f"mail to {wire}")
        failed = demo.admin("GET", "/audit-events", params={"action": "reminder.failed"}).json()
        assert failed["total"] == 0, failed["events"][:3]
    finally:
        worker.terminate(timeout=15)
        demo.stop()
