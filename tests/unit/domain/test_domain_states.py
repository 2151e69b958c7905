"""State machines: legal and illegal moves, idempotent repeats, terminal states."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payrec.domain.errors import DomainError
from payrec.domain.states import (
    CASE,
    CONTACTABLE_CASE_STATUSES,
    NOTIFICATION,
    OPEN_CASE_STATUSES,
    PRIORITY_RANK,
    REMINDER,
    TASK,
    TASK_TRANSITIONS,
    CaseStatus,
    IllegalTransition,
    NotificationStatus,
    Priority,
    ReminderStatus,
    StateMachine,
    TaskStatus,
    can_transition,
    check_transition,
)

T, C, R, N = TaskStatus, CaseStatus, ReminderStatus, NotificationStatus

LEGAL = [
    (TASK, T.PENDING, T.IN_PROGRESS),
    (TASK, T.PENDING, T.COMPLETED),
    (TASK, T.PENDING, T.FAILED),
    (TASK, T.PENDING, T.CANCELLED),
    (TASK, T.IN_PROGRESS, T.COMPLETED),
    (TASK, T.IN_PROGRESS, T.FAILED),
    (TASK, T.IN_PROGRESS, T.PENDING),
    (TASK, T.IN_PROGRESS, T.CANCELLED),
    (TASK, T.FAILED, T.PENDING),
    (CASE, C.PENDING, C.OVERDUE),
    (CASE, C.OVERDUE, C.IN_PROGRESS),
    (CASE, C.IN_PROGRESS, C.RESOLVED),
    (CASE, C.OVERDUE, C.PAUSED),
    (CASE, C.PAUSED, C.OVERDUE),
    (CASE, C.IN_PROGRESS, C.DISPUTED),
    (CASE, C.DISPUTED, C.WRITTEN_OFF),
    (CASE, C.DISPUTED, C.IN_PROGRESS),
    (REMINDER, R.SCHEDULED, R.SENT),
    (REMINDER, R.SCHEDULED, R.FAILED),
    (REMINDER, R.SCHEDULED, R.CANCELLED),
    (NOTIFICATION, N.PENDING, N.IN_PROGRESS),
    (NOTIFICATION, N.PENDING, N.SENT),
    (NOTIFICATION, N.PENDING, N.FAILED),
    (NOTIFICATION, N.PENDING, N.CANCELLED),
    (NOTIFICATION, N.IN_PROGRESS, N.SENT),
    (NOTIFICATION, N.IN_PROGRESS, N.FAILED),
    (NOTIFICATION, N.IN_PROGRESS, N.CANCELLED),
    (NOTIFICATION, N.IN_PROGRESS, N.PENDING),
    (NOTIFICATION, N.FAILED, N.PENDING),
]

ILLEGAL = [
    (TASK, T.COMPLETED, T.PENDING),
    (TASK, T.COMPLETED, T.FAILED),
    (TASK, T.CANCELLED, T.PENDING),
    (TASK, T.FAILED, T.COMPLETED),
    (TASK, T.FAILED, T.IN_PROGRESS),
    (CASE, C.RESOLVED, C.IN_PROGRESS),
    (CASE, C.RESOLVED, C.WRITTEN_OFF),
    (CASE, C.WRITTEN_OFF, C.OVERDUE),
    (REMINDER, R.SENT, R.FAILED),
    (REMINDER, R.SENT, R.SCHEDULED),
    (REMINDER, R.FAILED, R.SENT),
    (REMINDER, R.CANCELLED, R.SENT),
    (NOTIFICATION, N.SENT, N.PENDING),
    (NOTIFICATION, N.CANCELLED, N.PENDING),
    (NOTIFICATION, N.FAILED, N.SENT),
    (TASK, "PENDING", "DONE"),
    (TASK, "NOPE", "PENDING"),
]


@pytest.mark.parametrize(("machine", "src", "dst"), LEGAL)
def test_legal_moves(machine: StateMachine, src: str, dst: str) -> None:
    assert can_transition(machine, src, dst)
    assert check_transition(machine, src, dst) is True


@pytest.mark.parametrize(("machine", "src", "dst"), ILLEGAL)
def test_illegal_moves(machine: StateMachine, src: str, dst: str) -> None:
    assert not can_transition(machine, src, dst)
    with pytest.raises(IllegalTransition) as info:
        check_transition(machine, src, dst)
    err = info.value
    assert (err.machine, err.from_state, err.to_state) == (machine.name, src, dst)
    assert isinstance(err, DomainError) and err.status == 409
    assert err.code == "illegal-transition"
    assert f"{src} -> {dst}" in str(err)


@pytest.mark.parametrize("machine", [TASK, CASE, REMINDER, NOTIFICATION])
def test_same_state_is_idempotent_noop(machine: StateMachine) -> None:
    for state in machine.states:
        assert check_transition(machine, state, state) is False


def test_reminder_sent_twice_is_noop() -> None:
    assert check_transition(REMINDER, R.SENT, R.SENT) is False


def test_tables_cover_every_enum_member() -> None:
    for machine, enum in [
        (TASK, TaskStatus),
        (CASE, CaseStatus),
        (REMINDER, ReminderStatus),
        (NOTIFICATION, NotificationStatus),
    ]:
        assert machine.states == frozenset(enum)
        for targets in machine.transitions.values():
            assert targets <= machine.states


def test_terminal_states() -> None:
    assert TASK.terminal == {T.COMPLETED, T.CANCELLED}
    assert CASE.terminal == {C.RESOLVED, C.WRITTEN_OFF}
    assert REMINDER.terminal == {R.SENT, R.FAILED, R.CANCELLED}
    assert NOTIFICATION.terminal == {N.SENT, N.CANCELLED}


def test_contract_task_table() -> None:
    assert TASK_TRANSITIONS[T.PENDING] == {T.IN_PROGRESS, T.COMPLETED, T.FAILED, T.CANCELLED}
    assert TASK_TRANSITIONS[T.FAILED] == {T.PENDING}


def test_case_status_sets() -> None:
    assert {C.PENDING, C.OVERDUE, C.IN_PROGRESS} == OPEN_CASE_STATUSES
    assert CONTACTABLE_CASE_STATUSES.isdisjoint({C.PAUSED, C.DISPUTED, C.RESOLVED, C.WRITTEN_OFF})


def test_priority_rank_orders_high_first() -> None:
    assert sorted(Priority, key=PRIORITY_RANK.__getitem__) == [
        Priority.HIGH,
        Priority.MEDIUM,
        Priority.LOW,
    ]


def test_status_enums_are_strings() -> None:
    assert TaskStatus("PENDING") == "PENDING"
    assert f"{CaseStatus.WRITTEN_OFF}" == "WRITTEN_OFF"


MACHINES = st.sampled_from([TASK, CASE, REMINDER, NOTIFICATION])


@given(data=st.data(), machine=MACHINES)
def test_no_transition_out_of_terminal_states(data: st.DataObject, machine: StateMachine) -> None:
    terminal = sorted(machine.terminal)
    src = data.draw(st.sampled_from(terminal))
    dst = data.draw(st.sampled_from(sorted(machine.states)))
    if dst == src:
        assert check_transition(machine, src, dst) is False
    else:
        with pytest.raises(IllegalTransition):
            check_transition(machine, src, dst)


@given(machine=MACHINES, walk=st.lists(st.integers(0, 100), max_size=30))
def test_random_walks_follow_the_table(machine: StateMachine, walk: list[int]) -> None:
    state = sorted(machine.states)[walk[0] % len(machine.states)] if walk else None
    for pick in walk[1:]:
        assert state is not None
        targets = sorted(machine.transitions[state])
        if not targets:
            assert state in machine.terminal
            break
        nxt = targets[pick % len(targets)]
        assert check_transition(machine, state, nxt) is True
        state = nxt
