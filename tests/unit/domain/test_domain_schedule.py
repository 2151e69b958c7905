"""Schedule rules with a fixed clock: send windows, time zones, DST, catch-up, supersede, cap."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from payrec.domain.policy import (
    DEFAULT_POLICY,
    CatchUp,
    Channel,
    DunningPolicy,
    PolicyStep,
    SendWindow,
)
from payrec.domain.schedule import (
    StepDecision,
    apply_frequency_cap,
    due_steps,
    local_to_utc,
    next_step_moment,
    place_in_window,
    placer,
    step_moment,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
DEFAULT = SendWindow()
NO_WEEKENDS = SendWindow(weekends=False)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- place_in_window ------------------------------------------------------------------

# fmt: off
PLACE_CASES = [
    # (label, tz, window, business_days_only, holidays, earliest, expected)
    ("inside window stays", BERLIN, DEFAULT, False, (), utc(2026, 1, 14, 12), utc(2026, 1, 14, 12)),
    ("early morning waits for 08:00", BERLIN, DEFAULT, False, (), utc(2026, 1, 14, 5),
     utc(2026, 1, 14, 7)),
    ("at night -> next morning local", BERLIN, DEFAULT, False, (), utc(2026, 1, 14, 22, 30),
     utc(2026, 1, 15, 7)),
    ("end is exclusive", BERLIN, DEFAULT, False, (), utc(2026, 1, 14, 20), utc(2026, 1, 15, 7)),
    ("one second before end", BERLIN, DEFAULT, False, (), utc(2026, 1, 14, 19, 59, 59),
     utc(2026, 1, 14, 19, 59, 59)),
    ("New York customer at night", NEW_YORK, DEFAULT, False, (), utc(2026, 1, 15, 3),
     utc(2026, 1, 15, 13)),
    ("Tokyo morning is UTC midnight", TOKYO, DEFAULT, False, (), utc(2026, 1, 15, 0),
     utc(2026, 1, 15, 0)),
    ("Tokyo evening -> next day", TOKYO, DEFAULT, False, (), utc(2026, 1, 15, 12, 30),
     utc(2026, 1, 15, 23)),
    ("weekends allowed: Saturday ok", BERLIN, DEFAULT, False, (), utc(2026, 1, 17, 10),
     utc(2026, 1, 17, 10)),
    ("weekends off: Saturday -> Monday", BERLIN, NO_WEEKENDS, False, (), utc(2026, 1, 17, 10),
     utc(2026, 1, 19, 7)),
    ("weekends off: Friday night -> Monday", BERLIN, NO_WEEKENDS, False, (),
     utc(2026, 1, 16, 21), utc(2026, 1, 19, 7)),
    ("business days: Sunday -> Monday", BERLIN, DEFAULT, True, (), utc(2026, 1, 18, 10),
     utc(2026, 1, 19, 7)),
    ("business days skip holiday Monday", BERLIN, DEFAULT, True, (date(2026, 1, 19),),
     utc(2026, 1, 17, 10), utc(2026, 1, 20, 7)),
    ("holidays ignored without business days", BERLIN, DEFAULT, False, (date(2026, 1, 19),),
     utc(2026, 1, 19, 10), utc(2026, 1, 19, 10)),
    ("holiday is a local date", NEW_YORK, DEFAULT, True, (date(2026, 1, 19),),
     utc(2026, 1, 19, 3), utc(2026, 1, 20, 13)),  # 22:00 EST on Sunday 18th -> Tuesday
    # DST, Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET
    ("Berlin spring day 08:00 is CEST", BERLIN, DEFAULT, False, (), utc(2026, 3, 28, 21),
     utc(2026, 3, 29, 6)),
    ("Berlin autumn day 08:00 is CET", BERLIN, DEFAULT, False, (), utc(2026, 10, 24, 20),
     utc(2026, 10, 25, 7)),
    ("Berlin start in spring gap -> 03:00 CEST", BERLIN, SendWindow(time(2, 30)), False, (),
     utc(2026, 3, 28, 23), utc(2026, 3, 29, 1)),
    ("Berlin ambiguous start -> first (CEST)", BERLIN, SendWindow(time(2, 30)), False, (),
     utc(2026, 10, 24, 22), utc(2026, 10, 25, 0, 30)),
    ("Berlin repeated hour before start waits for 2nd", BERLIN, SendWindow(time(2, 45)), False,
     (), utc(2026, 10, 25, 1, 10), utc(2026, 10, 25, 1, 45)),
    # DST, America/New_York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST
    ("New York spring day 08:00 is EDT", NEW_YORK, DEFAULT, False, (), utc(2026, 3, 8, 5),
     utc(2026, 3, 8, 12)),
    ("New York start in spring gap", NEW_YORK, SendWindow(time(2, 30)), False, (),
     utc(2026, 3, 8, 5), utc(2026, 3, 8, 7)),
    ("New York ambiguous 01:30 -> EDT", NEW_YORK, SendWindow(time(1, 30)), False, (),
     utc(2026, 11, 1, 4), utc(2026, 11, 1, 5, 30)),
    ("New York autumn day 08:00 is EST", NEW_YORK, DEFAULT, False, (), utc(2026, 11, 1, 4),
     utc(2026, 11, 1, 13)),
]
# fmt: on


@pytest.mark.parametrize(
    ("tz", "window", "bdo", "holidays", "earliest", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in PLACE_CASES],
)
def test_place_in_window(
    tz: ZoneInfo,
    window: SendWindow,
    bdo: bool,
    holidays: tuple[date, ...],
    earliest: datetime,
    expected: datetime,
) -> None:
    placed = place_in_window(earliest, tz, window, bdo, frozenset(holidays))
    assert placed == expected
    assert placed.tzinfo is UTC


def test_place_in_window_accepts_any_offset_and_rejects_naive() -> None:
    plus_two = datetime(2026, 1, 14, 14, tzinfo=ZoneInfo("Africa/Cairo"))
    assert place_in_window(plus_two, BERLIN, DEFAULT) == utc(2026, 1, 14, 12)
    with pytest.raises(ValueError, match="timezone-aware"):
        place_in_window(datetime(2026, 1, 14, 12), BERLIN, DEFAULT)


def test_place_in_window_gives_up_when_no_day_is_allowed() -> None:
    every_day = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(800))
    with pytest.raises(ValueError, match="no allowed send day"):
        place_in_window(utc(2026, 1, 1), BERLIN, DEFAULT, True, every_day)


def test_local_to_utc_gap_and_fold() -> None:
    assert local_to_utc(date(2026, 3, 29), time(2, 30), BERLIN) == utc(2026, 3, 29, 1)
    assert local_to_utc(date(2026, 10, 25), time(2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)
    assert local_to_utc(date(2026, 10, 25), time(2, 30), BERLIN, fold=1) == utc(2026, 10, 25, 1, 30)
    assert local_to_utc(date(2026, 3, 29), time(2, 30), BERLIN, fold=1) == utc(2026, 3, 29, 1)


ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute DST shift
    "Pacific/Chatham",
    "America/Santiago",  # DST changes at midnight
    "America/St_Johns",
]


@st.composite
def windows(draw: st.DrawFn) -> SendWindow:
    start = draw(st.integers(0, 24 * 60 - 2))
    end = draw(st.integers(start + 1, 24 * 60 - 1))
    return SendWindow(
        time(start // 60, start % 60), time(end // 60, end % 60), weekends=draw(st.booleans())
    )


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    window=windows(),
    bdo=st.booleans(),
    earliest=st.datetimes(
        min_value=datetime(2024, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)
    ),
)
def test_placed_time_is_inside_local_window(
    zone: str, window: SendWindow, bdo: bool, earliest: datetime
) -> None:
    tz = ZoneInfo(zone)
    placed = place_in_window(earliest, tz, window, bdo)
    assert placed >= earliest
    local = placed.astimezone(tz)
    assert window.start <= local.time() < window.end
    if bdo or not window.weekends:
        assert local.weekday() < 5
    # Minimal: nothing earlier qualifies unless it is before `earliest`.
    assert placed == earliest or placed == place_in_window(placed, tz, window, bdo)


# --- due_steps --------------------------------------------------------------------------

DUE = date(2026, 1, 14)  # a Wednesday; window start 08:00 Berlin = 07:00Z in winter


def decisions_summary(decisions: list[StepDecision]) -> list[tuple[int, str, datetime | None]]:
    return [(d.step_index, d.action, d.scheduled_at) for d in decisions]


LATEST = replace(DEFAULT_POLICY, catch_up=CatchUp.LATEST_STEP)

# fmt: off
DUE_CASES = [
    # (label, now, already_scheduled, expected [(index, action, scheduled_at)])
    ("4 days before due: nothing", utc(2026, 1, 10, 12), set(), []),
    ("friendly notice exactly at its moment", utc(2026, 1, 11, 7), set(),
     [(0, "SCHEDULE", utc(2026, 1, 11, 7))]),
    ("one second early: nothing", utc(2026, 1, 11, 6, 59, 59), set(), []),
    ("already scheduled step is not repeated", utc(2026, 1, 12, 7), {0}, []),
    ("+1 due, friendly superseded if never sent", utc(2026, 1, 15, 9), set(),
     [(0, "SUPERSEDED", None), (1, "SCHEDULE", utc(2026, 1, 15, 9))]),
    ("+14 email and sms both scheduled", utc(2026, 1, 28, 7), {0, 1, 2},
     [(3, "SCHEDULE", utc(2026, 1, 28, 7)), (4, "SCHEDULE", utc(2026, 1, 28, 7))]),
    ("everything done", utc(2026, 3, 1, 10), {0, 1, 2, 3, 4, 5}, []),
]
LATEST_CASES = [
    ("catch-up after missed run: +1 superseded by +7", utc(2026, 1, 22, 12), {0},
     [(1, "SUPERSEDED", None), (2, "SCHEDULE", utc(2026, 1, 22, 12))]),
    ("missed run late at night -> next morning", utc(2026, 1, 21, 22), {0},
     [(1, "SUPERSEDED", None), (2, "SCHEDULE", utc(2026, 1, 22, 7))]),
    ("long overdue: contacts collapse, call kept", utc(2026, 3, 1, 10), set(),
     [(0, "SUPERSEDED", None), (1, "SUPERSEDED", None), (2, "SUPERSEDED", None),
      (3, "SCHEDULE", utc(2026, 3, 1, 10)), (4, "SCHEDULE", utc(2026, 3, 1, 10)),
      (5, "SCHEDULE", utc(2026, 3, 1, 10))]),
]
FIRST_CASES = [
    ("missed run: +1 goes out now, +7 waits its gap", utc(2026, 1, 22, 12), {0},
     [(1, "SCHEDULE", utc(2026, 1, 22, 12))]),
    ("missed run late at night -> +1 next morning", utc(2026, 1, 21, 22), {0},
     [(1, "SCHEDULE", utc(2026, 1, 22, 7))]),
    ("backlog invoice: the first overdue step, the call on its own", utc(2026, 3, 1, 10), set(),
     [(0, "SUPERSEDED", None), (1, "SCHEDULE", utc(2026, 3, 1, 10)),
      (5, "SCHEDULE", utc(2026, 3, 1, 10))]),
]
# fmt: on


@pytest.mark.parametrize(
    ("now", "done", "expected"), [pytest.param(*c[1:], id=c[0]) for c in DUE_CASES]
)
def test_due_steps_default_policy_berlin(
    now: datetime, done: set[int], expected: list[tuple[int, str, datetime | None]]
) -> None:
    """Cases both catch-up rules agree on."""
    assert decisions_summary(due_steps(DEFAULT_POLICY, DUE, BERLIN, now, done)) == expected
    assert decisions_summary(due_steps(LATEST, DUE, BERLIN, now, done)) == expected


@pytest.mark.parametrize(
    ("now", "done", "expected"), [pytest.param(*c[1:], id=c[0]) for c in LATEST_CASES]
)
def test_latest_step_catch_up_supersedes_the_earlier_due_steps(
    now: datetime, done: set[int], expected: list[tuple[int, str, datetime | None]]
) -> None:
    assert decisions_summary(due_steps(LATEST, DUE, BERLIN, now, done)) == expected


@pytest.mark.parametrize(
    ("now", "done", "expected"), [pytest.param(*c[1:], id=c[0]) for c in FIRST_CASES]
)
def test_first_step_catch_up_starts_at_the_first_overdue_step(
    now: datetime, done: set[int], expected: list[tuple[int, str, datetime | None]]
) -> None:
    assert decisions_summary(due_steps(DEFAULT_POLICY, DUE, BERLIN, now, done)) == expected


def test_a_backlog_invoice_walks_the_ladder_from_its_first_step() -> None:
    """A 2026-01-14 invoice first planned on 1 March: +1 then, +7 six days later, +14 (e-mail
    and SMS) seven days after that; never a "second reminder" first."""
    now = utc(2026, 3, 1, 10)
    first = due_steps(DEFAULT_POLICY, DUE, BERLIN, now)
    assert [(d.step_index, d.action) for d in first] == [
        (0, "SUPERSEDED"), (1, "SCHEDULE"), (5, "SCHEDULE")
    ]
    planned: dict[int, datetime | None] = {0: None, 1: now, 5: now}
    assert due_steps(DEFAULT_POLICY, DUE, BERLIN, utc(2026, 3, 7, 6, 59), planned) == []
    second = due_steps(DEFAULT_POLICY, DUE, BERLIN, utc(2026, 3, 7, 7), planned)
    assert decisions_summary(second) == [(2, "SCHEDULE", utc(2026, 3, 7, 7))]
    planned[2] = utc(2026, 3, 7, 7)
    assert due_steps(DEFAULT_POLICY, DUE, BERLIN, utc(2026, 3, 13, 12), planned) == []
    third = due_steps(DEFAULT_POLICY, DUE, BERLIN, utc(2026, 3, 14, 7), planned)
    assert decisions_summary(third) == [
        (3, "SCHEDULE", utc(2026, 3, 14, 7)), (4, "SCHEDULE", utc(2026, 3, 14, 7))
    ]


def test_first_step_without_planned_times_falls_back_to_the_nominal_moments() -> None:
    """A step known only by its key (no planned instant) does not delay the later ones."""
    decisions = due_steps(DEFAULT_POLICY, DUE, BERLIN, utc(2026, 1, 22, 12), {0, 1})
    assert decisions_summary(decisions) == [(2, "SCHEDULE", utc(2026, 1, 22, 12))]


def test_a_pre_due_step_goes_out_before_the_due_date_even_late() -> None:
    """A missed run on the day before the due date still sends the friendly notice."""
    decisions = due_steps(DEFAULT_POLICY, DUE, BERLIN, utc(2026, 1, 13, 12))
    assert decisions_summary(decisions) == [(0, "SCHEDULE", utc(2026, 1, 13, 12))]


def test_a_policy_of_pre_due_steps_only_still_sends_the_last_one() -> None:
    p = policy(PolicyStep(-5, Channel.EMAIL, "a"), PolicyStep(-2, Channel.EMAIL, "b"))
    decisions = due_steps(p, DUE, BERLIN, utc(2026, 1, 20, 12))
    assert [(d.step_index, d.action) for d in decisions] == [(0, "SUPERSEDED"), (1, "SCHEDULE")]


def policy(
    *steps: PolicyStep,
    window: SendWindow = DEFAULT,
    bdo: bool = False,
    catch_up: CatchUp = CatchUp.LATEST_STEP,
) -> DunningPolicy:
    return DunningPolicy(
        "p", "test", steps, send_window=window, business_days_only=bdo, catch_up=catch_up
    )


def test_superseded_reason_names_the_later_step() -> None:
    decisions = due_steps(LATEST, DUE, BERLIN, utc(2026, 1, 22, 12), {0})
    assert "step 2" in decisions[0].reason and "reminder-2" in decisions[0].reason
    assert decisions[1].reason.startswith("due since")
    overdue = due_steps(DEFAULT_POLICY, DUE, BERLIN, utc(2026, 1, 22, 12))
    assert "overdue since 2026-01-14" in overdue[0].reason and "step 1" in overdue[0].reason


def test_call_is_never_superseded_by_email_and_email_not_by_call() -> None:
    p = policy(
        PolicyStep(5, Channel.CALL, "call"),
        PolicyStep(10, Channel.EMAIL, "late-email"),
        PolicyStep(20, Channel.LETTER, "letter"),
    )
    decisions = due_steps(p, DUE, BERLIN, utc(2026, 3, 1, 12), set())
    assert [d.action for d in decisions] == ["SCHEDULE", "SCHEDULE", "SCHEDULE"]
    first = due_steps(replace(p, catch_up=CatchUp.FIRST_STEP), DUE, BERLIN, utc(2026, 3, 1, 12))
    assert [d.action for d in first] == ["SCHEDULE", "SCHEDULE", "SCHEDULE"]


def test_later_call_supersedes_earlier_call() -> None:
    p = policy(PolicyStep(5, Channel.CALL, "call-1"), PolicyStep(20, Channel.CALL, "call-2"))
    decisions = due_steps(p, DUE, BERLIN, utc(2026, 3, 1, 12), set())
    assert [d.action for d in decisions] == ["SUPERSEDED", "SCHEDULE"]


def test_sms_supersedes_earlier_email() -> None:
    p = policy(PolicyStep(1, Channel.EMAIL, "e"), PolicyStep(3, Channel.SMS, "s"))
    decisions = due_steps(p, DUE, BERLIN, utc(2026, 1, 20, 12), set())
    assert [d.action for d in decisions] == ["SUPERSEDED", "SCHEDULE"]


def test_already_scheduled_later_step_still_supersedes() -> None:
    p = policy(PolicyStep(1, Channel.EMAIL, "e1"), PolicyStep(3, Channel.EMAIL, "e3"))
    decisions = due_steps(p, DUE, BERLIN, utc(2026, 1, 20, 12), {1})
    assert decisions_summary(decisions) == [(0, "SUPERSEDED", None)]


def test_weekend_step_moves_to_monday_without_weekends() -> None:
    p = policy(PolicyStep(1, Channel.EMAIL, "e"), window=NO_WEEKENDS)
    friday = date(2026, 1, 16)
    # Step moment Saturday 08:00; the Saturday run schedules it for Monday 08:00.
    decisions = due_steps(p, friday, BERLIN, utc(2026, 1, 17, 7), set())
    assert decisions_summary(decisions) == [(0, "SCHEDULE", utc(2026, 1, 19, 7))]


def test_business_days_skip_holidays() -> None:
    p = policy(PolicyStep(0, Channel.EMAIL, "e"), bdo=True)
    decisions = due_steps(
        p, date(2026, 1, 19), BERLIN, utc(2026, 1, 19, 7), set(), frozenset({date(2026, 1, 19)})
    )
    assert decisions_summary(decisions) == [(0, "SCHEDULE", utc(2026, 1, 20, 7))]


@pytest.mark.parametrize(
    ("tz", "due", "moment"),
    [
        (BERLIN, date(2026, 3, 28), utc(2026, 3, 29, 6)),  # +1 = spring Sunday, CEST
        (BERLIN, date(2026, 10, 24), utc(2026, 10, 25, 7)),  # +1 = autumn Sunday, CET
        (NEW_YORK, date(2026, 3, 7), utc(2026, 3, 8, 12)),  # EDT
        (NEW_YORK, date(2026, 10, 31), utc(2026, 11, 1, 13)),  # EST
        (TOKYO, date(2026, 3, 28), utc(2026, 3, 28, 23)),
    ],
)
def test_step_moment_across_dst(tz: ZoneInfo, due: date, moment: datetime) -> None:
    step = PolicyStep(1, Channel.EMAIL, "e")
    assert step_moment(step, due, tz, DEFAULT) == moment
    p = policy(step)
    assert due_steps(p, due, tz, moment - timedelta(seconds=1), set()) == []
    assert decisions_summary(due_steps(p, due, tz, moment, set())) == [(0, "SCHEDULE", moment)]


def test_due_steps_requires_aware_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_steps(DEFAULT_POLICY, DUE, BERLIN, datetime(2026, 1, 20), set())


def test_next_step_moment() -> None:
    assert next_step_moment(DEFAULT_POLICY, DUE, BERLIN, utc(2026, 1, 1)) == utc(2026, 1, 11, 7)
    assert next_step_moment(DEFAULT_POLICY, DUE, BERLIN, utc(2026, 1, 11, 7)) == utc(2026, 1, 15, 7)
    assert next_step_moment(DEFAULT_POLICY, DUE, BERLIN, utc(2026, 1, 16), {2}) == utc(
        2026, 1, 28, 7
    )
    assert next_step_moment(DEFAULT_POLICY, DUE, BERLIN, utc(2026, 3, 1)) is None


# --- frequency cap -------------------------------------------------------------------------

NOW = utc(2026, 1, 22, 12)


def scheduled(index: int, channel: Channel, at: datetime) -> StepDecision:
    return StepDecision(index, PolicyStep(index, channel, f"t{index}"), "SCHEDULE", at, "due")


def test_cap_pushes_past_the_rolling_window() -> None:
    recent = {Channel.EMAIL: [NOW - timedelta(days=d) for d in (6, 5, 4)]}
    [d] = apply_frequency_cap([scheduled(0, Channel.EMAIL, NOW)], recent, 3)
    assert d.scheduled_at == NOW + timedelta(days=1)  # oldest of the three + 7 days
    assert d.deferred_from == NOW
    assert "frequency cap" in d.reason


def test_cap_under_limit_is_unchanged() -> None:
    recent = {Channel.EMAIL: [NOW - timedelta(days=d) for d in (6, 5)]}
    decisions = [scheduled(0, Channel.EMAIL, NOW)]
    assert apply_frequency_cap(decisions, recent, 3) == decisions


def test_cap_contacts_exactly_a_window_apart_are_fine() -> None:
    recent = {Channel.EMAIL: [NOW - timedelta(days=7)]}
    decisions = [scheduled(0, Channel.EMAIL, NOW)]
    assert apply_frequency_cap(decisions, recent, 1) == decisions


def test_cap_is_per_channel_and_ignores_manual_tasks() -> None:
    recent = {Channel.EMAIL: [NOW - timedelta(days=1)]}
    decisions = [
        scheduled(0, Channel.SMS, NOW),
        scheduled(1, Channel.CALL, NOW),
        scheduled(2, Channel.EMAIL, NOW),
    ]
    capped = apply_frequency_cap(decisions, recent, 1)
    assert capped[:2] == decisions[:2]
    assert capped[2].scheduled_at == NOW + timedelta(days=6)


def test_cap_counts_new_decisions_against_each_other() -> None:
    decisions = [scheduled(0, Channel.EMAIL, NOW), scheduled(1, Channel.EMAIL, NOW)]
    capped = apply_frequency_cap(decisions, {}, 1)
    assert [d.scheduled_at for d in capped] == [NOW, NOW + timedelta(days=7)]


def test_cap_counts_future_scheduled_contacts() -> None:
    recent = {Channel.EMAIL: [NOW + timedelta(days=2)]}
    [d] = apply_frequency_cap([scheduled(0, Channel.EMAIL, NOW)], recent, 1)
    assert d.scheduled_at == NOW + timedelta(days=9)


def test_cap_replaces_in_send_window() -> None:
    # Oldest contact at 21:30 local: the window frees at 21:30 a week later -> next 08:00.
    recent = {Channel.EMAIL: [utc(2026, 1, 15, 20, 30)]}
    place = placer(DEFAULT_POLICY, BERLIN)
    [d] = apply_frequency_cap([scheduled(0, Channel.EMAIL, NOW)], recent, 1, place=place)
    assert d.scheduled_at == utc(2026, 1, 23, 7)


def test_cap_none_disables_and_bad_cap_rejected() -> None:
    recent = {Channel.EMAIL: [NOW] * 10}
    decisions = [scheduled(0, Channel.EMAIL, NOW)]
    assert apply_frequency_cap(decisions, recent, None) == decisions
    with pytest.raises(ValueError, match="cap"):
        apply_frequency_cap(decisions, recent, 0)


def test_cap_leaves_superseded_alone() -> None:
    sup = StepDecision(0, PolicyStep(0, Channel.EMAIL, "t"), "SUPERSEDED", None, "x")
    assert apply_frequency_cap([sup], {Channel.EMAIL: [NOW] * 5}, 1) == [sup]


def _max_in_window(times: list[datetime], window: timedelta) -> int:
    times = sorted(times)
    best = 0
    for i, t in enumerate(times):
        best = max(best, sum(1 for u in times[i:] if u - t < window))
    return best


@settings(max_examples=200, deadline=None)
@given(
    cap=st.integers(1, 4),
    past=st.lists(st.integers(-14 * 24, 7 * 24), max_size=6),
    new=st.lists(st.integers(0, 10 * 24), min_size=1, max_size=4),
)
def test_cap_property_no_window_over_cap(cap: int, past: list[int], new: list[int]) -> None:
    # Only non-violating histories: what the cap itself would have produced.
    history: list[datetime] = []
    for h in sorted(past):
        t = NOW + timedelta(hours=h)
        if _max_in_window([*history, t], timedelta(days=7)) <= cap:
            history.append(t)
    decisions = [scheduled(i, Channel.EMAIL, NOW + timedelta(hours=h)) for i, h in enumerate(new)]
    capped = apply_frequency_cap(decisions, {Channel.EMAIL: history}, cap)
    times = [d.scheduled_at for d in capped if d.scheduled_at is not None]
    assert _max_in_window([*history, *times], timedelta(days=7)) <= cap
    for before, after in zip(decisions, capped, strict=True):
        assert after.scheduled_at is not None and before.scheduled_at is not None
        assert after.scheduled_at >= before.scheduled_at
