"""Outbound webhooks: the event types, the retry schedule and which addresses are refused."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from typing import Literal, get_args

EventType = Literal[
    "case.created",
    "case.updated",
    "case.resolved",
    "payment.recorded",
    "payment.reversed",
    "reminder.sent",
    "reminder.failed",
    "promise.created",
    "promise.broken",
    "dispute.opened",
    "dispute.resolved",
    "document.needs_review",
    "customer.opted_out",
]
EVENT_TYPES: tuple[str, ...] = get_args(EventType)

MAX_DELAY = timedelta(hours=6)

# Addresses no webhook may reach: cloud metadata services answer on these.
_METADATA = (
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("169.254.170.2"),
    ipaddress.ip_address("100.100.100.200"),
    ipaddress.ip_address("fd00:ec2::254"),
)


def retry_delay(attempts: int, base_seconds: float) -> timedelta:
    """The wait after the `attempts`-th failed attempt: base, 2 x base, 4 x base ... (max 6 h).

    With the default base of 10 s and 16 attempts the schedule spans about 29 hours.
    """
    exponent = max(0, attempts - 1)
    seconds = base_seconds * (2 ** min(exponent, 40))
    return min(timedelta(seconds=seconds), MAX_DELAY)


def address_refusal(address: str) -> str | None:
    """Why a webhook may not connect to this IP address, or None when it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in _METADATA:
        return "a cloud metadata address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "not a unicast address"
    if ip.is_private or (isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED):
        return "a private address"
    return None


_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
