"""Lease fencing and release: only the holder reports on leased work; a lost or handed-back
lease counts an attempt, and the work fails once the attempts reach the maximum."""

from __future__ import annotations

import pytest

from payrec.domain.errors import Conflict
from payrec.domain.leases import (
    LeaseRequired,
    StaleLease,
    check_fence,
    fence_holds,
    holds,
    release,
)


def test_holds_needs_both_tokens_equal() -> None:
    assert holds("a.1", "a.1")
    assert not holds("a.1", "a.2") and not holds(None, "a.1") and not holds("a.1", None)


def test_leased_work_takes_reports_only_from_its_holder() -> None:
    check_fence("IN_PROGRESS", "t", "t", "COMPLETED")
    with pytest.raises(LeaseRequired) as missing:
        check_fence("IN_PROGRESS", "t", None, "COMPLETED")
    assert missing.value.status == 409 and missing.value.code == "lease-required"
    with pytest.raises(StaleLease) as stale:
        check_fence("IN_PROGRESS", "t", "other", "COMPLETED")
    assert stale.value.status == 409 and stale.value.code == "stale-lease"
    assert isinstance(stale.value, Conflict)


def test_a_report_carrying_an_expired_lease_is_stale_unless_it_repeats() -> None:
    check_fence("PENDING", None, None, "CANCELLED")  # unleased work, no token: fine
    with pytest.raises(StaleLease):
        check_fence("PENDING", None, "old", "COMPLETED")  # the lease expired meanwhile
    check_fence("COMPLETED", None, "old", "COMPLETED")  # repeating the status it has
    check_fence("COMPLETED", "t", "t", "FAILED")  # its own token, kept after the move
    assert fence_holds("IN_PROGRESS", "t", "t", "COMPLETED")
    assert not fence_holds("IN_PROGRESS", "t", "x", "COMPLETED")


def test_release_counts_attempts_and_gives_up_at_the_maximum() -> None:
    assert release(0, 3, counts_as_attempt=True) == release(1, 3, counts_as_attempt=False)
    assert release(1, 3, counts_as_attempt=False).attempts == 1
    assert not release(1, 3, counts_as_attempt=True).gave_up
    assert release(2, 3, counts_as_attempt=True).gave_up
    assert release(3, 3, counts_as_attempt=False).gave_up
