"""The worklist's order as pure rules (`domain.worklist`)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from payrec.domain.worklist import (
    ORDER,
    TIERS,
    Facts,
    Reason,
    aging_bucket,
    days_overdue,
    flags_of,
    listed,
    rank_key,
    reasons,
    search_digits,
    tier_of,
)

TODAY = date(2026, 6, 30)


def _facts(case_id: str, days: int, amount: str, *flags: Reason) -> Facts:
    return Facts(case_id, TODAY - timedelta(days=days), Decimal(amount), frozenset(flags))


def test_aging_buckets_oldest_first() -> None:
    days = (200, 91, 90, 61, 60, 31, 30, 1, 0, -5)
    assert [aging_bucket(TODAY - timedelta(days=d), TODAY) for d in days] == [
        0,
        0,
        1,
        1,
        2,
        2,
        3,
        3,
        4,
        4,
    ]
    assert days_overdue(TODAY + timedelta(days=3), TODAY) == 0
    assert days_overdue(TODAY - timedelta(days=3), TODAY) == 3


def test_rank_manual_task_then_bucket_then_amount_then_due_date() -> None:
    cases = [
        _facts("not-due", -10, "99999"),
        _facts("recent-huge", 5, "50000"),
        _facts("old-small", 120, "10"),
        _facts("old-large", 95, "900"),
        _facts("old-large-older", 100, "900"),
        _facts("call", 2, "1", Reason.MANUAL_TASK_DUE),
        _facts("broken", 0, "1", Reason.BROKEN_PROMISE, Reason.MANUAL_TASK_DUE),
    ]
    ranked = [f.case_id for f in sorted(cases, key=lambda f: rank_key(f, TODAY))]
    assert ranked == [
        "broken",
        "call",
        "old-large-older",
        "old-large",
        "old-small",
        "recent-huge",
        "not-due",
    ]


def test_rank_broken_promise_then_promise_due_then_disputes_unassigned_first() -> None:
    cases = [
        _facts("call", 50, "9000", Reason.MANUAL_TASK_DUE),
        replace(_facts("dispute-owned", 80, "500", Reason.DISPUTE_WAITING), assigned=True),
        _facts("dispute", 1, "5", Reason.DISPUTE_WAITING),
        _facts("promise-due", 2, "1", Reason.PROMISE_DUE),
        _facts("broken", 0, "1", Reason.BROKEN_PROMISE),
        _facts("oldest", 300, "99999"),
    ]
    ranked = [f.case_id for f in sorted(cases, key=lambda f: rank_key(f, TODAY))]
    assert ranked == ["broken", "promise-due", "dispute", "dispute-owned", "call", "oldest"]
    assigned = replace(_facts("owned-call", 1, "1", Reason.MANUAL_TASK_DUE), assigned=True)
    assert rank_key(assigned, TODAY) == rank_key(replace(assigned, assigned=False), TODAY)


def test_held_cases_are_listed_only_when_their_promise_is_due_or_broken() -> None:
    later, past = TODAY + timedelta(days=4), TODAY - timedelta(days=2)
    assert listed("OVERDUE", None, False, TODAY) and listed("DISPUTED", None, False, TODAY)
    assert listed("PAUSED", TODAY, False, TODAY)  # due today
    assert listed("PAUSED", past, False, TODAY)  # in its grace days
    assert listed("PAUSED", None, True, TODAY)  # broken, still held by a pause of its own
    assert not listed("PAUSED", later, False, TODAY)  # a pending promise not yet due
    assert not listed("PAUSED", None, False, TODAY)  # paused by hand
    assert not listed("RESOLVED", None, True, TODAY)
    flags = flags_of(
        status="DISPUTED", promise_due=TODAY, broken_promise=True, manual_task_due=True, today=TODAY
    )
    assert flags == set(Reason) - {Reason.OVERDUE}
    assert (
        flags_of(
            status="PAUSED",
            promise_due=later,
            broken_promise=False,
            manual_task_due=False,
            today=TODAY,
        )
        == frozenset()
    )


def test_reasons_are_shown_most_urgent_first() -> None:
    facts = _facts("c", 3, "5", Reason.MANUAL_TASK_DUE, Reason.PROMISE_DUE)
    assert reasons(facts, TODAY) == ["promise-due", "manual-task-due", "overdue"]
    assert reasons(_facts("d", 0, "5"), TODAY) == []


def test_a_search_looks_like_a_phone_number_only_with_digits_and_separators() -> None:
    assert search_digits("+49 (30) 5550-1234") == "4930555012 34".replace(" ", "")
    assert search_digits("INV-2024-0001") is None
    assert search_digits("123") is None


def test_the_tiers_the_queries_read_follow_the_rank_order() -> None:
    """Every combination of flags, owner, bucket and amount: reading the tiers one after the
    other, each in (outstanding DESC, due date, id) order when its bucket is fixed, gives the
    very order `rank_key` gives, so the tiered queries show the same rows in the same order."""
    every: list[Facts] = []
    for n, (flag_bits, assigned, days, amount) in enumerate(
        itertools.product(
            itertools.product((False, True), repeat=len(ORDER)),
            (False, True),
            (200, 91, 75, 45, 10, 0, -20),
            ("5", "700"),
        )
    ):
        flags = frozenset(r for r, on in zip(ORDER, flag_bits, strict=True) if on)
        every.append(replace(_facts(f"case-{n:04d}", days, amount, *flags), assigned=assigned))
    by_rank = sorted(every, key=lambda f: rank_key(f, TODAY))
    tiers = [tier_of(f, TODAY) for f in by_rank]
    assert tiers == sorted(tiers) and set(tiers) == set(range(len(TIERS)))
    for index, tier in enumerate(TIERS):
        if tier.bucket is not None:
            inside = [f for f in by_rank if tier_of(f, TODAY) == index]
            walked = sorted(inside, key=lambda f: (-f.outstanding, f.due_date, f.case_id))
            assert inside == walked
