"""Issue 20, item 2: a case with an extreme due date must not stop planning for the others.

Poisoned rows are written straight into the database (legacy data, or an entry that did not
check); the API and the extraction must refuse such dates themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from payrec.server.db import Database
from payrec.server.models import Customer, RecoveryCase
from tests.hostile.documents import cii_invoice, settled, upload
from tests.support.backend import LiveBackend, wait_until
from tests.support.workers import WorkerProcess, start_worker

POISON = (date(9999, 12, 31), date(1, 1, 1))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def planning(
    request: pytest.FixtureRequest, backend_factory: Callable[..., LiveBackend]
) -> Iterator[tuple[LiveBackend, list[str], WorkerProcess]]:
    """A backend holding poisoned cases (inserted before the worker starts) and a worker
    running the scheduler and the extraction."""
    backend = backend_factory(request.param)
    poisoned = _insert_poisoned(backend.db_url)
    worker = start_worker(
        backend, smtp_url=None, services="scheduler,extraction", name="poison"
    )
    yield backend, poisoned, worker
    worker.terminate()
    backend.stop()


def _insert_poisoned(db_url: str) -> list[str]:
    db = Database(db_url, pool_size=1)
    ids: list[str] = []
    try:
        with db.write() as session:
            for n, due in enumerate(POISON):
                customer = Customer(
                    name=f"Poisoned {n}", email=f"poisoned-{n}@example.com", timezone="UTC",
                    locale="en_US",
                )
                session.add(customer)
                session.flush()
                case = RecoveryCase(
                    customer_id=customer.id, invoice_number=f"POISON-{n}",
                    amount=Decimal("50.00"), amount_paid=Decimal(0), currency="USD",
                    due_date=due, status="OVERDUE", priority="HIGH", priority_rank=0,
                    created_at=datetime.now(UTC),
                )
                session.add(case)
                session.flush()
                ids.append(case.id)
    finally:
        db.dispose()
    return ids


def _detail(backend: LiveBackend, case_id: str) -> dict[str, Any]:
    answer = backend.admin("GET", f"/recovery-cases/{case_id}")
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_canary_is_planned_while_poisoned_cases_exist(
    planning: tuple[LiveBackend, list[str], WorkerProcess],
) -> None:
    backend, poisoned, worker = planning
    customer = backend.new_customer(name="Canary", email="canary@example.com", timezone="UTC")
    overdue = (datetime.now(UTC).date() - timedelta(days=20)).isoformat()
    canary = backend.new_case(customer["id"], dueDate=overdue)
    tasks = wait_until(
        lambda: _detail(backend, canary["id"])["tasks"], timeout=60,
        message=f"the canary's tasks; worker log:\n{worker.logs()[-3000:]}",
    )
    assert tasks and all(t["recoveryCaseId"] == canary["id"] for t in tasks)
    for case_id in poisoned:  # flagged on the case, once, and never planned
        notes = wait_until(
            lambda case_id=case_id: [
                n for n in _detail(backend, case_id)["notes"]
                if "Scheduler cannot plan" in n["body"]
            ],
            timeout=30, message="the note flagging the poisoned case",
        )
        assert len(notes) == 1
        assert _detail(backend, case_id)["tasks"] == []
    assert "cannot be planned" in worker.logs()
    assert worker.process.poll() is None


def test_the_api_refuses_dates_outside_the_sane_range(
    planning: tuple[LiveBackend, list[str], WorkerProcess],
) -> None:
    backend = planning[0]
    customer = backend.new_customer()
    for due in ("9999-12-31", "0001-01-01", "1969-12-31", "2201-01-01"):
        answer = backend.admin(
            "POST", "/recovery-cases",
            json={"customerId": customer["id"], "amount": "10.00", "currency": "USD",
                  "dueDate": due},
        )
        assert answer.status_code == 422, (due, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in answer.json()["errors"]] == ["dueDate"]
    # the edges themselves are fine
    for due in ("1970-01-01", "2200-12-31"):
        assert backend.new_case(customer["id"], dueDate=due)["dueDate"] == due
    listed = backend.admin("GET", "/recovery-cases", params={"customerId": customer["id"]})
    assert {c["dueDate"] for c in listed.json()["cases"]} == {"1970-01-01", "2200-12-31"}


@pytest.mark.parametrize("path", ["/reports/summary", "/reports/cases.csv"])
def test_reports_answer_422_for_an_extreme_as_of(
    planning: tuple[LiveBackend, list[str], WorkerProcess], path: str
) -> None:
    backend = planning[0]
    for day in ("9999-12-31", "0001-01-01"):
        answer = backend.admin("GET", path, params={"asOf": day})
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "asOf"
    if path.endswith("summary"):
        far = backend.admin("GET", path, params={"from": "0001-01-01"})
        assert far.status_code == 422 and far.json()["errors"][0]["field"] == "from"
    # the poisoned rows already stored do not break the report of a sane day
    assert backend.admin("GET", path, params={"asOf": "2200-12-31"}).status_code == 200


def test_a_cii_invoice_due_9999_is_flagged_not_planned(
    planning: tuple[LiveBackend, list[str], WorkerProcess],
) -> None:
    backend = planning[0]
    xml = cii_invoice(number="CII-9999", due="99991231", buyer="Poison Buyer AG").encode()
    doc = upload(backend, xml, "poison.xml", "application/xml")
    done = wait_until(lambda: settled(backend, doc["id"]), timeout=60, message="extraction")
    assert done["status"] == "NEEDS_REVIEW", done
    assert "implausible invoice dates" in done["failureReason"]
    assert "9999-12-31" in done["failureReason"]
    assert not done["metadata"].get("recoveryCaseId")
    cases = backend.admin("GET", "/recovery-cases", params={"limit": 200}).json()["cases"]
    assert "CII-9999" not in {c["invoiceNumber"] for c in cases}
    # the same invoice with a sane due date opens its case
    good = upload(
        backend, cii_invoice(number="CII-OK", due="20260331").encode(), "ok.xml",
        "application/xml",
    )
    opened = wait_until(lambda: settled(backend, good["id"]), timeout=60, message="extraction")
    assert opened["status"] == "EXTRACTED", opened
