"""The contact cap: when a customer may next be contacted, given the contacts already made or
planned. Pure; the backend applies it with the customer's row locked, so that cases of one
customer, scheduler passes and racing schedulers all count against the same contacts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from payrec.domain.policy import CONTACT_CHANNELS, Channel, DunningPolicy

__all__ = ["CAP_WINDOW", "earliest_allowed", "earliest_contact"]

CAP_WINDOW = timedelta(days=7)

Limit = tuple[Sequence[datetime], int]
"""Contacts (sorted, UTC) and how many of them any rolling window may hold."""


def earliest_allowed(
    t: datetime,
    limits: Sequence[Limit],
    window: timedelta = CAP_WINDOW,
    place: Callable[[datetime], datetime] = lambda moment: moment,
) -> datetime:
    """First t' >= t, as placed by ``place``, that keeps every rolling ``window`` of every
    limit at or under its cap once t' is added.

    Adding t' overflows a limit iff some ``cap`` consecutive contacts a..b plus t' span less
    than ``window``, i.e. t' lies in the open interval (b - window, a + window).
    """
    blocks = [
        (contacts[k + cap - 1] - window, contacts[k] + window)
        for contacts, cap in limits
        for k in range(len(contacts) - cap + 1)
        if contacts[k + cap - 1] - contacts[k] < window
    ]
    t = place(t)
    moved = True
    while moved:
        moved = False
        for lo, hi in blocks:
            if lo < t < hi:
                t = place(hi)
                moved = True
    return t


def earliest_contact(
    t: datetime,
    channel: Channel,
    contacts: Mapping[Channel, Sequence[datetime]],
    policy: DunningPolicy,
    place: Callable[[datetime], datetime] = lambda moment: moment,
) -> datetime:
    """When a contact on ``channel`` planned for ``t`` may go out under ``policy``'s caps
    (per channel, and on all contact channels together), given the customer's ``contacts``
    per channel (made or planned, any order). Manual channels are never capped."""
    if channel not in CONTACT_CHANNELS:
        return t
    limits: list[Limit] = []
    if policy.max_contacts_per_7_days is not None:
        limits.append((_sorted(contacts.get(channel, ())), policy.max_contacts_per_7_days))
    if policy.max_contacts_per_7_days_all_channels is not None:
        every = [m for c in CONTACT_CHANNELS for m in contacts.get(c, ())]
        limits.append((_sorted(every), policy.max_contacts_per_7_days_all_channels))
    if not limits:
        return t
    return earliest_allowed(t, limits, CAP_WINDOW, place)


def _sorted(moments: Sequence[datetime]) -> list[datetime]:
    return sorted(m.astimezone(UTC) for m in moments)
