"""Dunning schedule rules: which steps are due, and when each contact may be sent.

All functions are pure: the clock (``now``) is an argument, datetimes in and out are
timezone-aware, results are in UTC. Local wall times are resolved in the customer's zone:
a time that does not exist (spring-forward gap) moves to the first valid instant after the
gap; an ambiguous time (fall-back) takes its first occurrence (``fold=0``).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import partial
from typing import Literal

from payrec.domain.contact_cap import earliest_allowed
from payrec.domain.policy import (
    CONTACT_CHANNELS,
    CatchUp,
    Channel,
    DunningPolicy,
    PolicyStep,
    SendWindow,
)

__all__ = [
    "CAP_WINDOW",
    "MAX_SEARCH_DAYS",
    "Action",
    "StepDecision",
    "apply_frequency_cap",
    "due_steps",
    "local_to_utc",
    "next_step_moment",
    "place_in_window",
    "placer",
    "step_moment",
]

Action = Literal["SCHEDULE", "SUPERSEDED"]
CAP_WINDOW = timedelta(days=7)
MAX_SEARCH_DAYS = 400
"""place_in_window gives up (ValueError) when no allowed day exists within this many days."""


@dataclass(frozen=True, slots=True)
class StepDecision:
    """What to do with one due policy step.

    ``SCHEDULE``: create the task at ``scheduled_at`` (UTC). ``SUPERSEDED``: a later step
    of the same kind is also due; record the step as skipped, never send it late.
    ``deferred_from`` is set when the frequency cap pushed ``scheduled_at`` later.
    """

    step_index: int
    step: PolicyStep
    action: Action
    scheduled_at: datetime | None
    reason: str
    deferred_from: datetime | None = None


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")


def local_to_utc(day: date, wall: time, tz: tzinfo, fold: int = 0) -> datetime:
    """The UTC instant of local wall time ``wall`` on ``day`` in ``tz`` (DST-correct).

    Nonexistent (gap) times move to the instant the clocks jump; ambiguous times take
    their first occurrence (``fold=0``) unless ``fold=1`` asks for the second.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == naive:
        return first
    # In a gap: fold=0 applies the offset before the jump, fold=1 the one after. The jump
    # instant lies between the two readings; find it to the second by bisection.
    second = naive.replace(tzinfo=tz, fold=1 - fold).astimezone(UTC)
    lo, hi = min(first, second), max(first, second)
    before = lo.astimezone(tz).utcoffset()
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0) if hi.microsecond else hi


def _day_allowed(
    day: date,
    window: SendWindow,
    business_days_only: bool,
    holidays: Container[date],
    skip_holidays: bool,
) -> bool:
    if (business_days_only or not window.weekends) and day.weekday() >= 5:
        return False
    return not (skip_holidays and day in holidays)


def place_in_window(
    earliest: datetime,
    tz: tzinfo,
    window: SendWindow,
    business_days_only: bool = False,
    holidays: Container[date] = frozenset(),
    skip_holidays: bool | None = None,
) -> datetime:
    """First instant >= ``earliest`` inside the local send window ``[start, end)`` in ``tz``.

    The one rule for every send time (a planned step, a retry, a send caught up after an
    outage). Sat/Sun are skipped when ``window.weekends`` is False or
    ``business_days_only``; ``holidays`` (local dates, e.g. the customer's country's
    calendar, see :mod:`payrec.domain.calendar`) are skipped when ``skip_holidays``
    (None: when ``business_days_only``). Returns UTC.
    """
    _require_aware(earliest, "earliest")
    earliest = earliest.astimezone(UTC)
    day = earliest.astimezone(tz).date()
    skip = business_days_only if skip_holidays is None else skip_holidays
    for _ in range(MAX_SEARCH_DAYS):
        if _day_allowed(day, window, business_days_only, holidays, skip):
            start = local_to_utc(day, window.start, tz)
            end = local_to_utc(day, window.end, tz)
            candidate = max(start, earliest)
            if candidate.astimezone(tz).time() < window.start:
                # Inside a repeated fall-back hour, before the wall clock reaches the start
                # again: wait for the second occurrence of the start time.
                candidate = max(candidate, local_to_utc(day, window.start, tz, fold=1))
            if candidate < end:
                return candidate
        day += timedelta(days=1)
    raise ValueError(f"no allowed send day within {MAX_SEARCH_DAYS} days of {earliest}")


def placer(
    policy: DunningPolicy, tz: tzinfo, holidays: Container[date] = frozenset()
) -> Callable[[datetime], datetime]:
    """``place_in_window`` bound to a policy's window and day rules."""
    return partial(
        place_in_window,
        tz=tz,
        window=policy.send_window,
        business_days_only=policy.business_days_only,
        holidays=holidays,
        skip_holidays=policy.skips_holidays,
    )


def step_moment(step: PolicyStep, due_date: date, tz: tzinfo, window: SendWindow) -> datetime:
    """When a step falls due: ``due_date + offset_days`` at the window start, local, in UTC."""
    return local_to_utc(due_date + timedelta(days=step.offset_days), window.start, tz)


def _kind(channel: Channel) -> str:
    """Steps of one kind supersede each other: all customer contacts, or one manual channel."""
    return "CONTACT" if channel in CONTACT_CHANNELS else channel.value


def _describe(index: int, step: PolicyStep) -> str:
    return f"step {index} ({step.offset_days:+d}d {step.channel} {step.template_id})"


def due_steps(
    policy: DunningPolicy,
    due_date: date,
    tz: tzinfo,
    now: datetime,
    already_scheduled: Iterable[int] | Mapping[int, datetime | None] = (),
    holidays: Container[date] = frozenset(),
) -> list[StepDecision]:
    """Decisions for every step that is due at ``now`` and not in ``already_scheduled``.

    ``already_scheduled`` holds the steps that have their task, optionally mapped to the
    instant each was planned for (None for a superseded step). Fires by "due <= now", so a
    missed run catches up, as ``policy.catch_up`` says:

    ``FIRST_STEP``: steps of one kind (EMAIL/SMS are one kind; CALL and LETTER each their
    own) go out in order. The first step not yet scheduled is due at its moment; each later
    one at the later of its own moment and the day the previous scheduled step of its kind
    was planned for plus the policy's gap between the two (``offset_days`` difference), at
    the window start. A step before the due date (``offset_days < 0``) is SUPERSEDED once
    the due date has passed and a later step of its kind exists: a pre-due notice would be
    wrong. ``LATEST_STEP``: a due step is SUPERSEDED when a step of the same kind with a
    larger offset is also due.

    SCHEDULED steps go out at the first send-window instant >= max(moment, now). Ordered by
    step index.
    """
    _require_aware(now, "now")
    now = now.astimezone(UTC)
    if policy.catch_up == CatchUp.LATEST_STEP:
        return _latest_step(policy, due_date, tz, now, set(already_scheduled), holidays)
    planned: Mapping[int, datetime | None] = (
        already_scheduled
        if isinstance(already_scheduled, Mapping)
        else dict.fromkeys(already_scheduled)
    )
    return _first_step(policy, due_date, tz, now, planned, holidays)


def _first_step(
    policy: DunningPolicy,
    due_date: date,
    tz: tzinfo,
    now: datetime,
    planned: Mapping[int, datetime | None],
    holidays: Container[date],
) -> list[StepDecision]:
    place = placer(policy, tz, holidays)
    window = policy.send_window
    overdue = now.astimezone(tz).date() > due_date
    anchors: dict[str, tuple[int, datetime]] = {}  # kind -> (offset, planned instant)
    decisions: list[StepDecision] = []
    for i, step in enumerate(policy.steps):
        kind = _kind(step.channel)
        if i in planned:
            at = planned[i]
            if at is not None:
                anchors[kind] = (step.offset_days, at.astimezone(UTC))
            continue
        moment = step_moment(step, due_date, tz, window)
        anchor = anchors.get(kind)
        if anchor is not None:
            day = anchor[1].astimezone(tz).date() + timedelta(days=step.offset_days - anchor[0])
            moment = max(moment, local_to_utc(day, window.start, tz))
        if moment > now:
            continue
        later = [
            j
            for j, s in enumerate(policy.steps)
            if _kind(s.channel) == kind and s.offset_days >= 0 and j > i
        ]
        if overdue and step.offset_days < 0 and later:
            reason = (
                f"the invoice is overdue since {due_date.isoformat()}: a notice before the "
                f"due date would be wrong; {_describe(later[0], policy.steps[later[0]])} follows"
            )
            decisions.append(StepDecision(i, step, "SUPERSEDED", None, reason))
            continue
        at = place(max(moment, now))
        anchors[kind] = (step.offset_days, at)
        decisions.append(_scheduled(i, step, moment, at))
    return decisions


def _scheduled(i: int, step: PolicyStep, moment: datetime, at: datetime) -> StepDecision:
    """A step due since ``moment``, to go out ``at``."""
    return StepDecision(i, step, "SCHEDULE", at, f"due since {moment.isoformat()}")


def _latest_step(
    policy: DunningPolicy,
    due_date: date,
    tz: tzinfo,
    now: datetime,
    done: set[int],
    holidays: Container[date],
) -> list[StepDecision]:
    place = placer(policy, tz, holidays)
    moments = [step_moment(s, due_date, tz, policy.send_window) for s in policy.steps]
    due = [i for i, m in enumerate(moments) if m <= now]
    decisions: list[StepDecision] = []
    for i in due:
        if i in done:
            continue
        step = policy.steps[i]
        later = [
            j
            for j in due
            if _kind(policy.steps[j].channel) == _kind(step.channel)
            and policy.steps[j].offset_days > step.offset_days
        ]
        if later:
            same_channel = [j for j in later if policy.steps[j].channel == step.channel]
            j = (same_channel or later)[-1]
            reason = f"superseded by {_describe(j, policy.steps[j])}, also due"
            decisions.append(StepDecision(i, step, "SUPERSEDED", None, reason))
            continue
        decisions.append(_scheduled(i, step, moments[i], place(max(moments[i], now))))
    return decisions


def next_step_moment(
    policy: DunningPolicy,
    due_date: date,
    tz: tzinfo,
    now: datetime,
    already_scheduled: Iterable[int] = (),
) -> datetime | None:
    """When the next not-yet-scheduled step falls due after ``now`` (UTC), or None."""
    _require_aware(now, "now")
    done = set(already_scheduled)
    future = [
        m
        for i, s in enumerate(policy.steps)
        if i not in done and (m := step_moment(s, due_date, tz, policy.send_window)) > now
    ]
    return min(future, default=None)


def _earliest_allowed(
    t: datetime,
    contacts: Sequence[datetime],
    cap: int,
    window: timedelta,
    place: Callable[[datetime], datetime],
) -> datetime:
    """First t' >= t, as placed by ``place``, that keeps every rolling window at <= cap."""
    return earliest_allowed(t, [(contacts, cap)], window, place)


def _span(window: timedelta) -> str:
    if window % timedelta(days=1) == timedelta(0):
        return f"{window.days} days"
    return f"{window.total_seconds():g} seconds"


def apply_frequency_cap(
    decisions: Sequence[StepDecision],
    recent_contacts: Mapping[Channel, Sequence[datetime]],
    cap: int | None,
    window: timedelta = CAP_WINDOW,
    place: Callable[[datetime], datetime] | None = None,
) -> list[StepDecision]:
    """Push SCHEDULE decisions later so no rolling ``window`` holds more than ``cap`` contacts.

    The cap is per channel and covers customer contacts only (EMAIL, SMS); CALL/LETTER
    tasks and SUPERSEDED decisions pass through unchanged. ``recent_contacts`` maps a
    channel to the instants of contacts already made *or already scheduled* for this
    customer on it (past and future). Decisions are taken in ``scheduled_at`` order, each
    one counting against the next. A pushed decision keeps action SCHEDULE, gets the new
    ``scheduled_at``, ``deferred_from`` = the original time and a reason suffix. ``place``
    re-places a pushed time in the send window (see :func:`placer`); without it, times are
    pushed to the exact instant the window frees up. ``cap=None`` disables the cap.
    """
    if cap is None:
        return list(decisions)
    if cap < 1:
        raise ValueError(f"cap must be a positive integer or None, got {cap}")
    if window <= timedelta(0):
        raise ValueError("window must be positive")
    place_fn: Callable[[datetime], datetime] = place or (lambda t: t)
    history: dict[Channel, list[datetime]] = {}
    for channel, times in recent_contacts.items():
        for t in times:
            _require_aware(t, "recent contact")
        history[channel] = sorted(t.astimezone(UTC) for t in times)
    result = list(decisions)
    order = sorted(
        (k for k, d in enumerate(result) if d.action == "SCHEDULE" and d.step.channel.is_contact),
        key=lambda k: (result[k].scheduled_at or datetime.min.replace(tzinfo=UTC), k),
    )
    for k in order:
        d = result[k]
        if d.scheduled_at is None:  # a SCHEDULE decision always has a time; be defensive
            continue
        contacts = history.setdefault(d.step.channel, [])
        at = _earliest_allowed(d.scheduled_at, contacts, cap, window, place_fn)
        bisect.insort(contacts, at)
        if at != d.scheduled_at:
            note = f"; deferred by frequency cap ({cap} {d.step.channel} per {_span(window)})"
            result[k] = replace(
                d, scheduled_at=at, reason=d.reason + note, deferred_from=d.scheduled_at
            )
    return result
