"""Case rules as pure functions: opening status, priority rank, outstanding, what closes a
case, what stops contact and what a sent reminder does to its status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from payrec.domain.cases import (
    OPEN,
    STOPS_CONTACT,
    TERMINAL,
    OutstandingBalance,
    WriteOffNotAllowed,
    check_status_change,
    closes,
    is_contactable,
    is_terminal,
    opening_status,
    outstanding,
    priority_rank,
    resumes,
    settled,
    status_after_reminder_sent,
    stops_contact,
)
from payrec.domain.errors import IllegalTransition, Invalid
from payrec.domain.states import CaseStatus

TODAY = date(2026, 3, 10)


def test_status_sets_cover_every_status_once() -> None:
    assert OPEN == ("PENDING", "OVERDUE", "IN_PROGRESS")
    assert TERMINAL == ("RESOLVED", "WRITTEN_OFF")
    assert set(STOPS_CONTACT) == {"PAUSED", "DISPUTED", "RESOLVED", "WRITTEN_OFF"}
    assert set(OPEN) | set(STOPS_CONTACT) == {s.value for s in CaseStatus}
    assert not set(OPEN) & set(STOPS_CONTACT)
    assert all(is_contactable(s) for s in OPEN) and not any(map(is_contactable, STOPS_CONTACT))
    assert all(map(is_terminal, TERMINAL)) and not is_terminal("PAUSED")


@pytest.mark.parametrize(
    ("due", "expected"),
    [(date(2026, 3, 9), "OVERDUE"), (TODAY, "PENDING"), (date(2026, 4, 1), "PENDING")],
)
def test_a_case_opens_overdue_only_once_its_due_date_passed(due: date, expected: str) -> None:
    assert opening_status(due, TODAY) == expected


def test_priority_rank_puts_high_first_and_refuses_unknown_names() -> None:
    assert priority_rank("HIGH") < priority_rank("MEDIUM") < priority_rank("LOW")
    with pytest.raises(ValueError):
        priority_rank("URGENT")


def test_outstanding_is_exact_never_negative_and_keeps_its_type() -> None:
    assert outstanding(Decimal("5000.00"), Decimal("1234.56")) == Decimal("3765.44")
    assert outstanding(Decimal("10"), Decimal("10")) == 0
    assert outstanding(Decimal("10"), Decimal("12")) == 0
    assert isinstance(outstanding(Decimal("1"), Decimal("2")), Decimal)
    assert outstanding(50_000_000, 12_345_600) == 37_654_400  # stored scaled integers
    assert isinstance(outstanding(1, 2), int)
    assert settled(Decimal("10.00"), Decimal("10.00")) and not settled(
        Decimal("10"), Decimal("9.99")
    )


def test_closing_moves_and_contact_stops() -> None:
    assert closes("OVERDUE", "RESOLVED") and closes("PAUSED", "WRITTEN_OFF")
    assert not closes("PENDING", "PAUSED") and not closes("RESOLVED", "RESOLVED")
    with pytest.raises(IllegalTransition):
        closes("RESOLVED", "PENDING")
    assert stops_contact("OVERDUE", "PAUSED") and stops_contact("DISPUTED", "RESOLVED")
    assert not stops_contact("PAUSED", "PAUSED") and not stops_contact("PAUSED", "OVERDUE")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("PENDING", "IN_PROGRESS"),
        ("OVERDUE", "IN_PROGRESS"),
        ("IN_PROGRESS", "IN_PROGRESS"),
        ("PAUSED", "PAUSED"),
        ("RESOLVED", "RESOLVED"),
    ],
)
def test_a_sent_reminder_puts_an_unstarted_case_in_progress(before: str, after: str) -> None:
    assert status_after_reminder_sent(before) == after


def test_only_payments_resolve_and_only_an_admin_writes_off_with_a_reason() -> None:
    owes, paid_up = Decimal("50.00"), Decimal(0)
    with pytest.raises(OutstandingBalance, match="only a payment"):
        check_status_change("OVERDUE", "RESOLVED", owes, may_write_off=True, reason="x")
    check_status_change("OVERDUE", "RESOLVED", paid_up, may_write_off=False, reason=None)
    with pytest.raises(WriteOffNotAllowed) as refused:
        check_status_change("OVERDUE", "WRITTEN_OFF", owes, may_write_off=False, reason="x")
    assert refused.value.status == 403
    for reason in (None, "", "  "):
        with pytest.raises(Invalid) as invalid:
            check_status_change("PAUSED", "WRITTEN_OFF", owes, may_write_off=True, reason=reason)
        assert invalid.value.errors
        assert [e["field"] for e in invalid.value.errors] == ["reason"]
    check_status_change("PAUSED", "WRITTEN_OFF", owes, may_write_off=True, reason="insolvent")
    with pytest.raises(Invalid):
        check_status_change("PAUSED", "DISPUTED", owes, may_write_off=True, reason="x" * 1001)
    check_status_change("OVERDUE", "PAUSED", owes, may_write_off=False, reason=None)
    with pytest.raises(IllegalTransition):
        check_status_change("RESOLVED", "PENDING", paid_up, may_write_off=True, reason="x")
    # a same-status no-op stays one (a replayed write-off, a RESOLVED case told RESOLVED)
    check_status_change("WRITTEN_OFF", "WRITTEN_OFF", owes, may_write_off=False, reason=None)
    check_status_change("RESOLVED", "RESOLVED", owes, may_write_off=False, reason=None)


def test_leaving_a_pause_or_dispute_for_an_open_status_resumes_the_case() -> None:
    assert resumes("PAUSED", "OVERDUE") and resumes("DISPUTED", "PENDING")
    assert resumes("PAUSED", "IN_PROGRESS")
    assert not resumes("PAUSED", "DISPUTED") and not resumes("DISPUTED", "WRITTEN_OFF")
    assert not resumes("OVERDUE", "IN_PROGRESS") and not resumes("RESOLVED", "OVERDUE")
