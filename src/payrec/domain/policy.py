"""Dunning policies as data: ordered steps, send window, contact cap; JSON (camelCase) mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from typing import Any, TypeVar

from payrec.domain.case_actions import DEFAULT_PROMISE_GRACE_DAYS, MAX_PROMISE_GRACE_DAYS
from payrec.domain.charges.schemes import (
    LateCharges,
    late_charges_from_dict,
    late_charges_to_dict,
)
from payrec.domain.errors import DomainError
from payrec.domain.states import Priority

__all__ = [
    "CONTACT_CHANNELS",
    "DEFAULT_POLICY",
    "MANUAL_CHANNELS",
    "MAX_OFFSET_DAYS",
    "CatchUp",
    "Channel",
    "DunningPolicy",
    "PolicyError",
    "PolicyStep",
    "SendWindow",
    "policy_from_dict",
    "policy_to_dict",
]

MAX_OFFSET_DAYS = 3650
"""Offsets are bounded to +/- ten years: anything larger is a typo."""


class PolicyError(DomainError, ValueError):
    """An invalid policy; ``field`` names the offending JSON path (HTTP 422)."""

    status = 422
    code = "invalid-policy"
    title = "Validation failed"

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


class Channel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    CALL = "CALL"
    LETTER = "LETTER"

    @property
    def is_contact(self) -> bool:
        """True for automatic customer contacts (EMAIL, SMS); CALL/LETTER are manual tasks."""
        return self in CONTACT_CHANNELS


class CatchUp(StrEnum):
    """Which step a case that is behind its schedule (a backlog invoice, a missed run, a
    resumed pause) gets first.

    ``FIRST_STEP`` (default): the first overdue step not yet sent, the later ones spaced by
    the policy's gaps from the moment it is sent; so the first message never claims earlier
    reminders that were not sent. ``LATEST_STEP``: only the latest due step, the earlier ones
    recorded as superseded (a backlog invoice's first message may be "second reminder").
    """

    FIRST_STEP = "FIRST_STEP"
    LATEST_STEP = "LATEST_STEP"


CONTACT_CHANNELS: frozenset[Channel] = frozenset({Channel.EMAIL, Channel.SMS})
MANUAL_CHANNELS: frozenset[Channel] = frozenset({Channel.CALL, Channel.LETTER})


_E = TypeVar("_E", bound=StrEnum)


def _enum(cls: type[_E], value: object, fld: str) -> _E:
    if isinstance(value, cls):
        return value
    if isinstance(value, str) and value in cls.__members__:
        return cls[value]
    allowed = ", ".join(m.value for m in cls)
    raise PolicyError(f"must be one of {allowed}, got {value!r}", fld)


@dataclass(frozen=True, slots=True)
class PolicyStep:
    """One dunning step: ``offset_days`` from the due date (negative = before it)."""

    offset_days: int
    channel: Channel
    template_id: str
    priority: Priority | None = None
    attach_invoice: bool = False
    """An e-mail step sends the case's uploaded invoice PDF with the reminder."""
    attach_letter: bool = False
    """An e-mail step sends the case's latest formal letter (a LETTER step's PDF) with it."""

    def __post_init__(self) -> None:
        if not isinstance(self.attach_invoice, bool):
            raise PolicyError("must be true or false", "attachInvoice")
        if not isinstance(self.attach_letter, bool):
            raise PolicyError("must be true or false", "attachLetter")
        if isinstance(self.offset_days, bool) or not isinstance(self.offset_days, int):
            raise PolicyError("must be an integer", "offsetDays")
        if abs(self.offset_days) > MAX_OFFSET_DAYS:
            raise PolicyError(f"must be within +/-{MAX_OFFSET_DAYS}", "offsetDays")
        object.__setattr__(self, "channel", _enum(Channel, self.channel, "channel"))
        if self.priority is not None:
            object.__setattr__(self, "priority", _enum(Priority, self.priority, "priority"))
        if not isinstance(self.template_id, str) or not self.template_id.strip():
            raise PolicyError("must be a non-empty string", "templateId")


@dataclass(frozen=True, slots=True)
class SendWindow:
    """Local time-of-day window ``[start, end)``; ``weekends=False`` means never Sat/Sun."""

    start: time = time(8, 0)
    end: time = time(21, 0)
    weekends: bool = True

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise PolicyError("must be a local time of day without zone", f"sendWindow.{name}")
        if not self.start < self.end:
            raise PolicyError(
                f"start {self.start:%H:%M} must be before end {self.end:%H:%M}", "sendWindow"
            )


@dataclass(frozen=True, slots=True)
class DunningPolicy:
    """A named, ordered list of steps plus where and how often the customer may be contacted.

    ``business_days_only``: contacts only Monday to Friday and never on the holidays the
    scheduler passes in (``SendWindow.weekends=False`` skips Sat/Sun but not holidays).
    ``max_contacts_per_7_days``: cap per customer and channel in any rolling 7 days; None = no cap.
    ``promise_grace_days``: days after a promised date before the promise counts as broken.
    ``max_contacts_per_7_days_all_channels``: cap per customer on every contact channel
    together (an e-mail and an SMS count as two); None = no such cap.
    ``consolidate``: a customer's e-mails due while one is still waiting to be sent become one
    statement listing every invoice (same currency) instead of one e-mail per invoice.
    ``catch_up``: how a case behind its schedule catches up (see :class:`CatchUp`).
    ``skip_holidays``: never send on a public holiday of the customer's country (and
    subdivision); None (default) = as ``business_days_only``.
    """

    id: str
    name: str
    steps: tuple[PolicyStep, ...]
    send_window: SendWindow = field(default_factory=SendWindow)
    business_days_only: bool = False
    max_contacts_per_7_days: int | None = 3
    promise_grace_days: int = DEFAULT_PROMISE_GRACE_DAYS
    max_contacts_per_7_days_all_channels: int | None = None
    consolidate: bool = True
    catch_up: CatchUp = CatchUp.FIRST_STEP
    skip_holidays: bool | None = None
    late_charges: LateCharges = field(default_factory=LateCharges)

    @property
    def skips_holidays(self) -> bool:
        """Whether sends avoid the customer's public holidays."""
        return self.business_days_only if self.skip_holidays is None else self.skip_holidays

    def __post_init__(self) -> None:
        object.__setattr__(self, "catch_up", _enum(CatchUp, self.catch_up, "catchUp"))
        if not isinstance(self.id, str) or not self.id.strip():
            raise PolicyError("must be a non-empty string", "id")
        if not isinstance(self.name, str) or not self.name.strip():
            raise PolicyError("must be a non-empty string", "name")
        object.__setattr__(self, "steps", tuple(self.steps))
        if not self.steps:
            raise PolicyError("a policy needs at least one step", "steps")
        seen: dict[tuple[int, Channel], int] = {}
        for i, step in enumerate(self.steps):
            if not isinstance(step, PolicyStep):
                raise PolicyError("must be a PolicyStep", f"steps[{i}]")
            if i and step.offset_days < self.steps[i - 1].offset_days:
                raise PolicyError(
                    f"steps must be sorted by offsetDays: {step.offset_days} comes after "
                    f"{self.steps[i - 1].offset_days}",
                    f"steps[{i}].offsetDays",
                )
            key = (step.offset_days, step.channel)
            if key in seen:
                raise PolicyError(
                    f"duplicate {step.channel} step at offset {step.offset_days} "
                    f"(also steps[{seen[key]}])",
                    f"steps[{i}]",
                )
            seen[key] = i
        if not isinstance(self.send_window, SendWindow):
            raise PolicyError("must be a SendWindow", "sendWindow")
        if not isinstance(self.business_days_only, bool):
            raise PolicyError("must be a boolean", "businessDaysOnly")
        if self.skip_holidays is not None and not isinstance(self.skip_holidays, bool):
            raise PolicyError("must be a boolean or null", "skipHolidays")
        grace = self.promise_grace_days
        if (
            isinstance(grace, bool)
            or not isinstance(grace, int)
            or not 0 <= grace <= MAX_PROMISE_GRACE_DAYS
        ):
            raise PolicyError(
                f"must be an integer from 0 to {MAX_PROMISE_GRACE_DAYS}", "promiseGraceDays"
            )
        for cap, name in (
            (self.max_contacts_per_7_days, "maxContactsPer7Days"),
            (self.max_contacts_per_7_days_all_channels, "maxContactsPer7DaysAllChannels"),
        ):
            if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
                raise PolicyError("must be a positive integer or null", name)
        if not isinstance(self.consolidate, bool):
            raise PolicyError("must be a boolean", "consolidate")


DEFAULT_POLICY = DunningPolicy(
    id="policy-default",
    name="Default dunning policy",
    steps=(
        PolicyStep(-3, Channel.EMAIL, "reminder-friendly"),
        PolicyStep(1, Channel.EMAIL, "reminder-1"),
        PolicyStep(7, Channel.EMAIL, "reminder-2", Priority.MEDIUM),
        PolicyStep(14, Channel.EMAIL, "reminder-3", Priority.HIGH),
        PolicyStep(14, Channel.SMS, "sms-reminder"),
        PolicyStep(30, Channel.CALL, "call-collector", Priority.HIGH),
    ),
)


# --- JSON mapping ---------------------------------------------------------------------

_POLICY_KEYS = {
    "lateCharges",
    "id",
    "name",
    "steps",
    "sendWindow",
    "businessDaysOnly",
    "maxContactsPer7Days",
    "promiseGraceDays",
    "maxContactsPer7DaysAllChannels",
    "consolidate",
    "catchUp",
    "skipHolidays",
}
_STEP_KEYS = {"offsetDays", "channel", "templateId", "priority", "attachInvoice", "attachLetter"}
_WINDOW_KEYS = {"start", "end", "weekends"}


def _fmt_time(t: time) -> str:
    return f"{t:%H:%M}" if not t.second else f"{t:%H:%M:%S}"


def _parse_time(value: object, fld: str) -> time:
    if isinstance(value, str) and len(value) in (5, 8):
        try:
            parsed = time.fromisoformat(value)
        except ValueError:
            pass
        else:
            if not parsed.microsecond:
                return parsed
    raise PolicyError(f"must be a time 'HH:MM', got {value!r}", fld)


def _mapping(value: object, fld: str, allowed: set[str]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PolicyError("must be an object", fld)
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise PolicyError(f"unknown field(s) {', '.join(map(str, unknown))}", fld)
    return value


def _bool(value: object, fld: str) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(f"must be true or false, got {value!r}", fld)
    return value


def _step_from_dict(raw: object, i: int) -> PolicyStep:
    fld = f"steps[{i}]"
    data = _mapping(raw, fld, _STEP_KEYS)
    for key in ("offsetDays", "channel", "templateId"):
        if key not in data:
            raise PolicyError("is required", f"{fld}.{key}")
    try:
        return PolicyStep(
            offset_days=data["offsetDays"],
            channel=data["channel"],
            template_id=data["templateId"],
            priority=data.get("priority"),
            attach_invoice=data.get("attachInvoice", False),
            attach_letter=data.get("attachLetter", False),
        )
    except PolicyError as exc:
        raise PolicyError(exc.message, f"{fld}.{exc.field}" if exc.field else fld) from None


def policy_from_dict(data: Mapping[str, Any]) -> DunningPolicy:
    """Build a policy from its API JSON shape; raises :class:`PolicyError` (a ValueError)."""
    body = _mapping(data, "policy", _POLICY_KEYS)
    for key in ("id", "name", "steps"):
        if key not in body:
            raise PolicyError("is required", key)
    raw_steps = body["steps"]
    if not isinstance(raw_steps, list | tuple):
        raise PolicyError("must be a list", "steps")
    steps = tuple(_step_from_dict(raw, i) for i, raw in enumerate(raw_steps))
    window = SendWindow()
    if body.get("sendWindow") is not None:
        w = _mapping(body["sendWindow"], "sendWindow", _WINDOW_KEYS)
        window = SendWindow(
            start=_parse_time(w.get("start", "08:00"), "sendWindow.start"),
            end=_parse_time(w.get("end", "21:00"), "sendWindow.end"),
            weekends=_bool(w.get("weekends", True), "sendWindow.weekends"),
        )
    return DunningPolicy(
        id=body["id"],
        name=body["name"],
        steps=steps,
        send_window=window,
        business_days_only=_bool(body.get("businessDaysOnly", False), "businessDaysOnly"),
        max_contacts_per_7_days=body.get("maxContactsPer7Days", 3),
        promise_grace_days=body.get("promiseGraceDays", DEFAULT_PROMISE_GRACE_DAYS),
        max_contacts_per_7_days_all_channels=body.get("maxContactsPer7DaysAllChannels"),
        consolidate=_bool(body.get("consolidate", True), "consolidate"),
        catch_up=CatchUp.FIRST_STEP if body.get("catchUp") is None else body["catchUp"],
        skip_holidays=body.get("skipHolidays"),
        late_charges=_late_charges(body.get("lateCharges")),
    )


def _late_charges(raw: object) -> LateCharges:
    if raw is None:
        return LateCharges()
    try:
        return late_charges_from_dict(raw)
    except DomainError as exc:
        field_name = (exc.errors or [{}])[0].get("field", "lateCharges")
        raise PolicyError(exc.detail, field_name) from None


def policy_to_dict(policy: DunningPolicy) -> dict[str, Any]:
    """The API JSON shape of a policy (inverse of :func:`policy_from_dict`)."""
    return {
        "id": policy.id,
        "name": policy.name,
        "steps": [
            {
                "offsetDays": s.offset_days,
                "channel": s.channel.value,
                "templateId": s.template_id,
                "priority": s.priority.value if s.priority is not None else None,
                "attachInvoice": s.attach_invoice,
                "attachLetter": s.attach_letter,
            }
            for s in policy.steps
        ],
        "sendWindow": {
            "start": _fmt_time(policy.send_window.start),
            "end": _fmt_time(policy.send_window.end),
            "weekends": policy.send_window.weekends,
        },
        "businessDaysOnly": policy.business_days_only,
        "maxContactsPer7Days": policy.max_contacts_per_7_days,
        "promiseGraceDays": policy.promise_grace_days,
        "maxContactsPer7DaysAllChannels": policy.max_contacts_per_7_days_all_channels,
        "consolidate": policy.consolidate,
        "catchUp": policy.catch_up.value,
        "skipHolidays": policy.skip_holidays,
        # only when a scheme is on (the API shows {"scheme": "NONE"} otherwise)
        **(
            {"lateCharges": late_charges_to_dict(policy.late_charges)}
            if policy.late_charges.is_on
            else {}
        ),
    }
