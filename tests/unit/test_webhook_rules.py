"""Outbound webhook rules: the retry schedule spans over a day, refused addresses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from payrec.domain.webhooks import MAX_DELAY, address_refusal, retry_delay


def test_the_backoff_doubles_is_capped_and_spans_more_than_a_day() -> None:
    delays = [retry_delay(n, 10.0) for n in range(1, 16)]  # after attempts 1..15 of 16
    assert delays[:3] == [timedelta(seconds=10), timedelta(seconds=20), timedelta(seconds=40)]
    assert max(delays) == MAX_DELAY
    assert sum(delays, timedelta()) > timedelta(days=1)


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "::1", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
     "fe80::1", "fd00:ec2::254", "100.64.0.1", "0.0.0.0", "::ffff:127.0.0.1", "224.0.0.1"],
)  # fmt: skip
def test_private_loopback_link_local_and_metadata_addresses_are_refused(address: str) -> None:
    assert address_refusal(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::1", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(address) is None
