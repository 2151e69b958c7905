"""Promises, disputes, pauses and edits as pure rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from payrec.domain.case_actions import (
    DisputeOutcome,
    PromiseStatus,
    check_edited_amount,
    check_pause_until,
    check_promise,
    promise_breaks_at,
    promise_deadline,
    promise_status,
    resolve_dispute,
    resume_status,
)
from payrec.domain.errors import Conflict, Invalid

TODAY = date(2026, 12, 3)
D = Decimal


def test_deadline_adds_the_grace_days() -> None:
    assert promise_deadline(date(2026, 12, 10), 3) == date(2026, 12, 13)
    assert promise_deadline(date(2026, 12, 10), 0) == date(2026, 12, 10)
    with pytest.raises(Invalid):
        promise_deadline(date(2026, 12, 10), -1)


def test_a_promise_breaks_at_the_start_of_the_day_after_its_deadline_in_the_customers_zone() -> (
    None
):
    breaks = promise_breaks_at(date(2026, 12, 10), 2, ZoneInfo("Europe/Berlin"))
    assert breaks == datetime(2026, 12, 12, 23, 0, tzinfo=UTC)  # 13 Dec 00:00 in Berlin
    assert breaks.tzinfo is UTC


@pytest.mark.parametrize(
    ("paid_since", "owed", "now", "expected"),
    [
        (D("0"), D("100"), datetime(2026, 12, 5, tzinfo=UTC), PromiseStatus.PENDING),
        (D("40"), D("60"), datetime(2026, 12, 5, tzinfo=UTC), PromiseStatus.PENDING),
        (D("50"), D("50"), datetime(2026, 12, 5, tzinfo=UTC), PromiseStatus.KEPT),
        (D("50"), D("50"), datetime(2026, 12, 20, tzinfo=UTC), PromiseStatus.KEPT),
        (D("10"), D("0"), datetime(2026, 12, 20, tzinfo=UTC), PromiseStatus.KEPT),
        (D("40"), D("60"), datetime(2026, 12, 10, tzinfo=UTC), PromiseStatus.BROKEN),
        (D("0"), D("100"), datetime(2026, 12, 11, tzinfo=UTC), PromiseStatus.BROKEN),
    ],
)
def test_promise_status(paid_since: Decimal, owed: Decimal, now: datetime, expected: str) -> None:
    status = promise_status(
        promised_amount=D("50"),
        paid_since=paid_since,
        owed=owed,
        breaks_at=datetime(2026, 12, 10, tzinfo=UTC),
        now=now,
    )
    assert status == expected


def test_a_promise_without_amount_promises_everything_owed() -> None:
    owed = D("120.50")
    promised = check_promise(status="OVERDUE", promised=TODAY, today=TODAY, amount=None, owed=owed)
    assert promised == owed
    assert check_promise(
        status="IN_PROGRESS", promised=TODAY, today=TODAY, amount=D("20"), owed=owed
    ) == D("20")


@pytest.mark.parametrize(
    ("status", "promised", "amount", "error"),
    [
        ("RESOLVED", TODAY, None, Conflict),
        ("DISPUTED", TODAY, None, Conflict),
        ("OVERDUE", date(2026, 12, 2), None, Invalid),
        ("OVERDUE", date(2028, 1, 1), None, Invalid),
        ("OVERDUE", TODAY, D("0"), Invalid),
        ("OVERDUE", TODAY, D("100.01"), Invalid),
    ],
)
def test_refused_promises(
    status: str, promised: date, amount: Decimal | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        check_promise(status=status, promised=promised, today=TODAY, amount=amount, owed=D(100))


def test_a_pause_ends_on_a_later_day_within_a_year() -> None:
    check_pause_until(date(2026, 12, 4), TODAY)
    for bad in (TODAY, date(2026, 11, 1), date(2028, 1, 1)):
        with pytest.raises(Invalid):
            check_pause_until(bad, TODAY)


def test_resume_goes_back_to_the_status_the_case_would_have() -> None:
    sent = datetime(2026, 11, 1, tzinfo=UTC)
    assert resume_status(date(2026, 11, 1), TODAY, sent) == "IN_PROGRESS"
    assert resume_status(date(2026, 11, 1), TODAY, None) == "OVERDUE"
    assert resume_status(date(2026, 12, 20), TODAY, None) == "PENDING"


def test_an_edited_amount_is_never_below_what_was_paid() -> None:
    check_edited_amount(D("100"), D("100"))
    check_edited_amount(D("100"), D("20"))
    with pytest.raises(Invalid) as refused:
        check_edited_amount(D("19.99"), D("20"))
    assert refused.value.code == "amount-below-paid"
    with pytest.raises(Invalid):
        check_edited_amount(D("0"), D("0"))


def test_dispute_outcomes() -> None:
    kw = {"amount": D("100"), "paid": D("30"), "reopen_status": "OVERDUE"}
    resumed = resolve_dispute(DisputeOutcome.RESUME, credit=None, **kw)  # type: ignore[arg-type]
    assert (resumed.status, resumed.amount) == ("OVERDUE", D("100"))
    written_off = resolve_dispute("WRITE_OFF", credit=None, **kw)  # type: ignore[arg-type]
    assert written_off.status == "WRITTEN_OFF"
    credited = resolve_dispute("CREDIT", credit=D("20"), **kw)  # type: ignore[arg-type]
    assert (credited.status, credited.amount) == ("OVERDUE", D("80"))
    cleared = resolve_dispute("CREDIT", credit=D("70"), **kw)  # type: ignore[arg-type]
    assert (cleared.status, cleared.amount) == ("RESOLVED", D("30"))


@pytest.mark.parametrize(
    ("outcome", "credit"),
    [("CREDIT", None), ("CREDIT", D("0")), ("CREDIT", D("70.01")), ("RESUME", D("5"))],
)
def test_refused_dispute_resolutions(outcome: str, credit: Decimal | None) -> None:
    with pytest.raises(Invalid):
        resolve_dispute(outcome, amount=D(100), paid=D(30), credit=credit, reopen_status="OVERDUE")
