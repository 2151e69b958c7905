"""The contact cap per channel and on all channels together (issue 17 item 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from payrec.domain.contact_cap import earliest_allowed, earliest_contact
from payrec.domain.policy import Channel, DunningPolicy, PolicyStep

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STEPS = (PolicyStep(1, Channel.EMAIL, "reminder-1"),)


def _policy(per_channel: int | None, all_channels: int | None) -> DunningPolicy:
    return DunningPolicy(
        "p",
        "p",
        STEPS,
        max_contacts_per_7_days=per_channel,
        max_contacts_per_7_days_all_channels=all_channels,
    )


def test_a_second_email_in_the_window_waits_until_the_first_leaves_it() -> None:
    policy = _policy(1, None)
    at = earliest_contact(T0 + timedelta(hours=1), Channel.EMAIL, {Channel.EMAIL: [T0]}, policy)
    assert at == T0 + timedelta(days=7)
    # another channel is not capped by the e-mail cap alone
    assert earliest_contact(T0, Channel.SMS, {Channel.EMAIL: [T0]}, policy) == T0


def test_all_channels_cap_counts_an_email_and_an_sms_together() -> None:
    policy = _policy(3, 1)
    at = earliest_contact(T0, Channel.SMS, {Channel.EMAIL: [T0 - timedelta(days=2)]}, policy)
    assert at == T0 + timedelta(days=5)


def test_manual_channels_and_no_caps_pass_through() -> None:
    contacts = {Channel.EMAIL: [T0]}
    assert earliest_contact(T0, Channel.CALL, contacts, _policy(1, 1)) == T0
    assert earliest_contact(T0, Channel.EMAIL, contacts, _policy(None, None)) == T0


def test_every_limit_holds_and_the_result_is_placed() -> None:
    emails = [T0, T0 + timedelta(days=1)]
    everything = [*emails, T0 + timedelta(days=2)]
    pushed = earliest_allowed(
        T0 + timedelta(days=2, hours=1),
        [(emails, 2), (sorted(everything), 3)],
        place=lambda t: t.replace(hour=max(t.hour, 9)),
    )
    assert pushed == T0 + timedelta(days=7)
