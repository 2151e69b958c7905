"""Scheduler: turns open cases into tasks, one per (case, policy step), inside send windows."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from payrec.client import (
    ApiError,
    AutomationApiClient,
    CaseSchedule,
    CustomerSummary,
    NotFoundError,
    OpenTask,
    RecoveryCase,
    Task,
    UnprocessableEntityError,
)
from payrec.client.types import customer_of
from payrec.domain.calendar import Placement, customer_country
from payrec.domain.date_bounds import DateOutOfBounds, require_sane
from payrec.domain.policy import (
    DEFAULT_POLICY,
    Channel,
    DunningPolicy,
    PolicyStep,
    policy_from_dict,
)
from payrec.domain.schedule import StepDecision, apply_frequency_cap, due_steps, placer

logger = logging.getLogger("payrec.worker.scheduler")

PAGE_SIZE = 500
BATCH_SIZE = 100  # tasks per POST /tasks/batch (one transaction each)
POLICY_CACHE_SECONDS = 60.0
MANUAL = {Channel.CALL, Channel.LETTER}


@dataclass
class Planned:
    """A task decided for a case, waiting for its batch to be created."""

    case: RecoveryCase
    customer: CustomerSummary
    step: PolicyStep
    body: dict[str, Any]
    when: datetime
    skipped: bool


def step_key(policy_id: str, index: int, step: PolicyStep) -> str:
    """The business key of a step: the backend keeps at most one task per (case, key)."""
    return f"{policy_id}#{index}:{step.offset_days}:{step.channel.value}"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Scheduler:
    """One pass over the open book per `step()`; every write is keyed, so passes may overlap."""

    def __init__(
        self,
        client: AutomationApiClient,
        *,
        collections_email: str = "collections@localhost",
        clock: Any = None,
    ) -> None:
        self.api = client
        self.collections_email = collections_email
        self._clock = clock or (lambda: datetime.now(UTC))
        self._policies: dict[str, tuple[float, DunningPolicy]] = {}
        self._isolated: set[str] = set()  # cases flagged as unplannable by this process

    def step(self) -> int:
        """One pass: plan every open case, creating the tasks a batch at a time."""
        actions = 0
        planned: list[Planned] = []
        for case in self._open_cases():
            mark = len(planned)
            try:
                actions += self.plan_case(case, planned)
            except NotFoundError:
                continue  # deleted or closed meanwhile
            except (DateOutOfBounds, OverflowError, ValueError, KeyError, TypeError) as exc:
                del planned[mark:]  # nothing half-planned for a case that cannot be planned
                self._isolate(case, exc)
                continue
            if len(planned) >= BATCH_SIZE:
                actions += self._create(planned)
                planned = []
        return actions + self._create(planned)

    def _isolate(self, case: RecoveryCase, exc: Exception) -> None:
        """Leave out a case this pass cannot plan (a poisoned date...): logged, and flagged
        on the case with a note once per process, so that the rest of the book is planned."""
        case_id = str(case.get("id"))
        reason = f"{type(exc).__name__}: {exc}"
        logger.error(
            "case %s cannot be planned (due date %r): %s", case_id, case.get("dueDate"), reason
        )
        if case_id in self._isolated or not case.get("id"):
            return
        try:
            self.api.update_recovery_case(
                case_id,
                {"notes": f"Scheduler cannot plan this case (due date {case.get('dueDate')}): "
                          f"{reason}. Correct the case; no reminder is planned until then."},
            )
        except ApiError as api_exc:
            logger.warning("case %s: could not flag it: %s", case_id, type(api_exc).__name__)
            return
        self._isolated.add(case_id)

    def _open_cases(self) -> Iterator[RecoveryCase]:
        cursor: str | None = None
        while True:
            page = self.api.get_pending_recovery_cases_page(
                limit=PAGE_SIZE, include=["schedule"], cursor=cursor
            )
            yield from page.get("cases", [])
            cursor = page.get("nextCursor")
            if not cursor:
                return

    def policy(self, policy_id: str) -> DunningPolicy:
        cached = self._policies.get(policy_id)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        if policy_id == DEFAULT_POLICY.id:
            try:
                policy = policy_from_dict(self.api.get_policy(policy_id))
            except NotFoundError:
                policy = DEFAULT_POLICY
        else:
            policy = policy_from_dict(self.api.get_policy(policy_id))
        self._policies[policy_id] = (time.monotonic() + POLICY_CACHE_SECONDS, policy)
        return policy

    def plan_case(self, case: RecoveryCase, planned: list[Planned]) -> int:
        """Decide the case's due steps (appended to `planned`, created by the caller in a
        batch); status changes and opt-out cancellations happen at once. Returns those."""
        now: datetime = self._clock()
        customer = customer_of(case)
        tz = _zone(customer.get("timezone"))
        due = require_sane(date.fromisoformat(case["dueDate"]))
        actions = 0
        if case["status"] == "PENDING" and due < now.astimezone(tz).date():
            self.api.update_recovery_case(case["id"], {"status": "OVERDUE"})
            actions += 1
        policy_id = case.get("policyId") or customer.get("policyId") or DEFAULT_POLICY.id
        policy = self.policy(policy_id)
        placement = Placement.of(
            policy,
            tz.key,
            customer_country(customer.get("country"), customer.get("locale")),
            customer.get("subdivision") or None,
        )
        schedule: CaseSchedule | dict[str, Any] = case.get("schedule") or {}
        existing = set(schedule.get("stepKeys") or [])
        plans = schedule.get("stepPlans") or {}
        keys = {i: step_key(policy.id, i, s) for i, s in enumerate(policy.steps)}
        already = {
            i: parse_ts(str(plans[key])) if plans.get(key) else None
            for i, key in keys.items()
            if key in existing
        }
        holidays = placement.holidays
        decisions = due_steps(policy, due, tz, now, already, holidays)
        contacts = {
            Channel(channel): [parse_ts(ts) for ts in stamps]
            for channel, stamps in (schedule.get("contacts") or {}).items()
            if channel in Channel.__members__
        }
        decisions = apply_frequency_cap(
            decisions, contacts, policy.max_contacts_per_7_days, place=placer(policy, tz, holidays)
        )
        for decision in decisions:
            item = self._plan(case, customer, policy, decision, keys[decision.step_index], now)
            item.body["metadata"]["placement"] = placement.to_dict()
            planned.append(item)
        actions += self._cancel_opted_out(schedule.get("openTasks") or [], customer)
        return actions

    def _plan(
        self,
        case: RecoveryCase,
        customer: CustomerSummary,
        policy: DunningPolicy,
        decision: StepDecision,
        key: str,
        now: datetime,
    ) -> Planned:
        step = decision.step
        channel = step.channel
        metadata: dict[str, Any] = {
            "reminderType": channel.value,
            "templateId": step.template_id,
            "stepIndex": decision.step_index,
            "offsetDays": step.offset_days,
            "policyId": policy.id,
            "plannedAt": iso(decision.scheduled_at or now),
        }
        if step.attach_invoice and channel == Channel.EMAIL:
            metadata["attachInvoice"] = True
        if step.attach_letter and channel == Channel.EMAIL:
            metadata["attachLetter"] = True
        if decision.deferred_from is not None:  # the backend folds it by the step's own time
            metadata["deferredFrom"] = iso(decision.deferred_from)
        skip = None
        if decision.action == "SUPERSEDED":
            skip = f"superseded: {decision.reason}"
        elif channel == Channel.EMAIL and (
            customer.get("optOutEmail") or not customer.get("email")
        ):
            skip = (
                "customer opted out of email" if customer.get("optOutEmail") else "no email address"
            )
        elif channel == Channel.SMS and (customer.get("optOutSms") or not customer.get("phone")):
            skip = "customer opted out of SMS" if customer.get("optOutSms") else "no phone number"
        when = decision.scheduled_at or now
        body: dict[str, Any] = {
            "type": channel.value if channel in MANUAL else "REMINDER",
            "scheduledAt": iso(when),
            "recoveryCaseId": case["id"],
            "dedupeKey": key,
            "metadata": metadata,
        }
        if skip:  # recorded as decided against, never due
            body = {**body, "status": "CANCELLED", "result": {"skipped": skip}}
        return Planned(case, customer, step, body, when, skipped=skip is not None)

    def _create(self, planned: list[Planned]) -> int:
        """Create the planned tasks (one request per batch), then what follows from each."""
        if not planned:
            return 0
        try:
            answer = self.api.create_scheduled_tasks([p.body for p in planned])
            tasks: list[Task | None] = list(answer["tasks"])
        except (NotFoundError, UnprocessableEntityError):
            # a case deleted meanwhile fails the whole batch (or an older backend lacks it)
            tasks = [self._create_one(p.body) for p in planned]
        for item, task in zip(planned, tasks, strict=True):
            if task is not None and not item.skipped:
                self._follow_up(item, task)
        return len(planned)

    def _create_one(self, body: dict[str, Any]) -> Task | None:
        try:
            return self.api.create_scheduled_task(body)
        except (NotFoundError, UnprocessableEntityError):
            return None

    def _follow_up(self, item: Planned, task: Task) -> None:
        case, step = item.case, item.step
        if step.priority and step.priority != case.get("priority"):
            self.api.update_recovery_case(case["id"], {"priority": step.priority})
            case["priority"] = step.priority
        if step.channel == Channel.LETTER:
            task = self._prepare_letter(task)
        if step.channel in MANUAL:
            self._notify_collections(case, item.customer, step, task, item.when)

    def _prepare_letter(self, task: Task) -> Task:
        """The backend makes the LETTER task's PDF (once; its own short transaction): the
        collector's task links it (`metadata.letterDocumentId`)."""
        try:
            return self.api.prepare_task_letter(task["id"])
        except ApiError as exc:  # the task stays; a collector can ask for the letter again
            logger.warning("LETTER task %s: no letter: %s", task["id"], type(exc).__name__)
            return task

    def _notify_collections(
        self,
        case: RecoveryCase,
        customer: CustomerSummary,
        step: PolicyStep,
        task: Task,
        when: datetime,
    ) -> None:
        """Tell the collections team about a manual step, in the words of its instruction
        (the step's template, rendered by the backend in the team's language)."""
        shown = (task.get("metadata") or {}).get("instruction") or {}
        title = shown.get("title") or (
            f"{step.channel.value} {customer.get('name')}: invoice {case.get('invoiceNumber')}"
        )
        body = shown.get("body") or f"{title} ({step.template_id})"
        letter = (task.get("metadata") or {}).get("letterWorkspaceUrl")
        if letter:  # the LETTER step's PDF, ready to print and send
            body = f"{body}\n\nLetter (PDF): {letter}"
        self.api.create_notification(
            {
                "recoveryCaseId": case["id"],
                "type": "EMAIL",
                "recipient": self.collections_email,
                "subject": title,
                "body": f"{body}\n\nTask {task['id']}",
                "priority": step.priority or "HIGH",
                "scheduledFor": iso(when),
            },
            idempotency_key=f"collections:{task['id']}",
        )

    def _cancel_opted_out(self, open_tasks: list[OpenTask], customer: CustomerSummary) -> int:
        cancelled = 0
        for task in open_tasks:
            channel = task.get("channel")
            opted_out = (channel == "EMAIL" and customer.get("optOutEmail")) or (
                channel == "SMS" and customer.get("optOutSms")
            )
            if opted_out and task.get("status") == "PENDING":
                self.api.update_task_status(
                    task["id"], "CANCELLED", {"skipped": f"customer opted out of {channel}"}
                )
                cancelled += 1
        return cancelled


def _zone(name: object) -> ZoneInfo:
    try:
        return ZoneInfo(str(name or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
