"""Dunning policy: default policy, validation, JSON mapping."""

from __future__ import annotations

import dataclasses
from datetime import time
from typing import Any

import pytest

from payrec.domain.policy import (
    DEFAULT_POLICY,
    CatchUp,
    Channel,
    DunningPolicy,
    PolicyError,
    PolicyStep,
    SendWindow,
    policy_from_dict,
    policy_to_dict,
)
from payrec.domain.states import Priority


def test_default_policy_shape() -> None:
    assert DEFAULT_POLICY.id == "policy-default"
    steps = [(s.offset_days, s.channel, s.template_id, s.priority) for s in DEFAULT_POLICY.steps]
    assert steps == [
        (-3, Channel.EMAIL, "reminder-friendly", None),
        (1, Channel.EMAIL, "reminder-1", None),
        (7, Channel.EMAIL, "reminder-2", Priority.MEDIUM),
        (14, Channel.EMAIL, "reminder-3", Priority.HIGH),
        (14, Channel.SMS, "sms-reminder", None),
        (30, Channel.CALL, "call-collector", Priority.HIGH),
    ]
    assert DEFAULT_POLICY.send_window == SendWindow(time(8), time(21), weekends=True)
    assert DEFAULT_POLICY.max_contacts_per_7_days == 3
    assert not DEFAULT_POLICY.business_days_only


def test_policy_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_POLICY.name = "x"  # type: ignore[misc]


def test_channel_kinds() -> None:
    assert Channel.EMAIL.is_contact and Channel.SMS.is_contact
    assert not Channel.CALL.is_contact and not Channel.LETTER.is_contact


def test_step_coerces_strings() -> None:
    step = PolicyStep(1, "SMS", "t", "HIGH")  # type: ignore[arg-type]
    assert step.channel is Channel.SMS and step.priority is Priority.HIGH


def make(*steps: PolicyStep, **kw: Any) -> DunningPolicy:
    return DunningPolicy("p", "P", steps, **kw)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: make(PolicyStep(7, Channel.EMAIL, "a"), PolicyStep(1, Channel.EMAIL, "b")),
         "sorted by offsetDays"),
        (lambda: make(PolicyStep(1, Channel.EMAIL, "a"), PolicyStep(1, Channel.EMAIL, "b")),
         "duplicate EMAIL step at offset 1"),
        (lambda: make(), "at least one step"),
        (lambda: SendWindow(time(21), time(8)), "must be before end"),
        (lambda: SendWindow(time(9), time(9)), "must be before end"),
        (lambda: PolicyStep(1, "FAX", "a"), "must be one of EMAIL"),  # type: ignore[arg-type]
        (lambda: PolicyStep(1, Channel.EMAIL, "a", "URGENT"), "must be one of LOW"),  # type: ignore[arg-type]
        (lambda: PolicyStep(1, Channel.EMAIL, " "), "non-empty"),
        (lambda: PolicyStep(99999, Channel.EMAIL, "a"), "within"),
        (lambda: PolicyStep(True, Channel.EMAIL, "a"), "integer"),
        (lambda: make(PolicyStep(1, Channel.EMAIL, "a"), max_contacts_per_7_days=0),
         "positive integer"),
        (lambda: DunningPolicy("", "P", (PolicyStep(1, Channel.EMAIL, "a"),)), "non-empty"),
    ],
)  # fmt: skip
def test_validation_errors(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        build()
    assert isinstance(info.value, PolicyError) and info.value.status == 422


def test_same_offset_different_channels_is_fine() -> None:
    p = make(PolicyStep(1, Channel.EMAIL, "a"), PolicyStep(1, Channel.SMS, "b"))
    assert len(p.steps) == 2


def test_steps_list_becomes_tuple() -> None:
    p = DunningPolicy("p", "P", [PolicyStep(1, Channel.EMAIL, "a")])  # type: ignore[arg-type]
    assert isinstance(p.steps, tuple)


API_JSON: dict[str, Any] = {
    "id": "policy-gentle",
    "name": "Gentle",
    "steps": [
        {
            "offsetDays": -3,
            "channel": "EMAIL",
            "templateId": "reminder-friendly",
            "priority": None,
            "attachInvoice": True,
            "attachLetter": False,
        },
        {
            "offsetDays": 10,
            "channel": "LETTER",
            "templateId": "letter-1",
            "priority": "LOW",
            "attachInvoice": False,
            "attachLetter": False,
        },
    ],
    "sendWindow": {"start": "09:30", "end": "18:00", "weekends": False},
    "businessDaysOnly": True,
    "maxContactsPer7Days": None,
    "promiseGraceDays": 5,
    "maxContactsPer7DaysAllChannels": 2,
    "consolidate": False,
    "catchUp": "LATEST_STEP",
    "skipHolidays": None,
}


def test_from_dict_and_back() -> None:
    policy = policy_from_dict(API_JSON)
    assert policy.send_window == SendWindow(time(9, 30), time(18), weekends=False)
    assert policy.steps[1] == PolicyStep(10, Channel.LETTER, "letter-1", Priority.LOW)
    assert policy.max_contacts_per_7_days is None
    assert policy.promise_grace_days == 5
    assert policy.catch_up == CatchUp.LATEST_STEP
    assert policy_to_dict(policy) == API_JSON


@pytest.mark.parametrize("grace", [-1, 61, True, "3"])
def test_promise_grace_days_is_a_small_whole_number(grace: object) -> None:
    with pytest.raises(PolicyError) as refused:
        policy_from_dict({**API_JSON, "promiseGraceDays": grace})
    assert refused.value.field == "promiseGraceDays"


def test_promise_grace_days_defaults_to_three() -> None:
    body = {k: v for k, v in API_JSON.items() if k != "promiseGraceDays"}
    assert policy_from_dict(body).promise_grace_days == 3


def test_default_policy_round_trip() -> None:
    data = policy_to_dict(DEFAULT_POLICY)
    assert data["sendWindow"] == {"start": "08:00", "end": "21:00", "weekends": True}
    assert data["maxContactsPer7Days"] == 3
    assert policy_from_dict(data) == DEFAULT_POLICY


def test_from_dict_defaults() -> None:
    policy = policy_from_dict(
        {
            "id": "p",
            "name": "P",
            "steps": [{"offsetDays": 1, "channel": "EMAIL", "templateId": "x"}],
        }
    )
    assert policy.send_window == SendWindow()
    assert policy.max_contacts_per_7_days == 3
    assert not policy.business_days_only
    assert policy.catch_up == CatchUp.FIRST_STEP


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"steps": "nope"}, "steps"),
        ({"steps": [{"offsetDays": 1, "channel": "FAX", "templateId": "x"}]}, "steps[0].channel"),
        ({"steps": [{"offsetDays": "1", "channel": "SMS", "templateId": "x"}]},
         "steps[0].offsetDays"),
        ({"steps": [{"channel": "SMS", "templateId": "x"}]}, "steps[0].offsetDays"),
        ({"steps": [{"offsetDays": 1, "channel": "SMS", "templateId": "x", "offset": 2}]},
         "steps[0]"),
        ({"sendWindow": {"start": "8am", "end": "21:00"}}, "sendWindow.start"),
        ({"sendWindow": {"start": "25:00", "end": "21:00"}}, "sendWindow.start"),
        ({"sendWindow": {"start": "22:00", "end": "21:00"}}, "sendWindow"),
        ({"sendWindow": {"weekends": "yes"}}, "sendWindow.weekends"),
        ({"businessDaysOnly": 1}, "businessDaysOnly"),
        ({"maxContactsPer7Days": -1}, "maxContactsPer7Days"),
        ({"extra": 1}, "policy"),
        ({"catchUp": "EVERY_STEP"}, "catchUp"),
    ],
)  # fmt: skip
def test_from_dict_errors_name_the_field(patch: dict[str, Any], field: str) -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_dict({**API_JSON, **patch})
    assert info.value.field == field


def test_from_dict_requires_id() -> None:
    data = {k: v for k, v in API_JSON.items() if k != "id"}
    with pytest.raises(PolicyError, match="required"):
        policy_from_dict(data)


def test_all_channel_cap_and_consolidation_default_and_validation() -> None:
    plain = policy_from_dict(
        {k: v for k, v in API_JSON.items() if not k.startswith(("max", "con"))}
    )
    assert plain.max_contacts_per_7_days_all_channels is None and plain.consolidate is True
    for bad in (0, -1, True, "2"):
        with pytest.raises(PolicyError) as caught:
            policy_from_dict({**API_JSON, "maxContactsPer7DaysAllChannels": bad})
        assert caught.value.field == "maxContactsPer7DaysAllChannels"
    with pytest.raises(PolicyError) as caught:
        policy_from_dict({**API_JSON, "consolidate": "yes"})
    assert caught.value.field == "consolidate"


def test_attach_letter_is_a_step_flag() -> None:
    step = {"offsetDays": 12, "channel": "EMAIL", "templateId": "reminder-2"}
    base = {"id": "p-1", "name": "P"}
    assert policy_from_dict({**base, "steps": [step]}).steps[0].attach_letter is False
    with pytest.raises(PolicyError, match="attachLetter"):
        policy_from_dict({**base, "steps": [{**step, "attachLetter": "yes"}]})
