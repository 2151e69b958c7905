"""Contacts planned under the customer's lock: the cap and consolidated e-mails.

Every new `REMINDER` task is checked here, in the transaction that creates it, with its
customer's row locked (`FOR UPDATE` on PostgreSQL; SQLite's writer lock serialises anyway):
the contacts counted are every reminder task of the customer, on every case, that is
planned, running or done, committed by any scheduler, plus those earlier in the same batch.
So the cap (`maxContactsPer7Days`, `maxContactsPer7DaysAllChannels`) holds across cases,
passes and racing schedulers. A task that would break it is moved to the first moment the
cap and the send window allow. A task released for a retry is placed again the same way.

With the policy's `consolidate` (the default), a new e-mail for a customer who already has
one waiting (PENDING, not leased, same currency) is not a second e-mail: it is recorded as
CANCELLED (`consolidatedInto`) and its case is added to the waiting one's
`metadata.consolidatedCaseIds`; that e-mail goes out as the `statement` template listing
every invoice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from payrec.domain.calendar import Placement, customer_country
from payrec.domain.cases import OPEN
from payrec.domain.contact_cap import CAP_WINDOW, earliest_contact
from payrec.domain.policy import DEFAULT_POLICY, Channel, DunningPolicy, policy_from_dict
from payrec.domain.schedule import placer
from payrec.server.actor import Actor
from payrec.server.audit.service import record
from payrec.server.cancellation import cancel_task
from payrec.server.jsonio import format_timestamp
from payrec.server.models import Customer, RecoveryCase, Task
from payrec.server.policies import repository as policies

STATEMENT_TEMPLATE = "statement"
LISTED_RECENTLY = timedelta(days=1)
"""A step's e-mail for a case listed on an e-mail of the customer's from this long before is
that e-mail (the statement went out before the step was planned), not another one."""
_COUNTED = ("PENDING", "IN_PROGRESS", "COMPLETED")


@dataclass
class _Book:
    """One customer's contacts per channel, and the e-mails still waiting to be sent."""

    contacts: dict[Channel, list[datetime]] = field(default_factory=lambda: defaultdict(list))
    waiting: list[tuple[Task, str]] = field(default_factory=list)  # (task, currency)
    listed: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    """Case id -> (task id, time) of an e-mail of the customer's that lists the case."""


def _channel(task: Task) -> Channel | None:
    name = str((task.meta or {}).get("reminderType") or "EMAIL").upper()
    return Channel(name) if name in Channel.__members__ else None


def planned_step(task: Task) -> bool:
    """A pending reminder a scheduler planned for a policy step (the guide's plain
    `POST /tasks` without a policy is left as it is asked)."""
    return (
        task.type == "REMINDER"
        and task.status == "PENDING"
        and task.recovery_case_id is not None
        and bool((task.meta or {}).get("policyId"))
    )


def plan(session: Session, new: Sequence[Task]) -> None:
    """Place the new policy-step reminders under their customers' caps (or fold e-mails into
    one waiting for the same customer), before they are inserted."""
    tasks = [t for t in new if planned_step(t)]
    if not tasks:
        return
    cases = _cases(session, {str(t.recovery_case_id) for t in tasks})
    tasks = [t for t in tasks if t.recovery_case_id in cases]
    customers = _lock_customers(session, {case.customer_id for case in cases.values()})
    books = _books(session, set(customers), exclude={t.id for t in tasks})
    resolve = _policy_resolver(session)
    for task in sorted(tasks, key=lambda t: t.scheduled_at):  # stable: ties in batch order
        case = cases[str(task.recovery_case_id)]
        customer = customers.get(case.customer_id)
        channel = _channel(task)
        if customer is None or channel is None:
            continue
        policy = resolve(case.policy_id, customer.policy_id)
        book = books[customer.id]
        if channel is Channel.EMAIL and policy.consolidate:
            lead = next((t for t, cur in book.waiting if cur == case.currency), None)
            if lead is not None:
                _fold(task, lead)
                continue
            listed = book.listed.get(case.id)
            if listed is not None and listed[1] >= _step_time(task) - LISTED_RECENTLY:
                _cancel_folded(task, listed[0])  # already on an e-mail that went out
                continue
        _place(task, channel, book, policy, _zone(customer.timezone), _holidays(policy, customer))
        if channel is Channel.EMAIL:
            book.waiting.append((task, case.currency))


def replan(session: Session, task: Task) -> None:
    """Place a reminder task released for a retry (`retry_at` already set) under the cap,
    counting every other contact of its customer."""
    if not planned_step(task):
        return
    case = session.get(RecoveryCase, task.recovery_case_id)
    channel = _channel(task)
    if case is None or channel is None:
        return
    customer = _lock_customers(session, {case.customer_id}).get(case.customer_id)
    if customer is None:
        return
    book = _books(session, {customer.id}, exclude={task.id}, waiting=False)[customer.id]
    policy = _policy_resolver(session)(case.policy_id, customer.policy_id)
    _place(task, channel, book, policy, _zone(customer.timezone), _holidays(policy, customer))


def _holidays(policy: DunningPolicy, customer: Customer) -> Container[date]:
    """The customer's public holidays when the policy avoids them (`domain.calendar`)."""
    country = customer_country(None, customer.locale)
    return Placement.of(policy, customer.timezone, country).holidays


def lock_customers_of(session: Session, tasks: Sequence[Task]) -> None:
    """Lock, in id order, the customers of the reminders among `tasks` before each is
    re-placed (`replan`): re-placing several one by one would lock them in the tasks' order
    and could deadlock with a batch being planned."""
    ids = {str(t.recovery_case_id) for t in tasks if t.type == "REMINDER" and t.recovery_case_id}
    if ids:
        _lock_customers(session, {case.customer_id for case in _cases(session, ids).values()})


def _place(
    task: Task,
    channel: Channel,
    book: _Book,
    policy: DunningPolicy,
    tz: ZoneInfo,
    holidays: Container[date] = (),
) -> None:
    """Move `task` to the first moment the cap allows (placed in the send window, off the
    customer's holidays); a task the cap does not hold back keeps the time it was given."""
    wanted = task.scheduled_at
    at = earliest_contact(wanted, channel, book.contacts, policy)
    if at != wanted:
        place = placer(policy, tz, holidays)
        at = earliest_contact(wanted, channel, book.contacts, policy, place=place)
    book.contacts[channel].append(at)
    if at != wanted:
        task.scheduled_at = at
        task.meta = {
            **(task.meta or {}),
            "plannedAt": format_timestamp(at),
            "deferredByCap": format_timestamp(wanted),
        }


def folded_into(task: Task) -> str | None:
    """The task of the consolidated e-mail `task`'s step was folded into, if it was."""
    lead = (task.result or {}).get("consolidatedInto")
    return str(lead) if lead else None


def release_folds(session: Session, cancelled: Sequence[Task], actor: Actor) -> list[Task]:
    """Undo the folds into consolidated e-mails that were just cancelled (their case was
    paid, paused or disputed): the steps folded into them, of cases still open, are PENDING
    again and planned anew as `plan` does (the first becomes the lead the others fold into,
    under the cap), so no invoice loses its step and the cancelled case is not listed."""
    leads = {t.id: t for t in cancelled if (t.meta or {}).get("consolidatedCaseIds")}
    if not leads:
        return []
    listed = [str(c) for lead in leads.values() for c in lead.meta["consolidatedCaseIds"]]
    rows = session.scalars(
        select(Task)
        .join(RecoveryCase, RecoveryCase.id == Task.recovery_case_id)
        .where(
            Task.recovery_case_id.in_(sorted(set(listed))),
            Task.type == "REMINDER",
            Task.status == "CANCELLED",
            RecoveryCase.status.in_(OPEN),
        )
        .order_by(Task.id)
        .with_for_update(of=Task)
    ).all()
    order = {case_id: n for n, case_id in reversed(list(enumerate(listed)))}
    released = sorted(  # the first folded in leads now (ties at one time in fold order)
        (t for t in rows if folded_into(t) in leads),
        key=lambda t: (t.scheduled_at, order[str(t.recovery_case_id)]),
    )
    for task in released:
        lead = folded_into(task)
        task.status = "PENDING"
        task.result = None
        task.completed_at = None
        task.last_error = None
        record(
            session,
            actor,
            action="task.status_changed",
            entity_type="task",
            entity_id=task.id,
            case_id=task.recovery_case_id,
            before={"status": "CANCELLED", "consolidatedInto": lead},
            after={"status": "PENDING", "reason": f"consolidated task {lead} was cancelled"},
        )
    session.flush()  # the cancelled leads and the released steps are what the books read
    plan(session, released)
    session.flush()
    return released


def _fold(task: Task, lead: Task) -> None:
    """Record `task` as part of the e-mail `lead` will send."""
    lead.meta = _folded_meta(dict(lead.meta or {}), str(task.recovery_case_id))
    _cancel_folded(task, lead.id)


def _step_time(task: Task) -> datetime:
    """When the step was due before a scheduler's own cap estimate moved it."""
    deferred = (task.meta or {}).get("deferredFrom")
    if isinstance(deferred, str):
        try:
            moment = datetime.fromisoformat(deferred.replace("Z", "+00:00"))
        except ValueError:
            return task.scheduled_at
        if moment.tzinfo is not None:
            return min(moment, task.scheduled_at)
    return task.scheduled_at


def _cancel_folded(task: Task, lead_id: str) -> None:
    task.status = "CANCELLED"
    task.completed_at = datetime.now(UTC)
    task.result = {"skipped": f"consolidated into task {lead_id}", "consolidatedInto": lead_id}


def _cases(session: Session, ids: set[str]) -> dict[str, RecoveryCase]:
    rows = session.scalars(select(RecoveryCase).where(RecoveryCase.id.in_(sorted(ids))))
    return {case.id: case for case in rows}


def _lock_customers(session: Session, ids: set[str]) -> dict[str, Customer]:
    """The customers, their rows locked in id order (two batches never wait on each other
    the wrong way round). `FOR NO KEY UPDATE` on PostgreSQL: a case being opened for the
    customer meanwhile (its foreign key takes a key-share lock) does not wait."""
    rows = session.scalars(
        select(Customer)
        .where(Customer.id.in_(sorted(ids)))
        .order_by(Customer.id)
        .with_for_update(key_share=True)
    )
    return {customer.id: customer for customer in rows}


def _books(
    session: Session, customer_ids: set[str], *, exclude: set[str], waiting: bool = True
) -> dict[str, _Book]:
    """Each customer's reminder tasks from a cap window ago on (any case, any scheduler)."""
    books: dict[str, _Book] = defaultdict(_Book)
    since = datetime.now(UTC) - CAP_WINDOW - timedelta(days=1)
    rows = session.execute(
        select(Task, RecoveryCase.customer_id)
        .join(RecoveryCase, RecoveryCase.id == Task.recovery_case_id)
        .where(
            RecoveryCase.customer_id.in_(sorted(customer_ids)),
            Task.type == "REMINDER",
            Task.status.in_(_COUNTED),
            Task.scheduled_at >= since,
        )
        .order_by(Task.scheduled_at, Task.id)
    ).all()
    leads: list[str] = []
    for task, customer_id in rows:
        channel = _channel(task)
        if task.id in exclude or channel is None or folded_into(task) is not None:
            continue  # a folded step went out (or goes out) with its lead: one contact
        books[customer_id].contacts[channel].append(task.scheduled_at)
        for listed in (task.meta or {}).get("consolidatedCaseIds") or []:
            books[customer_id].listed[str(listed)] = (task.id, task.scheduled_at)
        if waiting and channel is Channel.EMAIL and planned_step(task):
            leads.append(task.id)
    if leads:
        for task, customer_id, currency in _lock_waiting(session, leads):
            books[customer_id].waiting.append((task, currency))
    return books


def _lock_waiting(session: Session, ids: list[str]) -> Sequence[Any]:
    """The waiting e-mails still PENDING once locked; one a claim holds is skipped (it is on
    its way out and can no longer take another invoice)."""
    return session.execute(
        select(Task, RecoveryCase.customer_id, RecoveryCase.currency)
        .join(RecoveryCase, RecoveryCase.id == Task.recovery_case_id)
        .where(Task.id.in_(ids), Task.status == "PENDING", Task.lease_token.is_(None))
        .order_by(Task.scheduled_at, Task.id)
        .with_for_update(of=Task, skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()


def _policy_resolver(session: Session) -> Callable[[str | None, str | None], DunningPolicy]:
    """The case's policy, else the customer's, else the default (as `policies.effective`),
    each looked up once."""
    found: dict[str, DunningPolicy | None] = {}

    def lookup(policy_id: str) -> DunningPolicy | None:
        if policy_id not in found:  # a stored one (an override of the default too), else shipped
            row = policies.get(session, policy_id)
            found[policy_id] = (
                policy_from_dict({**row.definition, "id": row.id})
                if row is not None
                else (DEFAULT_POLICY if policy_id == DEFAULT_POLICY.id else None)
            )
        return found[policy_id]

    def resolve(case_policy: str | None, customer_policy: str | None) -> DunningPolicy:
        for policy_id in (case_policy, customer_policy, DEFAULT_POLICY.id):
            if policy_id:
                policy = lookup(policy_id)
                if policy is not None:
                    return policy
        return DEFAULT_POLICY

    return resolve


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def fold_at_claim(session: Session, claimed: list[dict[str, Any]], actor: Actor) -> None:
    """Before a claimed e-mail is rendered: fold into it the customer's other e-mails still
    waiting (PENDING, not leased; the cap may have held them back), same currency, under a
    consolidating policy. They are cancelled (`consolidatedInto`), and their cases, with
    every other overdue open case of the customer in that currency (whose step a scheduler
    may not have planned yet), listed on the claimed one's `metadata.consolidatedCaseIds`
    (stored and in the claim's answer). A step planned later for a listed case is folded
    into this e-mail (`plan`), not sent again."""
    leads = [t for t in claimed if _wire_email_step(t)]
    if not leads:
        return
    cases = _cases(session, {str(t["recoveryCaseId"]) for t in leads})
    customers = {
        c.id: c for c in _by_ids(session, Customer, {c.customer_id for c in cases.values()})
    }
    resolve = _policy_resolver(session)
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for task in leads:
        case = cases.get(str(task["recoveryCaseId"]))
        customer = customers.get(case.customer_id) if case is not None else None
        if case is None or customer is None:
            continue
        if resolve(case.policy_id, customer.policy_id).consolidate:
            groups.setdefault((customer.id, case.currency), task)
    if not groups:
        return
    # The customers' locks order this claim with the planning of their tasks: a batch that
    # planned one meanwhile is seen (and folded in), or sees what this claim listed.
    _lock_customers(session, {key[0] for key in groups})
    claimed_ids = {str(t["id"]) for t in claimed}
    rows = session.execute(
        select(Task, RecoveryCase.customer_id, RecoveryCase.currency)
        .join(RecoveryCase, RecoveryCase.id == Task.recovery_case_id)
        .where(
            RecoveryCase.customer_id.in_(sorted({key[0] for key in groups})),
            RecoveryCase.status.in_(OPEN),
            Task.type == "REMINDER",
            Task.status == "PENDING",
            Task.lease_token.is_(None),
        )
        .order_by(Task.scheduled_at, Task.id)
        .with_for_update(of=Task, skip_locked=True)
    ).all()
    for other, customer_id, currency in rows:
        lead = groups.get((customer_id, currency))
        if lead is None or other.id in claimed_ids or not planned_step(other):
            continue
        if _channel(other) is not Channel.EMAIL:
            continue
        meta = _folded_meta(lead["metadata"] or {}, str(other.recovery_case_id))
        lead["metadata"] = meta
        cancel_task(session, other, actor, f"consolidated into task {lead['id']}")
        other.result = {"skipped": "consolidated", "consolidatedInto": lead["id"]}
    for case_id, customer_id, currency in session.execute(
        select(RecoveryCase.id, RecoveryCase.customer_id, RecoveryCase.currency).where(
            RecoveryCase.customer_id.in_(sorted({key[0] for key in groups})),
            RecoveryCase.status.in_(OPEN),
            RecoveryCase.due_date < datetime.now(UTC).date(),
        )
    ):
        lead = groups.get((customer_id, currency))
        if lead is not None and case_id != lead["recoveryCaseId"]:
            lead["metadata"] = _folded_meta(lead["metadata"] or {}, case_id)
    for lead in groups.values():
        if (lead["metadata"] or {}).get("consolidatedCaseIds"):
            session.execute(update(Task).where(Task.id == lead["id"]).values(meta=lead["metadata"]))
    session.flush()


def _wire_email_step(task: dict[str, Any]) -> bool:
    meta = task.get("metadata") or {}
    return (
        task.get("type") == "REMINDER"
        and bool(task.get("recoveryCaseId"))
        and bool(meta.get("policyId"))
        and str(meta.get("reminderType") or "EMAIL").upper() == "EMAIL"
    )


def _folded_meta(meta: dict[str, Any], case_id: str) -> dict[str, Any]:
    folded = [*meta.get("consolidatedCaseIds", []), case_id]
    return {
        **meta,
        "consolidatedCaseIds": list(dict.fromkeys(folded)),
        "stepTemplateId": meta.get("stepTemplateId") or meta.get("templateId"),
        "templateId": STATEMENT_TEMPLATE,
    }


def _by_ids(session: Session, model: Any, ids: set[str]) -> Sequence[Any]:
    return session.scalars(select(model).where(model.id.in_(sorted(ids)))).all()
