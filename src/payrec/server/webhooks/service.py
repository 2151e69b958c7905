"""Opt-outs and opt-ins: the customer's flag, and every pending contact on that channel.

Opting out cancels, in the same transaction, the open tasks (`metadata.reminderType`), the
scheduled reminders and the customer-bound pending notifications of that channel on all of
the customer's cases, each audited. Opting back in cancels nothing and creates nothing: the
scheduler plans future steps again on its next pass.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from payrec.channels import InboundSms
from payrec.server.actor import Actor
from payrec.server.cancellation import cancel_notification, cancel_reminder, cancel_task
from payrec.server.customers import service as customers
from payrec.server.models import Customer, Notification
from payrec.server.models.customers import digits_of
from payrec.server.webhooks import repository
from payrec.server.webhooks.schemas import OptOutChannel, OptOutResult

logger = logging.getLogger("payrec.server.webhooks")


def _bound_to(customer: Customer, notification: Notification, channel: str) -> bool:
    if channel == "SMS":
        phone = customer.phone_digits
        return bool(phone) and digits_of(notification.recipient) == phone
    return bool(customer.email) and notification.recipient.lower() == (customer.email or "").lower()


def cancel_contacts(
    session: Session, customer: Customer, channel: str, actor: Actor, reason: str
) -> dict[str, int]:
    counts = {"tasks": 0, "reminders": 0, "notifications": 0}
    for task in repository.open_tasks(session, customer.id, channel):
        cancel_task(session, task, actor, reason)
        counts["tasks"] += 1
    for reminder in repository.scheduled_reminders(session, customer.id, channel):
        cancel_reminder(session, reminder, actor, reason)
        counts["reminders"] += 1
    for notification in repository.open_notifications(session, customer.id, channel):
        if _bound_to(customer, notification, channel):
            cancel_notification(session, notification, actor, reason)
            counts["notifications"] += 1
    return counts


def set_opt_out(
    session: Session,
    customer: Customer,
    channel: OptOutChannel,
    opted_out: bool,
    actor: Actor,
    *,
    reason: str,
) -> OptOutResult:
    current = customer.opt_out_sms if channel == "SMS" else customer.opt_out_email
    changed = current != opted_out
    if changed:
        customers.opt_out(session, customer, channel, actor, opted_out=opted_out)
    cancelled = (
        cancel_contacts(session, customer, channel, actor, reason)
        if opted_out
        else {"tasks": 0, "reminders": 0, "notifications": 0}
    )
    session.flush()
    return OptOutResult(
        customer_id=customer.id,
        channel=channel,
        opted_out=opted_out,
        changed=changed,
        cancelled=cancelled,
    )


def handle_inbound_sms(session: Session, sms: InboundSms, actor: Actor) -> list[OptOutResult]:
    """STOP-like replies opt the sender out of SMS, START-like ones opt them back in."""
    if not (sms.is_opt_out or sms.is_opt_in):
        return []
    matches = repository.customers_with_phone(session, sms.from_number)
    if not matches:
        logger.info("inbound SMS keyword from an unknown number (sid %s)", sms.message_sid)
    keyword = "opt-out" if sms.is_opt_out else "opt-in"
    said = "".join(ch for ch in sms.body.strip() if ch.isprintable())[:20]
    reason = f"customer replied {said!r} by SMS ({keyword})"
    return [
        set_opt_out(session, customer, "SMS", sms.is_opt_out, actor, reason=reason)
        for customer in matches
    ]
